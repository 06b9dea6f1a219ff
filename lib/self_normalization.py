"""Klambauer et al. 2017's self-normalization: the per-layer mean and variance of a deep MLP's activations."""
import numpy as np
import torch

from lib.activations import get_activation
from lib.ensemble import build_mlp
from lib.initializers import get_initializer


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
