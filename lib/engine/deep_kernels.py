"""The deep trainer's elementwise passes fused, one numba loop each where torch would take two to four passes over
the same memory (lib/engine/deep_sgd.py): bias and ReLU; the ReLU's gate and the bias gradient below; the SGD step.
Each network's elements are its own thread's, in a fixed order, so the bits do not depend on the thread count."""
import numba

from lib.engine import numba_cache

numba_cache.watch()  # before the decorators below: their cache follows every engine file


@numba.njit(cache=True, parallel=True)
def bias_relu(h, bias):
    """h[k] ← max(h[k] + bias[k], 0) in place; h [K, B, n], bias [K, 1, n]."""
    for k in numba.prange(h.shape[0]):
        for i in range(h.shape[1]):
            for j in range(h.shape[2]):
                value = h[k, i, j] + bias[k, 0, j]
                h[k, i, j] = value if value > 0.0 else 0.0


@numba.njit(cache=True, parallel=True)
def gate_and_sum(delta, activation, column_sums):
    """delta ← 0 where the ReLU's output activation is 0, in place; column_sums[k, 0, j] ← Σ_i delta[k, i, j] (the
    layer's bias gradient)."""
    for k in numba.prange(delta.shape[0]):
        for j in range(delta.shape[2]):
            column_sums[k, 0, j] = 0.0
        for i in range(delta.shape[1]):
            for j in range(delta.shape[2]):
                value = delta[k, i, j] if activation[k, i, j] > 0.0 else 0.0
                delta[k, i, j] = value
                column_sums[k, 0, j] += value


@numba.njit(cache=True, parallel=True)
def sgd_update(parameter, velocity, gradient, rate, momentum, decay):
    """V ← μV − lr_k·(g + λW), W ← W + V, per network k, in place; the tensors flattened to [K, n]."""
    for k in numba.prange(parameter.shape[0]):
        step = rate[k]
        for i in range(parameter.shape[1]):
            v = momentum * velocity[k, i] - step * (gradient[k, i] + decay * parameter[k, i])
            velocity[k, i] = v
            parameter[k, i] += v
