"""Glorot & Bengio 2010 §4.2.2: the singular values of the layer-to-layer Jacobian J = ∂z^{i+1}/∂z^i at initialization."""
import numpy as np
import torch

from lib.framework.cache import ExperimentCache
from lib.nets.ensemble import StackedMLP
from lib.nets.initializers import code_digest
from lib.protocols.lab3 import InitSetting, digest, lab3_mlp


def mean_singular_values(net: StackedMLP, x: torch.Tensor, layers: list[int], derivative) -> np.ndarray:
    """Per network and layer l in layers, the mean over inputs and singular values of ∂a_l/∂a_{l-1} =
    diag(φ'(z_l)) W_lᵀ (a = activations, z = pre-activations; derivative = φ'), [K, len(layers)]."""
    with torch.no_grad():
        pre, _ = net.forward_with_taps(x)
        means = []
        for l in layers:
            scaled = net.weights[l].unsqueeze(1) * derivative(pre[l]).unsqueeze(2)  # [K, N, fan_in, fan_out]
            means.append(torch.linalg.svdvals(scaled).mean(dim=(1, 2)))
    return torch.stack(means, dim=1).numpy()


def tanh_derivative(z: torch.Tensor) -> torch.Tensor:
    return 1 - torch.tanh(z) ** 2


def lab3_tanh_singular_values_cached(cache: ExperimentCache, setting: InitSetting, seeds: list[int], x: torch.Tensor,
                                     layers: list[int]) -> np.ndarray:
    """mean_singular_values of len(seeds) tanh Lab3 networks (in float64) on x, through the experiment cache (keyed
    by the inputs themselves, the seeds and the initializer's code)."""
    key = {"init": [setting.name, setting.std], "seeds": seeds, "layers": layers, "inputs": digest(x),
           "init_code": code_digest(setting.name)}
    compute = lambda: {"means": mean_singular_values(lab3_mlp("tanh", setting.initializer(), seeds).to(torch.float64),
                                                     x, layers, tanh_derivative)}
    return cache.load_or_compute("lab3-jacobian", key, __name__, compute, setting.label)["means"]
