"""Named activation functions, as torch callables."""
from functools import partial
from typing import Callable

import torch
import torch.nn.functional as F

from lib.framework.naming import lookup, require_in_range

Activation = Callable[[torch.Tensor], torch.Tensor]


def identity(x: torch.Tensor) -> torch.Tensor:
    """The linear (no-op) activation of an output or embedding layer."""
    return x


def leaky_relu(x: torch.Tensor, slope: float = 0.01) -> torch.Tensor:
    """φ(z) = z for z > 0, slope·z otherwise (Lab3 problem 3, slope 0.01)."""
    return F.leaky_relu(x, negative_slope=slope)


ACTIVATIONS = {
    "identity": identity,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "leaky_relu": leaky_relu,
    "selu": F.selu,  # λ·x for x > 0, λα(eˣ − 1) otherwise, α ≈ 1.6733, λ ≈ 1.0507 (Klambauer et al. 2017)
}


def get_activation(name: str, slope: float | None = None) -> Activation:
    """The activation called name; slope applies to leaky_relu only."""
    function = lookup("activation", name, ACTIVATIONS)
    if slope is None:
        return function
    if name != "leaky_relu":
        raise ValueError(f"slope applies to leaky_relu only, not to {name!r}")
    require_in_range("leaky_relu slope", slope, 0.0, 1.0)
    return partial(leaky_relu, slope=slope)
