"""Named weight and bias initializers: functions of (shape, fan_in, fan_out, generator)."""
import math
from functools import partial
from typing import Callable

import torch

from lib.naming import lookup, require_finite, require_positive

Initializer = Callable[[tuple, int, int, torch.Generator], torch.Tensor]


def _normal(shape, std, generator):
    return torch.randn(shape, generator=generator) * std


def _uniform(shape, low, high, generator):
    return torch.rand(shape, generator=generator) * (high - low) + low


def normal(shape, fan_in, fan_out, generator, std=0.05):
    """N(0, std²), Keras RandomNormal(0, std)."""
    return _normal(shape, std, generator)


def uniform(shape, fan_in, fan_out, generator, low=-0.05, high=0.05):
    """U(low, high), Keras RandomUniform(low, high)."""
    return _uniform(shape, low, high, generator)


def glorot_normal(shape, fan_in, fan_out, generator):
    """N(0, 2 / (fan_in + fan_out)), Glorot & Bengio 2010 (untruncated)."""
    return _normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), generator)


def glorot_uniform(shape, fan_in, fan_out, generator):
    """U(±√(6 / (fan_in + fan_out))), Glorot & Bengio 2010 eq. 16."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return _uniform(shape, -limit, limit, generator)


def he_normal(shape, fan_in, fan_out, generator):
    """N(0, 2 / fan_in), He et al. 2015 (untruncated)."""
    return _normal(shape, math.sqrt(2.0 / fan_in), generator)


def he_uniform(shape, fan_in, fan_out, generator):
    """U(±√(6 / fan_in)): variance 2 / fan_in, He et al. 2015."""
    limit = math.sqrt(6.0 / fan_in)
    return _uniform(shape, -limit, limit, generator)


def lecun_normal(shape, fan_in, fan_out, generator):
    """N(0, 1 / fan_in), LeCun et al. 1998 (untruncated)."""
    return _normal(shape, math.sqrt(1.0 / fan_in), generator)


def zeros(shape, fan_in, fan_out, generator):
    """All zeros (the usual bias initializer)."""
    return torch.zeros(shape)


def torch_default(shape, fan_in, fan_out, generator):
    """U(±1/√fan_in): PyTorch's nn.Linear default (its bias rule; for weights too, as kaiming_uniform(a=√5))."""
    limit = 1.0 / math.sqrt(fan_in)
    return _uniform(shape, -limit, limit, generator)


INITIALIZERS = {
    "normal": normal,
    "uniform": uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun_normal": lecun_normal,
    "zeros": zeros,
    "torch_default": torch_default,
}
ALIASES = {"xavier": "glorot_normal", "xavier_normal": "glorot_normal", "xavier_uniform": "glorot_uniform"}


def get_initializer(name: str, **params) -> Initializer:
    """The initializer called name, with params bound (normal: std; uniform: low, high)."""
    function = lookup("initializer", ALIASES.get(name, name), INITIALIZERS)
    if "std" in params:
        require_positive("std", params["std"])
    for bound in ("low", "high"):
        if bound in params:
            require_finite(f"uniform {bound}", params[bound])
    if "low" in params and "high" in params and not params["low"] < params["high"]:
        raise ValueError(f"uniform needs low < high, got low={params['low']!r}, high={params['high']!r}")
    return partial(function, **params) if params else function


def weight_std(name: str, fan_in: int, fan_out: int, **params) -> float:
    """The standard deviation that initializer name gives a weight (theory, for checks)."""
    name = ALIASES.get(name, name)
    stds = {
        "normal": lambda: params.get("std", 0.05),
        "uniform": lambda: (params.get("high", 0.05) - params.get("low", -0.05)) / math.sqrt(12),
        "glorot_normal": lambda: math.sqrt(2.0 / (fan_in + fan_out)),
        "glorot_uniform": lambda: math.sqrt(2.0 / (fan_in + fan_out)),
        "he_normal": lambda: math.sqrt(2.0 / fan_in),
        "he_uniform": lambda: math.sqrt(2.0 / fan_in),
        "lecun_normal": lambda: math.sqrt(1.0 / fan_in),
        "zeros": lambda: 0.0,
        "torch_default": lambda: 1.0 / math.sqrt(3 * fan_in),
    }
    return lookup("initializer", name, stds)()
