"""Klambauer et al. 2017's self-normalization: the per-layer mean and variance of a deep MLP's activations."""
import numpy as np
import torch

from lib.nets.activations import get_activation
from lib.framework.cache import ExperimentCache
from lib.nets.ensemble import _batched, build_mlp
from lib.nets.initializers import code_digest, get_initializer, weight_std
from lib.protocols.lab3 import digest


def off_fixed_point_inputs(count: int, width: int, mean: float, variance: float, generator: torch.Generator) -> torch.Tensor:
    """count input vectors of width iid N(mean, variance) entries, [count, width]."""
    return mean + variance ** 0.5 * torch.randn((count, width), generator=generator, dtype=torch.float64)


def square(depth: int, width: int) -> list[int]:
    """The layer sizes of a square MLP: depth layers of width units, fed width inputs."""
    return [width] * (depth + 1)


def alternating(depth: int, narrow: int, wide: int) -> list[int]:
    """The layer sizes of an MLP whose layers are not square: narrow inputs, then depth layers of wide, narrow, wide,
    … units (so fan_in ≠ fan_out in every layer)."""
    return [narrow if l % 2 == 0 else wide for l in range(depth + 1)]


def weight_tau(weight_init: str, widths: list[int]) -> list[float]:
    """Klambauer et al. 2017's τ = n·Var[w] of each layer (n = fan_in): 1 for LeCun normal, 2 for He normal."""
    return [fan_in * weight_std(weight_init, fan_in, fan_out) ** 2 for fan_in, fan_out in zip(widths, widths[1:])]


def layer_moments(activation: str, weight_init: str, widths: list[int], seeds: list[int],
                  x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Per network and layer, the mean and the variance of the activations over units and inputs, each [K, depth],
    for an MLP of layer sizes widths with zero biases (x [N, widths[0]]). Layer by layer, keeping one layer's
    activations at a time: all 32 layers' taps of 100 nets of width 400 would take 10 GB."""
    depth = len(widths) - 1
    net = build_mlp(list(widths), [get_activation(activation)] * depth, get_initializer(weight_init),
                    get_initializer("zeros"), seeds).to(torch.float64)
    means, variances, a = [], [], _batched(x, net.count)
    with torch.no_grad():
        for weight, bias, layer_activation in zip(net.weights, net.biases, net.activations):
            a = layer_activation(torch.baddbmm(bias, a, weight))
            means.append(a.flatten(1).mean(dim=1))
            variances.append(a.flatten(1).var(dim=1))
    return torch.stack(means, dim=1).numpy(), torch.stack(variances, dim=1).numpy()


def layer_moments_cached(cache: ExperimentCache, activation: str, weight_init: str, widths: list[int],
                         seeds: list[int], x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """layer_moments through the experiment cache (keyed by the inputs themselves, the seeds and the init's code)."""
    key = {"activation": activation, "weight_init": weight_init, "widths": list(widths), "seeds": seeds,
           "inputs": digest(x), "init_code": code_digest(weight_init)}

    def compute():
        means, variances = layer_moments(activation, weight_init, widths, seeds, x)
        return {"means": means, "variances": variances}

    arrays = cache.load_or_compute("selu-moments", key, __name__, compute, f"{activation} + {weight_init}")
    return arrays["means"], arrays["variances"]
