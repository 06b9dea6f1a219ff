"""The engine's path for 1 → 2 → … → 2 → 1 networks (the dying-ReLU protocol's shape), in explicit 4-wide vectors.

One call trains one network. Its parameters, moments, activations and deltas lie on its own stack (lib.engine.simd), so
no store can alias a load and nothing is reference-counted in the batch loop; each layer's forward pass, and its
gradients fused with the deltas below it, are single loops over the batch, four samples to a register.

Every sum runs in the generic kernel's order (lib.engine.engine_sums: 16 partial sums a batch sum, four vectors of four, folded
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

from lib.engine import numba_cache, simd as v
from lib.engine.shuffle import shuffle_into
from lib.engine.two_wide_passes import (ACTIVATIONS, DELTAS, MAX_BATCH, MAX_HIDDEN, MAX_SIZE, PARTIAL_SUMS, B, _all_finite,
                                        _backward, _forward, _weights_finite, adam_corrections,
                                        is_two_wide)  # noqa: F401 (the path's API)

numba_cache.watch()  # before the decorators below: their cache follows every engine file


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
    """lib.engine.kernel's _train_one for a network whose hidden layers are all 2 wide (is_two_wide), corrections from
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
