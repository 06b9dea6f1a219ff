"""Glorot & Bengio 2010 §4.2.2: the singular values of the layer-to-layer Jacobian J = ∂z^{i+1}/∂z^i at initialization."""
import numpy as np
import torch

from lib.ensemble import StackedMLP


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
