"""The engine's path for 1 → 2 → … → 2 → 1 networks (the dying-ReLU protocol's shape), in explicit 4-wide vectors.

One call trains one network. Its parameters, moments, activations and deltas lie on its own stack (lib.simd), so
no store can alias a load and nothing is reference-counted in the batch loop; each layer's forward pass, and its
gradients fused with the deltas below it, are single loops over the batch, four samples to a register.

Every sum runs in the generic kernel's order (lib.engine_sums: 16 partial sums a batch sum, four vectors of four, folded
pairwise; then a 4-lane and a scalar tail), so a network ends with the same parameters and losses,
bit for bit, on either path (tests/test_two_wide.py). The differences lie in ReLU's activations and deltas, not in
what is learnt: a negative pre-activation gives +0 here, −0 there (0·z), and at non-finite inputs relu(−inf) = 0
and a NaN delta below a dead unit is 0 here, as torch computes them, where the generic loop's slope·z and
delta·slope give NaN.

A ReLU network leaves out work whose result it knows (skip_dead): below a layer whose activations are all 0 over a
batch, every gradient is +0 (_dead_layer); a network with a layer that is +0 at every training point from the start
never changes below it (_freeze: most of the dying-ReLU protocol's networks), so that layer's forward pass, backward
pass and update are left out from the first step. Both give the same bits as computing it all
(tests/test_two_wide.py), and both refuse where an infinity below the dead layer would turn a 0 into a NaN.
"""
import math

import numba
import numpy as np

from lib import simd as v
from lib.engine_sums import fold, tail_dot, tail_sum
from lib.shuffle import shuffle_into
from lib import numba_cache

numba_cache.watch()  # before the decorators below: their cache follows every engine file

MAX_HIDDEN = 32  # hidden layers this path holds on its stack
MAX_BATCH = 128  # samples a batch; a row of activations is MAX_BATCH long
B = MAX_BATCH
MAX_SIZE = 4 + 6 * (MAX_HIDDEN - 1) + 3  # parameters: input layer, hidden 2 → 2 layers, output layer
ACTIVATIONS = MAX_HIDDEN * 2 * B  # the compile-time stack sizes that simd.stack needs
DELTAS = 2 * 2 * B
PARTIAL_SUMS = 6 * 16


@numba.njit(cache=True)
def is_two_wide(widths, batch):
    """Whether this path trains networks of these widths in batches of this size."""
    layers = widths.shape[0] - 1
    if widths[0] != 1 or widths[layers] != 1 or layers < 2 or layers - 1 > MAX_HIDDEN or batch > MAX_BATCH:
        return False
    for l in range(1, layers):
        if widths[l] != 2:
            return False
    return True


@numba.njit(cache=True)
def adam_corrections(beta1, beta2, steps):
    """Rows 1 − β1^t, √(1 − β2^t) and 1/√(1 − β2^t) for t = 1 … steps (column t − 1): Adam's bias corrections,
    computed once for all networks (Kingma & Ba 2015, Algorithm 1, as torch.optim.Adam applies them)."""
    corrections = np.empty((3, steps))
    for t in range(1, steps + 1):
        corrections[0, t - 1] = 1.0 - beta1 ** t
        corrections[1, t - 1] = np.sqrt(1.0 - beta2 ** t)
        corrections[2, t - 1] = 1.0 / corrections[1, t - 1]
    return corrections


# ------------------------------------------------------------------------------ the activation and its derivative


@numba.njit(inline='always')
def _act(z, slope):
    """φ(z) for one sample, as the vector forms below compute it."""
    if slope == 0.0:
        return 0.0 if 0.0 > z else z
    scaled = slope * z
    return z if z > scaled else scaled


@numba.njit(inline='always')
def _vact(z, slopes, relu):
    return v.relu(z) if relu else v.leaky_relu(z, slopes)


@numba.njit(inline='always')
def _back(delta, a, slope):
    """delta · φ'(z) for one sample whose unit's output is a."""
    if slope == 0.0:
        return delta if a > 0.0 else 0.0
    return delta * (1.0 if a > 0.0 else slope)


@numba.njit(inline='always')
def _vback(delta, a, slopes, relu):
    return v.where_positive(a, delta) if relu else v.mul(delta, v.gate(a, slopes))


# --------------------------------------------------------------------------------------------- forward pass


@numba.njit(cache=True, forceinline=True)
def _forward(P, layers, slope, XB, H, OUT, T, count, frozen=-1, sums=True):
    """H[l] (rows 2l and 2l + 1, B apart) = the activations after layer l; OUT = the linear output; where sums, T[l] =
    the sum of H[l]'s activations over the batch, in no fixed order (read only as zero, finite or neither). Layers up
    to H[frozen] are not computed: H[frozen]'s rows and T[0 … frozen] hold what _freeze wrote."""
    relu = slope == 0.0
    slopes = v.splat(slope)
    zero = v.splat(0.0)
    four = count & ~3
    w0, w1, b0, b1 = P[0], P[1], P[2], P[3]
    W0, W1, B0, B1 = v.splat(w0), v.splat(w1), v.splat(b0), v.splat(b1)
    if frozen < 0:
        total = zero
        for n in range(0, four, 4):
            x = v.load(XB, n)
            h0 = _vact(v.fma(x, W0, B0), slopes, relu)
            h1 = _vact(v.fma(x, W1, B1), slopes, relu)
            v.store(H, n, h0)
            v.store(H, B + n, h1)
            if sums:
                total = v.add(total, v.add(h0, h1))
        T[0] = v.lanes_sum(total)
        for n in range(four, count):
            H[n] = _act(v.scalar_fma(XB[n], w0, b0), slope)
            H[B + n] = _act(v.scalar_fma(XB[n], w1, b1), slope)
            if sums:
                T[0] += H[n] + H[B + n]
    for l in range(max(frozen + 1, 1), layers - 1):
        base = 4 + 6 * (l - 1)
        w00, w01, w10, w11, b0, b1 = P[base], P[base + 1], P[base + 2], P[base + 3], P[base + 4], P[base + 5]
        W00, W01, W10, W11, B0, B1 = v.splat(w00), v.splat(w01), v.splat(w10), v.splat(w11), v.splat(b0), v.splat(b1)
        a = v.at(H, (l - 1) * 2 * B)
        o = v.at(H, l * 2 * B)
        total = zero
        for n in range(0, four, 4):
            a0 = v.load(a, n)
            a1 = v.load(a, B + n)
            h0 = _vact(v.fma(a1, W10, v.fma(a0, W00, B0)), slopes, relu)
            h1 = _vact(v.fma(a1, W11, v.fma(a0, W01, B1)), slopes, relu)
            v.store(o, n, h0)
            v.store(o, B + n, h1)
            if sums:
                total = v.add(total, v.add(h0, h1))
        T[l] = v.lanes_sum(total)
        for n in range(four, count):
            o[n] = _act(v.scalar_fma(a[B + n], w10, v.scalar_fma(a[n], w00, b0)), slope)
            o[B + n] = _act(v.scalar_fma(a[B + n], w11, v.scalar_fma(a[n], w01, b1)), slope)
            if sums:
                T[l] += o[n] + o[B + n]
    base = 4 + 6 * (layers - 2)
    w0, w1, b = P[base], P[base + 1], P[base + 2]
    W0, W1, B0 = v.splat(w0), v.splat(w1), v.splat(b)
    a = v.at(H, (layers - 2) * 2 * B)
    for n in range(0, four, 4):
        v.store(OUT, n, v.fma(v.load(a, B + n), W1, v.fma(v.load(a, n), W0, B0)))
    for n in range(four, count):
        OUT[n] = v.scalar_fma(a[B + n], w1, v.scalar_fma(a[n], w0, b))


# -------------------------------------------------------------------------------------------- backward pass


@numba.njit(cache=True, forceinline=True)
def _output_layer(P, base, slope, a, d, below, S, G, count):
    """The output layer (2 → 1, inputs a, output deltas d): its gradients into G, the deltas below it into below."""
    blocks = count >> 4
    zero = v.splat(0.0)
    for lanes in range(0, 16, 4):
        gb = g0 = g1 = zero
        for k in range(blocks):
            n = 16 * k + lanes
            dn = v.load(d, n)
            gb = v.add(gb, dn)
            g0 = v.fma(v.load(a, n), dn, g0)
            g1 = v.fma(v.load(a, B + n), dn, g1)
        v.store(S, lanes, gb)
        v.store(S, 16 + lanes, g0)
        v.store(S, 32 + lanes, g1)
    whole = 16 * blocks
    G[base + 2] = tail_sum(fold(S, 0), d, whole, count)
    G[base] = tail_dot(fold(S, 1), a, d, whole, count)
    G[base + 1] = tail_dot(fold(S, 2), v.at(a, B), d, whole, count)
    relu = slope == 0.0
    w0, w1 = P[base], P[base + 1]
    W0, W1, slopes = v.splat(w0), v.splat(w1), v.splat(slope)
    four = count & ~3
    for n in range(0, four, 4):
        dn = v.load(d, n)
        v.store(below, n, _vback(v.mul(W0, dn), v.load(a, n), slopes, relu))
        v.store(below, B + n, _vback(v.mul(W1, dn), v.load(a, B + n), slopes, relu))
    for n in range(four, count):
        below[n] = _back(w0 * d[n], a[n], slope)
        below[B + n] = _back(w1 * d[n], a[B + n], slope)


@numba.njit(cache=True, forceinline=True)
def _hidden_layer(P, base, slope, a, d, below, S, G, count):
    """A hidden layer (2 → 2): its gradients into G and, in the same loop, the deltas below it into below."""
    relu = slope == 0.0
    w00, w01, w10, w11 = P[base], P[base + 1], P[base + 2], P[base + 3]
    W00, W01, W10, W11, slopes = v.splat(w00), v.splat(w01), v.splat(w10), v.splat(w11), v.splat(slope)
    blocks = count >> 4
    zero = v.splat(0.0)
    for lanes in range(0, 16, 4):  # lanes q … q + 3 of the 16 partial sums, over every block of 16 samples
        gb0 = gb1 = g00 = g01 = g10 = g11 = zero
        for k in range(blocks):
            n = 16 * k + lanes
            d0 = v.load(d, n)
            d1 = v.load(d, B + n)
            a0 = v.load(a, n)
            a1 = v.load(a, B + n)
            gb0 = v.add(gb0, d0)
            gb1 = v.add(gb1, d1)
            g00 = v.fma(a0, d0, g00)
            g01 = v.fma(a0, d1, g01)
            g10 = v.fma(a1, d0, g10)
            g11 = v.fma(a1, d1, g11)
            v.store(below, n, _vback(v.fma(W01, d1, v.mul(W00, d0)), a0, slopes, relu))
            v.store(below, B + n, _vback(v.fma(W11, d1, v.mul(W10, d0)), a1, slopes, relu))
        v.store(S, lanes, gb0)
        v.store(S, 16 + lanes, gb1)
        v.store(S, 32 + lanes, g00)
        v.store(S, 48 + lanes, g01)
        v.store(S, 64 + lanes, g10)
        v.store(S, 80 + lanes, g11)
    whole = 16 * blocks
    a1, d1 = v.at(a, B), v.at(d, B)
    G[base + 4] = tail_sum(fold(S, 0), d, whole, count)
    G[base + 5] = tail_sum(fold(S, 1), d1, whole, count)
    G[base] = tail_dot(fold(S, 2), a, d, whole, count)
    G[base + 1] = tail_dot(fold(S, 3), a, d1, whole, count)
    G[base + 2] = tail_dot(fold(S, 4), a1, d, whole, count)
    G[base + 3] = tail_dot(fold(S, 5), a1, d1, whole, count)
    for n in range(whole, count):
        below[n] = _back(v.scalar_fma(w01, d[B + n], w00 * d[n]), a[n], slope)
        below[B + n] = _back(v.scalar_fma(w11, d[B + n], w10 * d[n]), a[B + n], slope)


@numba.njit(cache=True, forceinline=True)
def _input_layer(x, d, S, G, count):
    """The input layer (1 → 2): its gradients into G."""
    blocks = count >> 4
    zero = v.splat(0.0)
    for lanes in range(0, 16, 4):
        gb0 = gb1 = g00 = g01 = zero
        for k in range(blocks):
            n = 16 * k + lanes
            d0 = v.load(d, n)
            d1 = v.load(d, B + n)
            xn = v.load(x, n)
            gb0 = v.add(gb0, d0)
            gb1 = v.add(gb1, d1)
            g00 = v.fma(xn, d0, g00)
            g01 = v.fma(xn, d1, g01)
        v.store(S, lanes, gb0)
        v.store(S, 16 + lanes, gb1)
        v.store(S, 32 + lanes, g00)
        v.store(S, 48 + lanes, g01)
    whole = 16 * blocks
    d1 = v.at(d, B)
    G[2] = tail_sum(fold(S, 0), d, whole, count)
    G[3] = tail_sum(fold(S, 1), d1, whole, count)
    G[0] = tail_dot(fold(S, 2), x, d, whole, count)
    G[1] = tail_dot(fold(S, 3), x, d1, whole, count)


@numba.njit(cache=True, forceinline=True)
def _backward(P, layers, slope, XB, H, OD, D, S, G, count, dead):
    """G = dloss/dP from the output deltas OD, walking the layers back (deltas alternate between D's two halves),
    down to the layer above H[dead] where dead ≥ 0 (see _dead_layer); the layers below get gradients of +0."""
    current, below = D, v.at(D, 2 * B)
    _output_layer(P, 4 + 6 * (layers - 2), slope, v.at(H, (layers - 2) * 2 * B), OD, current, S, G, count)
    for l in range(layers - 2, max(dead, 0), -1):
        _hidden_layer(P, 4 + 6 * (l - 1), slope, v.at(H, (l - 1) * 2 * B), current, below, S, G, count)
        current, below = below, current
    if dead >= 0:
        for q in range(4 + 6 * dead):  # the input layer's 4 parameters, then 6 a hidden layer, up to H[dead]'s
            G[q] = 0.0
    else:
        _input_layer(XB, current, S, G, count)


@numba.njit(cache=True)
def _all_finite(x):
    for value in x:
        if not abs(value) < np.inf:
            return False
    return True


@numba.njit(cache=True, forceinline=True)
def _weights_finite(P, dead):
    """Whether the weights of the layers from H[0] up to H[dead] are finite."""
    for l in range(1, dead + 1):
        base = 4 + 6 * (l - 1)
        for q in range(base, base + 4):
            if not abs(P[q]) < np.inf:
                return False
    return True


@numba.njit(cache=True, forceinline=True)
def _dead_layer(P, layers, T, frozen):
    """The highest l whose activations H[l] are all 0 over the batch (T[l] = 0), where the gradients of every layer
    below it are +0 exactly, in the order _backward computes them: ReLU's derivative is +0 at each of H[l]'s units,
    so the deltas below are ±0 (w·0 with w finite) and each gradient a sum of ±0 (a·0 with a finite) from +0.
    That holds where the inputs, the activations H[0 … l − 1] (T finite: ReLU's are ≥ 0) and the weights up to
    H[l] are finite; ReLU only (leaky ReLU's derivative is not 0), finite inputs only. Else frozen (see _freeze)."""
    for l in range(layers - 2, frozen, -1):
        if T[l] == 0.0:
            for j in range(l):
                if not T[j] < np.inf:
                    return frozen
            return l if _weights_finite(P, l) else frozen
    return frozen


@numba.njit(cache=True)
def _steps_leave_alone(optimizer, lr, beta1, beta2, eps, momentum):
    """Whether a step leaves p exactly as it was (−0 included) where g = m = v = +0: Adam's p − (+0·lr)/(ε·c) and
    SGD's fma(−lr, +0, p) do for a finite lr > 0, β in [0, 1), a finite ε > 0 whose ε·(1 − β1^t) cannot round to 0
    (0/0), and a finite momentum."""
    if not 0.0 < lr < np.inf:
        return False
    if optimizer == 0:
        return 0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0 and 1e-300 < eps * (1.0 - beta1) and eps < np.inf
    return abs(momentum) < np.inf


@numba.njit(cache=True)
def _freeze(P, layers, x, XB, H, OUT, T):
    """The highest l whose activations H[l] are +0 at every training point x, with H[0 … l − 1] and the weights up
    to H[l] finite (−1 if none; ReLU only, finite inputs only). Then at every step the layers up to H[l] get
    gradients of +0 (_dead_layer), so their parameters, whose moments start at 0, never change (where
    _steps_leave_alone), and H[l] stays +0: their forward pass, backward pass and update can be left out. It leaves
    H[l]'s rows +0 and T[0 … l] = 0, which _forward keeps (the rows below H[l], never read again, hold the last
    points' activations)."""
    hidden = layers - 1
    positive_zero = np.ones(hidden, dtype=np.bool_)
    finite = np.ones(hidden, dtype=np.bool_)
    samples = x.shape[0]
    for start in range(0, samples, B):
        count = min(B, samples - start)
        for n in range(count):
            XB[n] = x[start + n]
        _forward(P, layers, 0.0, XB, H, OUT, T, count)
        for l in range(hidden):
            finite[l] = finite[l] and T[l] < np.inf
            row = v.at(H, l * 2 * B)
            for n in range(count):
                for h in (row[n], row[B + n]):
                    positive_zero[l] = positive_zero[l] and h == 0.0 and math.copysign(1.0, h) > 0.0
    frozen = -1
    for l in range(hidden - 1, -1, -1):
        if positive_zero[l]:
            frozen = l
            break
    for l in range(frozen):
        if not finite[l]:
            return -1
    if frozen < 0 or not _weights_finite(P, frozen):
        return -1
    for n in range(2 * B):
        H[frozen * 2 * B + n] = 0.0
    for l in range(frozen + 1):
        T[l] = 0.0
    return frozen


@numba.njit(cache=True)
def frozen_layer(p, layers, x):
    """_freeze's answer for a ReLU network of parameters p and training points x: the layer up to which training
    leaves it alone from the start, or −1 (for tests)."""
    P, H, T = v.stack(MAX_SIZE), v.stack(ACTIVATIONS), v.stack(MAX_HIDDEN)
    XB, OUT = v.stack(MAX_BATCH), v.stack(MAX_BATCH)
    for q in range(p.shape[0]):
        P[q] = p[q]
    return _freeze(P, layers, x, XB, H, OUT, T) if _all_finite(x) else -1


# ----------------------------------------------------------------------------------------------- the update


@numba.njit(inline='always')
def _adam_one(p, g, m, s, correction1, inv_correction2, lr, beta1, beta2, eps):
    """One parameter's Adam step: its new value, first and second moments."""
    square = g * g
    m = v.scalar_fma(m - g, beta1, g)
    s = v.scalar_fma(s - square, beta2, square)
    return p - (m * lr) / (v.scalar_fma(v.scalar_sqrt(s), inv_correction2, eps) * correction1), m, s


@numba.njit(cache=True, forceinline=True)
def adam(P, G, M, V, size, correction1, correction2, inv_correction2, lr, beta1, beta2, eps, first=0):
    """One torch.optim.Adam step, p −= lr/(1 − β1^t) · m / (√v/√(1 − β2^t) + ε), as the engine's fastmath loop of
    fb78ed1 computed it when built for Zen 3 (both paths now take this one):
    four parameters to a register, then the rest one by one; from parameter first (a multiple of 4; those before
    it are left alone: the caller knows their step leaves them)."""
    odd = size & ~3  # the first parameter past the last whole group of 4
    p_odd = P[odd] if size % 2 == 1 else 0.0
    C1, IC2, LR, EPS = v.splat(correction1), v.splat(inv_correction2), v.splat(lr), v.splat(eps)
    B1, B2 = v.splat(beta1), v.splat(beta2)
    for q in range(first, odd, 4):
        g = v.load(G, q)
        square = v.mul(g, g)
        m = v.fma(v.sub(v.load(M, q), g), B1, g)
        s = v.fma(v.sub(v.load(V, q), square), B2, square)
        v.store(M, q, m)
        v.store(V, q, s)
        v.store(P, q, v.sub(v.load(P, q), v.div(v.mul(m, LR), v.mul(v.fma(v.sqrt(s), IC2, EPS), C1))))
    for q in range(odd, size):
        P[q], M[q], V[q] = _adam_one(P[q], G[q], M[q], V[q], correction1, inv_correction2, lr, beta1, beta2, eps)
    if size % 2 == 1:  # which, for an odd size, divides by the correction instead (as that build did)
        P[odd] = p_odd - (M[odd] * lr) / ((v.scalar_sqrt(V[odd]) / correction2 + eps) * correction1)


@numba.njit(cache=True, forceinline=True)
def sgd(P, G, M, size, step, lr, momentum, first=0):
    """One torch.optim.SGD step (the momentum buffer seeded with the first gradient), from parameter first."""
    if momentum != 0.0:
        for q in range(first, size):
            M[q] = G[q] if step == 1 else v.scalar_fma(momentum, M[q], G[q])
            P[q] = v.scalar_fma(-lr, M[q], P[q])
    else:
        for q in range(first, size):
            P[q] = v.scalar_fma(-lr, G[q], P[q])


# ------------------------------------------------------------------------------------------- one network


@numba.njit(cache=True)
def train_two_wide(p, layers, slope, x, y, seed, epochs, batch, optimizer, lr, beta1, beta2, eps, momentum,
                   corrections, snapshot_at, snapshots, k, losses, skip_dead=True):
    """lib.kernel's _train_one for a network whose hidden layers are all 2 wide (is_two_wide), corrections from
    adam_corrections; the same arguments otherwise. With skip_dead, a ReLU network leaves out the work whose
    result it knows to be +0 or unchanged (below a layer dead over the batch, _dead_layer; up to a layer dead at
    every point from the start, _freeze): the same bits, sooner."""
    size = p.shape[0]
    samples = x.shape[0]
    P, G, M, V = v.stack(MAX_SIZE), v.stack(MAX_SIZE), v.stack(MAX_SIZE), v.stack(MAX_SIZE)
    H, D, S, T = v.stack(ACTIVATIONS), v.stack(DELTAS), v.stack(PARTIAL_SUMS), v.stack(MAX_HIDDEN)
    XB, YB, OUT, OD, E = (v.stack(MAX_BATCH), v.stack(MAX_BATCH), v.stack(MAX_BATCH), v.stack(MAX_BATCH),
                          v.stack(MAX_BATCH))
    for q in range(size):
        P[q], M[q], V[q] = p[q], 0.0, 0.0
    points = np.empty(2 * samples)  # each point's x and y side by side: the gather of a batch touches one line a point
    for n in range(samples):
        points[2 * n], points[2 * n + 1] = x[n], y[n]
    skip = skip_dead and slope == 0.0 and _all_finite(x)  # where _dead_layer's and _freeze's reasoning holds
    still = _steps_leave_alone(optimizer, lr, beta1, beta2, eps, momentum)
    frozen = _freeze(P, layers, x, XB, H, OUT, T) if skip and still else -1
    first = (4 + 6 * frozen) & ~3 if frozen >= 0 else 0  # the parameters before it never change
    order = np.empty(samples, dtype=np.int64)
    partners = np.empty(samples, dtype=np.int64)
    O = v.data(order)
    inv_samples = 1.0 / samples if samples > 0 else 0.0
    step = 0
    slot = 0
    if snapshot_at[0]:
        snapshots[slot, k, :] = p
        slot += 1
    for epoch in range(epochs):
        shuffle_into(order, partners, seed, epoch)
        epoch_loss = 0.0
        pending = 0  # the previous batch's samples, whose squared errors E the epoch's loss has yet to add
        for start in range(0, samples, batch):
            count = min(batch, samples - start)
            XY = v.data(points)  # taken where points is in use: numba frees an array after its last use as one
            for n in range(count):  # the batch's points; beside them, the previous batch's share of the loss
                j = O[start + n]
                XB[n] = XY[2 * j]
                YB[n] = XY[2 * j + 1]
                if n < pending:
                    epoch_loss = v.scalar_fma(E[n], inv_samples, epoch_loss)
            for n in range(count, pending):
                epoch_loss = v.scalar_fma(E[n], inv_samples, epoch_loss)
            _forward(P, layers, slope, XB, H, OUT, T, count, frozen, skip)
            inv_count = 1.0 / count
            for n in range(count):  # the mean squared error's gradient, and each sample's squared error
                error = OUT[n] - YB[n]
                OD[n] = (error * 2.0) * inv_count
                E[n] = error * error
            _backward(P, layers, slope, XB, H, OD, D, S, G, count, _dead_layer(P, layers, T, frozen) if skip else -1)
            step += 1
            if optimizer == 0:
                adam(P, G, M, V, size, corrections[0, step - 1], corrections[1, step - 1], corrections[2, step - 1],
                      lr, beta1, beta2, eps, first)
            else:
                sgd(P, G, M, size, step, lr, momentum, first)
            pending = count
        for n in range(pending):
            epoch_loss = v.scalar_fma(E[n], inv_samples, epoch_loss)
        losses[epoch, k] = epoch_loss
        if snapshot_at[epoch + 1]:
            for q in range(size):
                snapshots[slot, k, q] = P[q]
            slot += 1
    for q in range(size):
        p[q] = P[q]
