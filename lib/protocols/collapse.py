"""Deciding that a trained 1-D network collapsed: one rule on a dense grid, for every activation.

A network is *collapsed at tolerance τ* when its output varies over the grid by at most τ times the
target's range over the same grid: an exactly constant ReLU net meets every τ; a leaky net, never
exactly constant, meets the τ its leak allows. The structural view: a hidden layer is *dead* when
none of its units has a positive pre-activation at any grid point.
"""
import numpy as np
import torch

from lib.framework.cache import ExperimentCache
from lib.nets.ensemble import StackedMLP
from lib.engine.grid_range import kernel_slope, output_range_kernel
from lib.protocols.targets import grid
from lib.nets.initializers import LayerInitializer, code_digest, get_initializer, layer_initializer

TOLERANCES = (1e-6, 1e-4, 1e-3, 1e-2, 1e-1)
HEADLINE_TOLERANCE = 1e-3  # "effectively constant": varies by under 0.1% of the target's range


def output_range(net: StackedMLP, grid: np.ndarray) -> np.ndarray:
    """Per network, max − min of its output over the grid, [K]: lib.engine.grid_range's kernel for the (leaky) ReLU nets it
    takes, torch for the rest."""
    slope = kernel_slope(net)
    if slope is not None:
        return output_range_kernel(net, grid, slope)
    with torch.no_grad():
        out = net.forward(_column(grid, net))
    return (out.amax(dim=(1, 2)) - out.amin(dim=(1, 2))).numpy()


def collapsed(net: StackedMLP, grid: np.ndarray, target_range: float, tolerance: float = HEADLINE_TOLERANCE) -> np.ndarray:
    """Per network, whether it is constant on the grid to within tolerance × target_range, [K] bool."""
    return output_range(net, grid) <= tolerance * target_range


def collapsed_runs(run, tolerance: float = HEADLINE_TOLERANCE, net: StackedMLP | None = None,
                   points: np.ndarray | None = None) -> np.ndarray:
    """Per run of a LuRun, whether its network (its final one, or net's) is collapsed at tolerance on the grid
    points (lib.protocols.targets.grid() unless given), [runs] bool: run k of two settings shares its seeds, so these pair."""
    points = grid() if points is None else points
    return collapsed(run.final if net is None else net, points, run.target_range, tolerance)


def collapse_count(run, tolerance: float = HEADLINE_TOLERANCE, net: StackedMLP | None = None,
                   points: np.ndarray | None = None) -> int:
    """How many of a LuRun's networks are collapsed (collapsed_runs)."""
    return int(collapsed_runs(run, tolerance, net, points).sum())


def collapsed_fractions(net: StackedMLP, grid: np.ndarray, target_range: float) -> dict[float, int]:
    """How many networks are collapsed at each of TOLERANCES."""
    spread = output_range(net, grid)
    return {tol: int((spread <= tol * target_range).sum()) for tol in TOLERANCES}


def dead_layers(net: StackedMLP, grid: np.ndarray) -> np.ndarray:
    """Per network and hidden layer, whether no unit is active (z > 0) anywhere on the grid (points shared by every
    network [N], or a row of its own per network [K, N]), [K, hidden]."""
    with torch.no_grad():
        pre, _ = net.forward_with_taps(_column(grid, net))
    return torch.stack([(z <= 0).all(dim=2).all(dim=1) for z in pre[:-1]], dim=1).numpy()


def first_dead_layer(dead: np.ndarray) -> np.ndarray:
    """Per network, the 1-based index of its first dead hidden layer, 0 where none is dead."""
    return np.where(dead.any(axis=1), dead.argmax(axis=1) + 1, 0)


def _column(grid: np.ndarray, net: StackedMLP) -> torch.Tensor:
    """The grid as the net's input: [N, 1] for points every network shares, [K, N, 1] for a row of points each."""
    points = torch.as_tensor(grid, dtype=net.weights[0].dtype)
    return points.reshape(-1, 1) if points.dim() == 1 else points.unsqueeze(-1)


def dead_on_positive_ray(width: int, hidden_layers: int, count: int, weight_init, generator: torch.Generator) -> np.ndarray:
    """Simulate count zero-bias ReLU nets at initialization: is some hidden layer dead at x = 1 (so for all x > 0)?"""
    a, fan_in = torch.ones(count, 1, 1), 1
    dead = torch.zeros(count, dtype=torch.bool)
    for _ in range(hidden_layers):
        z = torch.bmm(a, weight_init((count, fan_in, width), fan_in, width, generator))
        dead |= (z <= 0).all(dim=2).squeeze(1)
        a, fan_in = torch.relu(z), width
    return dead.numpy()


def born_dead_cached(cache: ExperimentCache, width: int, hidden_layers: int, count: int, weight_init: str,
                     seed: int) -> np.ndarray:
    """dead_on_positive_ray through the experiment cache, its generator seeded with seed."""
    key = {"width": width, "hidden_layers": hidden_layers, "count": count, "weight_init": weight_init, "seed": seed}
    compute = lambda: {"dead": dead_on_positive_ray(width, hidden_layers, count, get_initializer(weight_init),
                                                    torch.Generator().manual_seed(seed))}
    return cache.load_or_compute("born-dead", key, __name__, compute)["dead"]


def born_constant(layer_init: LayerInitializer, width: int, hidden_layers: int, count: int, generator: torch.Generator,
                  grid: np.ndarray, chunk: int = 1000) -> np.ndarray:
    """Simulate count 1-D ReLU nets at initialization, each hidden layer's weights and biases from layer_init: is the
    last hidden layer (so the output) exactly constant over the grid, i.e. was the net born dead on the domain? [count]"""
    x = torch.as_tensor(grid, dtype=torch.float64).reshape(1, -1, 1)
    constant = []
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        a, fan_in = x.expand(size, -1, -1), 1
        for _ in range(hidden_layers):
            weight, bias = layer_init(size, fan_in, width, generator)
            a, fan_in = torch.relu(torch.baddbmm(bias.double(), a, weight.double())), width
        constant.append((a.amax(dim=1) == a.amin(dim=1)).all(dim=1))
    return torch.cat(constant).numpy()


def born_constant_cached(cache: ExperimentCache, weight_init: str, bias_init: str, width: int, hidden_layers: int,
                         count: int, seed: int, grid: np.ndarray) -> np.ndarray:
    """born_constant through the experiment cache, its generator seeded with seed."""
    key = {"weight_init": weight_init, "bias_init": bias_init, "width": width, "hidden_layers": hidden_layers,
           "count": count, "seed": seed, "grid": [float(grid[0]), float(grid[-1]), len(grid)],
           "init_code": code_digest(weight_init, bias_init)}
    compute = lambda: {"constant": born_constant(layer_initializer(weight_init, bias_init), width, hidden_layers, count,
                                                 torch.Generator().manual_seed(seed), grid)}
    label = f"born dead on the domain, {weight_init}, width {width}, {hidden_layers} hidden layers"
    return cache.load_or_compute("born-constant", key, __name__, compute, label)["constant"]
