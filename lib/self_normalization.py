"""Klambauer et al. 2017's self-normalization: the per-layer mean and variance of a deep MLP's activations."""
import numpy as np
import torch

from lib.activations import get_activation
from lib.cache import ExperimentCache
from lib.ensemble import build_mlp
from lib.initializers import code_digest, get_initializer
from lib.lab3 import digest


def off_fixed_point_inputs(count: int, width: int, mean: float, variance: float, generator: torch.Generator) -> torch.Tensor:
    """count input vectors of width iid N(mean, variance) entries, [count, width]."""
    return mean + variance ** 0.5 * torch.randn((count, width), generator=generator, dtype=torch.float64)


def layer_moments(activation: str, weight_init: str, depth: int, width: int, seeds: list[int],
                  x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Per network and layer, the mean and the variance of the activations over units and inputs, each [K, depth],
    for depth layers of width units with zero biases (a square MLP; x [N, width])."""
    net = build_mlp([width] * (depth + 1), [get_activation(activation)] * depth, get_initializer(weight_init),
                    get_initializer("zeros"), seeds).to(torch.float64)
    with torch.no_grad():
        _, post = net.forward_with_taps(x)
    means = torch.stack([a.flatten(1).mean(dim=1) for a in post], dim=1)
    variances = torch.stack([a.flatten(1).var(dim=1) for a in post], dim=1)
    return means.numpy(), variances.numpy()


def layer_moments_cached(cache: ExperimentCache, activation: str, weight_init: str, depth: int, width: int,
                         seeds: list[int], x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """layer_moments through the experiment cache (keyed by the inputs themselves, the seeds and the init's code)."""
    key = {"activation": activation, "weight_init": weight_init, "depth": depth, "width": width, "seeds": seeds,
           "inputs": digest(x), "init_code": code_digest(weight_init)}

    def compute():
        means, variances = layer_moments(activation, weight_init, depth, width, seeds, x)
        return {"means": means, "variances": variances}

    arrays = cache.load_or_compute("selu-moments", key, __name__, compute, f"{activation} + {weight_init}")
    return arrays["means"], arrays["variances"]
