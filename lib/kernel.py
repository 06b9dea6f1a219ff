"""The CPU fast path: K small piecewise-linear MLPs trained on MSE at once, compiled by numba.

Networks train LANES at a time, one per vector lane: every array holds the networks in its innermost
axis, so each scalar step of the textbook loop is one vector instruction over LANES networks, and the
blocks split over the cores. It computes exactly what `torch.nn.Sequential` + `torch.optim.Adam`/`SGD`
compute (tests/test_training.py proves it), in float64.

Parameters of network k lie flat in params[k]: per layer, the weights [fan_in, fan_out] row-major,
then the biases [fan_out].
"""
import numba
import numpy as np

ADAM, SGD = 0, 1


@numba.njit(cache=True)
def _splitmix64(state):
    state = (state + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    z = state
    z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    return state, z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def shuffle_into(order, seed, epoch):
    """Fill order with the permutation of range(len(order)) that network seed uses in epoch (Fisher–Yates,
    splitmix64; index drawn by Lemire's multiply-shift, for len(order) < 2^32)."""
    n = order.shape[0]
    for i in range(n):
        order[i] = i
    state = np.uint64(seed) ^ (np.uint64(epoch + 1) * np.uint64(0xD1B54A32D192ED03))
    for i in range(n - 1, 0, -1):
        state, r = _splitmix64(state)
        j = np.int64(((r >> np.uint64(32)) * np.uint64(i + 1)) >> np.uint64(32))  # Lemire's multiply-shift
        order[i], order[j] = order[j], order[i]


def permutation(seed: int, epoch: int, size: int) -> np.ndarray:
    """The batch order of one network in one epoch, as the kernel uses it."""
    order = np.empty(size, dtype=np.int64)
    shuffle_into(order, np.uint64(seed), epoch)
    return order


@numba.njit(cache=True)
def _layer_offsets(widths):
    layers = widths.shape[0] - 1
    offsets = np.zeros(layers + 1, dtype=np.int64)
    for l in range(layers):
        offsets[l + 1] = offsets[l] + widths[l] * widths[l + 1] + widths[l + 1]
    return offsets


LANES = 8  # networks trained side by side, one per vector lane (8 float64 = one AVX-512 register)


@numba.njit(cache=True)
def _train_block(p, widths, slope, x, y, seeds, epochs, batch, optimizer, lr, beta1, beta2, eps, momentum,
                 snapshot_at, snapshots, first, losses):
    """Train LANES networks at once; every array keeps the network in its last (innermost) axis, so each scalar
    step of one network's training is one vector instruction over LANES networks. No sum crosses lanes, so the
    result is bitwise the same on every instruction set (no fastmath: no reassociation, no fused multiply-add)."""
    layers = widths.shape[0] - 1
    width = widths.max()
    offsets = _layer_offsets(widths)
    size = p.shape[0]
    samples = x.shape[1]
    acts = np.zeros((layers + 1, width, batch, LANES))
    deltas = np.zeros((2, width, batch, LANES))
    grad = np.zeros((size, LANES))
    m = np.zeros((size, LANES))
    v = np.zeros((size, LANES))
    target = np.zeros((batch, LANES))
    order = np.empty((LANES, samples), dtype=np.int64)
    epoch_loss = np.zeros(LANES)
    step = 0
    slot = 0
    if snapshot_at[0]:
        _keep(snapshots[slot], p, first)
        slot += 1
    for epoch in range(epochs):
        for q in range(LANES):
            shuffle_into(order[q], seeds[q], epoch)
        epoch_loss[:] = 0.0
        for start in range(0, samples, batch):
            count = min(batch, samples - start)
            for n in range(count):
                for q in range(LANES):
                    row = order[q, start + n]
                    acts[0, 0, n, q] = x[q, row]
                    target[n, q] = y[q, row]
            # forward: acts[l + 1] = φ(acts[l] @ W + b); the last layer stays linear
            for l in range(layers):
                fan_in, fan_out, base = widths[l], widths[l + 1], offsets[l]
                bias = base + fan_in * fan_out
                for j in range(fan_out):
                    for n in range(count):
                        for q in range(LANES):
                            acts[l + 1, j, n, q] = p[bias + j, q]
                    for i in range(fan_in):
                        w = base + i * fan_out + j
                        for n in range(count):
                            for q in range(LANES):
                                acts[l + 1, j, n, q] += acts[l, i, n, q] * p[w, q]
                    if l < layers - 1:
                        for n in range(count):
                            for q in range(LANES):
                                z = acts[l + 1, j, n, q]
                                acts[l + 1, j, n, q] = z if z > 0.0 else slope * z
            # loss: the mean squared error over the batch; delta = dloss/d(output)
            cur = 0
            for n in range(count):
                for q in range(LANES):
                    error = acts[layers, 0, n, q] - target[n, q]
                    epoch_loss[q] += error * error / samples
                    deltas[cur, 0, n, q] = 2.0 * error / count
            # backward
            for l in range(layers - 1, -1, -1):
                fan_in, fan_out, base = widths[l], widths[l + 1], offsets[l]
                bias = base + fan_in * fan_out
                for j in range(fan_out):
                    for q in range(LANES):
                        grad[bias + j, q] = 0.0
                    for n in range(count):
                        for q in range(LANES):
                            grad[bias + j, q] += deltas[cur, j, n, q]
                    for i in range(fan_in):
                        w = base + i * fan_out + j
                        for q in range(LANES):
                            grad[w, q] = 0.0
                        for n in range(count):
                            for q in range(LANES):
                                grad[w, q] += acts[l, i, n, q] * deltas[cur, j, n, q]
                if l > 0:
                    nxt = 1 - cur
                    for i in range(fan_in):
                        for n in range(count):
                            for q in range(LANES):
                                deltas[nxt, i, n, q] = 0.0
                        for j in range(fan_out):
                            w = base + i * fan_out + j
                            for n in range(count):
                                for q in range(LANES):
                                    deltas[nxt, i, n, q] += p[w, q] * deltas[cur, j, n, q]
                        for n in range(count):  # φ'(z) = 1 for z > 0, slope otherwise (as torch)
                            for q in range(LANES):
                                if not acts[l, i, n, q] > 0.0:
                                    deltas[nxt, i, n, q] *= slope
                    cur = nxt
            # update, as torch.optim.Adam / SGD compute it
            step += 1
            if optimizer == 0:
                correction1 = 1.0 - beta1 ** step
                correction2 = np.sqrt(1.0 - beta2 ** step)
                rate = lr / correction1
                for r in range(size):
                    for q in range(LANES):
                        g = grad[r, q]
                        m[r, q] = beta1 * m[r, q] + (1.0 - beta1) * g
                        v[r, q] = beta2 * v[r, q] + (1.0 - beta2) * g * g
                        p[r, q] -= rate * m[r, q] / (np.sqrt(v[r, q]) / correction2 + eps)
            else:
                for r in range(size):
                    for q in range(LANES):
                        if momentum != 0.0:
                            m[r, q] = grad[r, q] if step == 1 else momentum * m[r, q] + grad[r, q]
                            p[r, q] -= lr * m[r, q]
                        else:
                            p[r, q] -= lr * grad[r, q]
        for q in range(LANES):
            if first + q < losses.shape[1]:
                losses[epoch, first + q] = epoch_loss[q]
        if snapshot_at[epoch + 1]:
            _keep(snapshots[slot], p, first)
            slot += 1


@numba.njit(cache=True)
def _keep(snapshot, p, first):
    """Copy the block's parameters [P, LANES] into snapshot [K, P] at networks first.. (padding lanes dropped)."""
    for q in range(LANES):
        if first + q < snapshot.shape[0]:
            snapshot[first + q, :] = p[:, q]


@numba.njit(cache=True, parallel=True)
def train_all(params, widths, slope, x, y, seeds, epochs, batch, optimizer, lr, beta1, beta2, eps, momentum,
              snapshot_at, snapshots, losses):
    """Train every network k (row of params, x, y) in place; snapshots[s, k] holds the parameters at the
    s-th epoch flagged in snapshot_at (index 0 = initialization); losses[e, k] the mean batch loss of epoch e.
    Networks go LANES at a time into vector lanes; the last block repeats network 0 in its spare lanes."""
    count = params.shape[0]
    blocks = (count + LANES - 1) // LANES
    for b in numba.prange(blocks):
        first = b * LANES
        lanes = np.empty(LANES, dtype=np.int64)
        for q in range(LANES):
            lanes[q] = first + q if first + q < count else 0
        p = np.ascontiguousarray(params[lanes].T)
        _train_block(p, widths, slope, x[lanes], y[lanes], seeds[lanes], epochs, batch, optimizer, lr, beta1, beta2,
                     eps, momentum, snapshot_at, snapshots, first, losses)
        for q in range(LANES):
            if first + q < count:
                params[first + q, :] = p[:, q]
