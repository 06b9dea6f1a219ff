"""Per-layer activation and gradient statistics of a StackedMLP at one batch (docs/claims.md, section A)."""
from dataclasses import dataclass

import numpy as np
import torch

from lib.nets.ensemble import StackedMLP

SATURATION = {"tanh": lambda a: a.abs() > 0.99, "sigmoid": lambda a: (a < 0.01) | (a > 0.99)}


@dataclass
class LayerStats:
    """Each field is [K, layers]: one row a network, one column a probed layer."""

    std: np.ndarray  # std of all activations of the layer
    second_moment: np.ndarray  # E[a²]
    spread: np.ndarray  # per-unit std over the samples, averaged over units
    saturated: np.ndarray  # share of saturated units (tanh, sigmoid; 0 otherwise)
    zero: np.ndarray  # share of exactly-zero activations
    weight_grad_norm: np.ndarray  # ‖∂loss/∂W_l‖ of the layer's weights
    backprop_grad_norm: np.ndarray  # ‖∂loss/∂z_l‖, the gradient that reaches the layer's pre-activations


def probe_layers(net: StackedMLP, x: torch.Tensor, loss_fn, layers: list[int], activation: str) -> LayerStats:
    """Statistics of the listed layers; loss_fn maps outputs [K, N, out] to per-network losses [K]."""
    net.requires_grad_(True)
    pre, post = net.forward_with_taps(x)
    for z in pre:
        z.retain_grad()
    loss_fn(post[-1]).sum().backward()  # networks share no parameters: each gets its own gradient
    saturated = SATURATION.get(activation, lambda a: torch.zeros_like(a, dtype=torch.bool))
    rows = {name: [] for name in LayerStats.__dataclass_fields__}
    with torch.no_grad():
        for l in layers:
            a = post[l]
            rows["std"].append(a.flatten(1).std(dim=1))
            rows["second_moment"].append(a.pow(2).flatten(1).mean(dim=1))
            rows["spread"].append(a.std(dim=1).mean(dim=1))
            rows["saturated"].append(saturated(a).flatten(1).float().mean(dim=1))
            rows["zero"].append((a == 0).flatten(1).float().mean(dim=1))
            rows["weight_grad_norm"].append(net.weights[l].grad.flatten(1).norm(dim=1))
            rows["backprop_grad_norm"].append(pre[l].grad.flatten(1).norm(dim=1))
    net.requires_grad_(False)
    for tensor in net.parameters():
        tensor.grad = None
    return LayerStats(**{name: torch.stack(v, dim=1).double().numpy() for name, v in rows.items()})


def activation_sample(net: StackedMLP, x: torch.Tensor, layers: list[int], per_layer: int, seed: int) -> np.ndarray:
    """A random sample (with replacement) of per_layer activation values from each listed layer, [layers, per_layer]."""
    with torch.no_grad():
        _, post = net.forward_with_taps(x)
    rng = np.random.default_rng(seed)
    out = []
    for l in layers:
        values = post[l].flatten().cpu().numpy()
        out.append(values[rng.integers(0, values.size, size=per_layer)])
    return np.stack(out)
