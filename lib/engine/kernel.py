"""The CPU fast path: K small piecewise-linear MLPs trained on MSE at once, compiled by numba.

Every network runs its whole training in one compiled loop (networks split over the cores), so the
thousands of tiny matrix products that PyTorch dispatches one by one cost nothing to launch. It
computes exactly what `torch.nn.Sequential` + `torch.optim.Adam`/`SGD` compute (tests/test_training.py
proves it), in float64.

Parameters of network k lie flat in params[k]: per layer, the weights [fan_in, fan_out] row-major,
then the biases [fan_out]. Networks whose hidden layers are all 2 wide take lib.engine.kernel_two_wide's path, which
ends with the same parameters and losses bit for bit and runs faster (its layers fused); every other shape, or
two_wide=False, takes the generic loop below.

Neither leaves an order of operations to the compiler. The generic loop's layers (lib.engine.kernel_layers) write every
FMA out, in 4-wide vectors over blocks of 16 samples and one sample at a time past them; its batch sums run in
lib.engine.engine_sums's order and its update is lib.engine.kernel_two_wide's; no fastmath flag. So a network ends with the same
bits on x86 machines with FMA, AVX2 or AVX-512 (checked on a Zen 4, natively and with a Zen 3's target). This
loop's earlier fastmath build summed in one order on the Zen 4 and in another on the Zen 3, whose order both paths
now write out.
"""
import numba
import numpy as np

from lib.engine import simd as v
from lib.engine.kernel_layers import deltas_below, forward, gradients
from lib.engine.kernel_two_wide import adam, adam_corrections, is_two_wide, sgd, train_two_wide
from lib.engine.shuffle import shuffle_into
from lib.engine import numba_cache

numba_cache.watch()  # before the decorators below: their cache follows every engine file

ADAM, SGD = 0, 1


@numba.njit(cache=True)
def _layer_offsets(widths):
    layers = widths.shape[0] - 1
    offsets = np.zeros(layers + 1, dtype=np.int64)
    for l in range(layers):
        offsets[l + 1] = offsets[l] + widths[l] * widths[l + 1] + widths[l + 1]
    return offsets


@numba.njit(cache=True)
def _train_one(p, widths, slope, x, y, seed, epochs, batch, optimizer, lr, beta1, beta2, eps, momentum,
               corrections, snapshot_at, snapshots, k, losses):
    layers = widths.shape[0] - 1
    width = widths.max()
    offsets = _layer_offsets(widths)
    size = p.shape[0]
    samples = x.shape[0]
    acts = np.zeros((layers + 1, width, batch))  # rows (l, i) of A, `batch` apart
    deltas = np.zeros((2, width, batch))  # rows (half, j) of D
    grad = np.zeros(size)
    P, S = v.data(p), v.stack(4)
    m = np.zeros(size)
    s = np.zeros(size)
    order = np.empty(samples, dtype=np.int64)
    partners = np.empty(samples, dtype=np.int64)
    inv_samples = 1.0 / samples if samples > 0 else 0.0
    step = 0
    slot = 0
    if snapshot_at[0]:
        snapshots[slot, k, :] = p
        slot += 1
    for epoch in range(epochs):
        shuffle_into(order, partners, seed, epoch)
        epoch_loss = 0.0
        for start in range(0, samples, batch):
            count = min(batch, samples - start)
            # pointers taken here, where the arrays are in use: numba frees an array after its last use as one
            A, D, G, M, V = v.data(acts), v.data(deltas), v.data(grad), v.data(m), v.data(s)
            for n in range(count):
                acts[0, 0, n] = x[order[start + n]]
            # forward: acts[l + 1] = φ(acts[l] @ W + b); the last layer stays linear
            for l in range(layers):
                forward(P, offsets[l], widths[l], widths[l + 1], slope, l < layers - 1, v.at(A, l * width * batch),
                        v.at(A, (l + 1) * width * batch), count, batch)
            # loss: the mean squared error over the batch; delta = dloss/d(output)
            cur = 0
            inv_count = 1.0 / count
            for n in range(count):
                error = acts[layers, 0, n] - y[order[start + n]]
                epoch_loss = v.scalar_fma(error * error, inv_samples, epoch_loss)
                deltas[cur, 0, n] = (error * 2.0) * inv_count
            # backward: each layer's gradients, then the deltas below it (alternating between D's halves)
            for l in range(layers - 1, -1, -1):
                a, d = v.at(A, l * width * batch), v.at(D, cur * width * batch)
                gradients(G, offsets[l], widths[l], widths[l + 1], a, d, count, batch, S)
                if l > 0:
                    deltas_below(P, offsets[l], widths[l], widths[l + 1], slope, a, d,
                                 v.at(D, (1 - cur) * width * batch), count, batch)
                    cur = 1 - cur
            # update: torch.optim.Adam's or SGD's step, written out in lib.engine.kernel_two_wide
            step += 1
            if optimizer == ADAM:
                adam(P, G, M, V, size, corrections[0, step - 1], corrections[1, step - 1], corrections[2, step - 1],
                     lr, beta1, beta2, eps)
            else:
                sgd(P, G, M, size, step, lr, momentum)
        losses[epoch, k] = epoch_loss
        if snapshot_at[epoch + 1]:
            snapshots[slot, k, :] = p
            slot += 1


@numba.njit(cache=True, parallel=True)
def train_all(params, widths, slope, x, y, seeds, epochs, batch, optimizer, lr, beta1, beta2, eps, momentum,
              snapshot_at, snapshots, losses, two_wide=True, skip_dead=True):
    """Train every network k (row of params, x, y) in place; snapshots[s, k] holds the parameters at the
    s-th epoch flagged in snapshot_at (index 0 = initialization); losses[e, k] the mean batch loss of epoch e.
    two_wide=False keeps 2-wide networks on the generic loop (to compare the paths); skip_dead=False makes the 2-wide
    path compute what it knows (to measure its rate over the whole protocol). Returns whether the 2-wide path
    trained them."""
    layers = widths.shape[0] - 1
    fused = (two_wide and is_two_wide(widths, batch) and params.shape[1] == 6 * (layers - 1) + 1
             and 0.0 <= slope <= 1.0)
    steps = epochs * ((x.shape[1] + batch - 1) // batch) if optimizer == ADAM else 0
    corrections = adam_corrections(beta1, beta2, steps)
    for k in numba.prange(params.shape[0]):
        if fused:
            train_two_wide(params[k], layers, slope, x[k], y[k], seeds[k], epochs, batch, optimizer, lr, beta1,
                           beta2, eps, momentum, corrections, snapshot_at, snapshots, k, losses, skip_dead)
        else:
            _train_one(params[k], widths, slope, x[k], y[k], seeds[k], epochs, batch, optimizer, lr, beta1, beta2,
                       eps, momentum, corrections, snapshot_at, snapshots, k, losses)
    return fused
