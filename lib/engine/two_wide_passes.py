"""The 2-wide path's passes over one batch (lib.engine.kernel_two_wide): the activation and its derivative, the forward
pass, the backward pass with each layer's gradients fused with the deltas below it, and the finiteness checks that
the dead-layer shortcuts rest on. Every sum runs in the generic kernel's order (lib.engine.engine_sums)."""
import numba
import numpy as np

from lib.engine import simd as v
from lib.engine.engine_sums import fold, tail_dot, tail_sum
from lib.engine import numba_cache

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
