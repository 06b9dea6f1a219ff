"""Named weight and bias initializers: functions of (shape, fan_in, fan_out, generator)."""
import hashlib
import inspect
import math
from functools import partial
from typing import Callable

import torch

from lib.framework.naming import lookup, require_finite, require_positive

Initializer = Callable[[tuple, int, int, torch.Generator], torch.Tensor]
LayerInitializer = Callable[[int, int, int, torch.Generator], tuple[torch.Tensor, torch.Tensor]]
RAI_SCALE = 0.6007  # Lu et al. 2020's σ for RAI's symmetric part, times 1/√fan_in


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


def beta_2_1(shape, generator) -> torch.Tensor:
    """Draws from Beta(2, 1) (density 2x on [0, 1]) by inverting its CDF x²: √U."""
    return torch.rand(shape, generator=generator).sqrt()


def rai(count, fan_in, fan_out, generator, positive=beta_2_1):
    """Randomized asymmetric initialization, weights and biases together (Lu et al. 2020, RAI; the procedure of
    docs/claims.md D): per neuron, [w | b] ~ N(0, 0.6007² / fan_in), then one of its fan_in + 1 entries, picked
    uniformly, replaced by a Beta(2, 1) draw. Returns weights [count, fan_in, fan_out] and biases [count, 1, fan_out]."""
    v = torch.randn((count, fan_out, fan_in + 1), generator=generator) * (RAI_SCALE / math.sqrt(fan_in))
    chosen = torch.randint(fan_in + 1, (count, fan_out, 1), generator=generator)
    v.scatter_(2, chosen, positive((count, fan_out, 1), generator))
    return v[:, :, :-1].transpose(1, 2).contiguous(), v[:, :, -1:].transpose(1, 2).contiguous()


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
LAYER_INITIALIZERS = {"rai": rai}  # draw a layer's weights and biases together: name one as both weight and bias init
ALIASES = {"xavier": "glorot_normal", "xavier_normal": "glorot_normal", "xavier_uniform": "glorot_uniform",
           "glorot_standard": "torch_default"}  # Glorot & Bengio 2010 eq. 1's "standard" U[−1/√n, 1/√n], n = fan_in
BUILT_IN = frozenset({*INITIALIZERS, *LAYER_INITIALIZERS, *ALIASES})


def get_initializer(name: str, **params) -> Initializer:
    """The initializer called name, with params bound (normal: std; uniform: low, high)."""
    if name in LAYER_INITIALIZERS:
        raise ValueError(f"initializer {name!r} draws weights and biases together: name it as both, "
                         f"weight_init={name!r} and bias_init={name!r}")
    function = lookup("initializer", ALIASES.get(name, name), INITIALIZERS)
    if "std" in params:
        require_positive("std", params["std"])
    for bound in ("low", "high"):
        if bound in params:
            require_finite(f"uniform {bound}", params[bound])
    if "low" in params and "high" in params and not params["low"] < params["high"]:
        raise ValueError(f"uniform needs low < high, got low={params['low']!r}, high={params['high']!r}")
    return partial(function, **params) if params else function


def register_initializer(name: str, function, joint: bool = False) -> None:
    """Make function available by name: an Initializer (shape, fan_in, fan_out, generator) -> tensor, or with
    joint=True a LayerInitializer (count, fan_in, fan_out, generator) -> (weights, biases) such as rai. A name
    registered this way may be registered again (a module imported twice); a built-in name may not."""
    if name in BUILT_IN:
        raise ValueError(f"initializer {name!r} is built in; pick another name")
    INITIALIZERS.pop(name, None)
    LAYER_INITIALIZERS.pop(name, None)
    (LAYER_INITIALIZERS if joint else INITIALIZERS)[name] = function


def code_digest(*names: str) -> str:
    """A hash of the source code of the named initializers, so a cached experiment is recomputed when one changes,
    including one registered from outside lib/."""
    h = hashlib.sha256()
    for name in names:
        function = LAYER_INITIALIZERS.get(name) or lookup("initializer", ALIASES.get(name, name), INITIALIZERS)
        function = function.func if isinstance(function, partial) else function
        try:
            h.update(inspect.getsource(function).encode())
        except (OSError, TypeError):
            h.update(repr(function).encode())
    return h.hexdigest()[:16]


def layer_initializer(weight_init: str, bias_init: str) -> LayerInitializer:
    """How a layer's weights and biases are drawn: a joint initializer named as both, or one initializer each."""
    if weight_init in LAYER_INITIALIZERS or bias_init in LAYER_INITIALIZERS:
        if weight_init != bias_init:
            joint = weight_init if weight_init in LAYER_INITIALIZERS else bias_init
            raise ValueError(f"initializer {joint!r} draws weights and biases together: name it as both, "
                             f"not weight_init={weight_init!r} with bias_init={bias_init!r}")
        return LAYER_INITIALIZERS[weight_init]
    return paired(get_initializer(weight_init), get_initializer(bias_init))


def paired(weight_init: Initializer, bias_init: Initializer) -> LayerInitializer:
    """A layer initializer that draws count layers' weights, then their biases, each from its own initializer."""
    def draw(count, fan_in, fan_out, generator):
        return (weight_init((count, fan_in, fan_out), fan_in, fan_out, generator),
                bias_init((count, 1, fan_out), fan_in, fan_out, generator))
    return draw


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
