"""The IN3050/4050 Week10 notebook: its small model, its data, and per-sample gradients (Week10 1.2–2.8)."""
import hashlib
import math

import numpy as np
import torch

from lib.nets.activations import get_activation, identity
from lib.framework.cache import ExperimentCache
from lib.nets.ensemble import StackedMLP, _batched, build_mlp
from lib.nets.initializers import get_initializer

WIDTHS = [2, 2, 2, 2, 2]  # input 2, three hidden Dense(2) with the activation, a linear Dense(2) output
INITS = {"uniform": {"name": "uniform", "low": -1.0, "high": 1.0}, "glorot_normal": {"name": "glorot_normal"}}
INIT_LABELS = {"uniform": "U(−1, 1)", "glorot_normal": "Glorot normal"}


def my_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """σ(x) = 1 / (1 + e^−x), as exercise 1.2 writes it."""
    return 1 / (1 + torch.exp(-x))


def my_sigmoid_grad(a: torch.Tensor) -> torch.Tensor:
    """σ'(x) from the activation a = σ(x): a(1 − a) (exercise 1.2)."""
    return a * (1 - a)


def week10_init(init: str):
    """The notebook's weight initializers: RandomUniform(−1, 1) or GlorotNormal."""
    options = dict(INITS[init]) if init in INITS else {"name": init}
    return get_initializer(options.pop("name"), **options)


def week10_mlp(activation: str, init: str, seeds: list[int], widths: list[int] = WIDTHS) -> StackedMLP:
    """len(seeds) copies of the notebook's model, zero biases (Keras' default)."""
    hidden = get_activation(activation)
    activations = [hidden] * (len(widths) - 2) + [identity]
    return build_mlp(widths, activations, week10_init(init), get_initializer("zeros"), seeds)


def generate_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The course helper's generateData: x1 ~ U(−π, π), x2 ~ U(0, 1), y = (sin x1 + x2, cos x1 + x2) + N(0, 0.05²)."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.uniform(-math.pi, math.pi, n), rng.uniform(0, 1, n)
    y = np.stack([np.sin(x1) + x2, np.cos(x1) + x2], axis=1) + rng.normal(0, 0.05, (n, 2))
    return torch.tensor(np.stack([x1, x2], axis=1), dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def per_sample_weight_gradients(net: StackedMLP, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    """Per layer, each sample's gradient of its MSE (mean over outputs) with respect to the layer's weights,
    [K, N, fan_in, fan_out]: the outer product of the layer's input and the gradient at its pre-activation. x and y
    are [N, in] and [N, out] for every network alike, or [K, N, in] and [K, N, out], each network's own."""
    net.requires_grad_(True)
    pre, post = net.forward_with_taps(x)
    for z in pre:
        z.retain_grad()
    (post[-1] - y).pow(2).mean(dim=2).sum().backward()  # samples and networks are independent
    net.requires_grad_(False)
    for tensor in net.parameters():
        tensor.grad = None
    inputs = [_batched(x, net.count)] + [a.detach() for a in post[:-1]]
    return [torch.einsum("kni,knj->knij", a, z.grad) for a, z in zip(inputs, pre)]


CENTRE = math.atanh(1 / math.sqrt(2))  # |z| below it: tanh'(z) ≥ 1/2, half the gradient's largest value


def tanh_shares(init: str, fan_in: int, inits: int, generator: torch.Generator, units: int = 8, samples: int = 64,
                scale: float = 1.0, growth: float = 0.0) -> dict[str, np.ndarray]:
    """Per initialization, the share of tanh units saturated (|a| > 0.99) and in the centre range (tanh' ≥ 1/2) in a
    square layer of width fan_in fed by fan_in unit-variance inputs (Week10 2.7); `units` of its fan_in columns are
    drawn, each column being iid. scale and growth (controls): the weights times scale · fan_in**growth."""
    x = torch.randn(inits, samples, fan_in, generator=generator)
    w = week10_init(init)((inits, fan_in, units), fan_in, fan_in, generator) * (scale * fan_in**growth)
    z = torch.bmm(x, w)
    return {"saturated": (torch.tanh(z).abs() > 0.99).float().mean(dim=(1, 2)).numpy(),
            "centre": (z.abs() <= CENTRE).float().mean(dim=(1, 2)).numpy()}


def tanh_shares_cached(cache: ExperimentCache, init: str, fan_in: int, inits: int, seed: int, scale: float = 1.0,
                       growth: float = 0.0) -> dict[str, np.ndarray]:
    """tanh_shares through the experiment cache, its generator seeded with seed."""
    key = {"init": init, "fan_in": fan_in, "inits": inits, "seed": seed, "scale": scale, "growth": growth}
    compute = lambda: tanh_shares(init, fan_in, inits, torch.Generator().manual_seed(seed), scale=scale, growth=growth)
    return cache.load_or_compute("week10-tanh-shares", key, __name__, compute)


def gradient_spread(gradients: list[torch.Tensor]) -> np.ndarray:
    """Per network and layer, the std of its per-sample weight gradients over samples and entries, [K, layers]."""
    return torch.stack([g.flatten(1).std(dim=1) for g in gradients], dim=1).double().numpy()


def exact_zero_share(gradients: list[torch.Tensor]) -> np.ndarray:
    """Per network and layer, the share of per-sample weight-gradient entries that are exactly 0, [K, layers]."""
    return torch.stack([(g == 0).flatten(1).float().mean(dim=1) for g in gradients], dim=1).double().numpy()


def gradient_ensemble(activation: str, init: str, seeds: list[int], x, y, single_seed: int) -> dict:
    """Per-sample weight gradients of len(seeds) notebook models on x, y: per-layer spread and exact-zero share
    [K, 4], a 20,000-value sample per layer for violins, and the same for the one model of single_seed."""
    gradients = per_sample_weight_gradients(week10_mlp(activation, init, seeds), x, y)
    single = per_sample_weight_gradients(week10_mlp(activation, init, [single_seed]), x, y)
    return {"spread": gradient_spread(gradients), "zeros": exact_zero_share(gradients),
            "pooled": violin_sample(gradients), "single": violin_sample(single),
            "single_spread": gradient_spread(single)[0]}


def gradient_ensemble_cached(cache: ExperimentCache, activation: str, init: str, seeds: list[int], x, y,
                             single_seed: int) -> dict:
    key = {"activation": activation, "init": init, "seeds": seeds, "single_seed": single_seed,
           "data": hashlib.sha256(x.numpy().tobytes() + y.numpy().tobytes()).hexdigest()[:16]}
    compute = lambda: gradient_ensemble(activation, init, seeds, x, y, single_seed)
    return cache.load_or_compute("week10-gradients", key, __name__, compute, f"{activation} {init}")


def violin_sample(gradients: list[torch.Tensor], size: int = 20_000) -> np.ndarray:
    """size values drawn (with a fixed generator) from each layer's gradients, [layers, size]."""
    rng = np.random.default_rng(0)
    values = [g.flatten().numpy() for g in gradients]
    return np.stack([v[rng.integers(0, v.size, size)] for v in values])
