"""Per network, the output's range over a grid, for (leaky) ReLU nets: one numba pass, no [K, N, width] tensors.

Collapse is decided from this range (lib.protocols.collapse). Torch's batched matmul over a 1,000 × 2,001 × width-2 stack
spends most of its time on tiny inner products; here each network walks the grid with its activations in a few
scalars, in the training kernel's parameter layout (lib.engine.fast_training.flat_parameters).
"""
import hashlib
import inspect
from functools import partial

import numba
import numpy as np
import torch

from lib.nets.activations import identity, leaky_relu
from lib.nets.ensemble import StackedMLP
from lib.engine.fast_training import flat_parameters
from lib.engine.kernel import _layer_offsets
from lib.engine import numba_cache

numba_cache.watch()  # before the decorators below: their cache follows every engine file

LEAKY_DEFAULT = inspect.signature(leaky_relu).parameters["slope"].default
MEMORY = 256  # output ranges kept: a few MB at most (a [K] float64 array each, K ≤ 4,000 in the claims)
_REMEMBERED: dict[str, np.ndarray] = {}


def leaky_slope(activation) -> float | None:
    """The negative-side slope of a ReLU-family activation (0 for ReLU), None for any other."""
    if activation is torch.relu:
        return 0.0
    if activation is leaky_relu:
        return LEAKY_DEFAULT
    if isinstance(activation, partial) and activation.func is leaky_relu and not activation.args:
        return float(activation.keywords.get("slope", LEAKY_DEFAULT))
    return None


def kernel_slope(net: StackedMLP) -> float | None:
    """The hidden slope when the kernel can evaluate net (one input, float64 on the CPU, one ReLU-family slope in
    every hidden layer, a linear output), else None."""
    *hidden, last = net.activations
    slopes = {leaky_slope(a) for a in hidden}
    on_cpu = all(w.device.type == "cpu" and w.dtype == torch.float64 for w in net.weights)
    if net.weights[0].shape[1] != 1 or not on_cpu or last is not identity or len(slopes) != 1 or None in slopes:
        return None
    return slopes.pop()


def output_range_kernel(net: StackedMLP, grid: np.ndarray, slope: float) -> np.ndarray:
    """Per network, max − min of its outputs over the grid points, [K] (see kernel_slope for which nets). The claims
    ask for one run's ranges several times (at several tolerances, in several claims), so the last MEMORY results
    are kept, keyed by the digest of everything they are computed from."""
    widths = np.array([net.weights[0].shape[1]] + [w.shape[2] for w in net.weights], dtype=np.int64)
    params, grid = flat_parameters(net), np.ascontiguousarray(grid, dtype=np.float64)
    key = hashlib.sha256(b"".join(a.tobytes() for a in (widths, np.array([slope, params.shape[0]]), grid, params)))
    key = key.hexdigest()
    if key not in _REMEMBERED:
        ranges = np.empty(net.count)
        _ranges(params, widths, float(slope), grid, ranges)
        _REMEMBERED[key] = ranges
        while len(_REMEMBERED) > MEMORY:
            _REMEMBERED.pop(next(iter(_REMEMBERED)))
    return _REMEMBERED[key].copy()


@numba.njit(cache=True, parallel=True)
def _ranges(params, widths, slope, x, ranges):
    """Layer by layer over all grid points at once (the loops over points vectorize), per network."""
    layers, points = widths.shape[0] - 1, x.shape[0]
    offsets = _layer_offsets(widths)
    width = widths.max()
    for k in numba.prange(params.shape[0]):
        p = params[k]
        a = np.empty((width, points))
        z = np.empty((width, points))
        a[0] = x
        for l in range(layers):
            fan_in, fan_out, o = widths[l], widths[l + 1], offsets[l]
            for j in range(fan_out):
                bias = p[o + fan_in * fan_out + j]
                zj = z[j]
                zj[:] = 0.0
                for i in range(fan_in):
                    w, ai = p[o + i * fan_out + j], a[i]
                    for n in range(points):
                        zj[n] += ai[n] * w
                for n in range(points):
                    zj[n] += bias
            hidden_slope = 1.0 if l == layers - 1 else slope
            for j in range(fan_out):
                zj, aj = z[j], a[j]
                for n in range(points):
                    aj[n] = zj[n] if zj[n] > 0 else hidden_slope * zj[n]
        low, high = np.inf, -np.inf
        for j in range(widths[layers]):
            low = min(low, a[j].min())
            high = max(high, a[j].max())
        ranges[k] = high - low
