"""The Lab3 / Perunicic MLP: 784 → linear 100 → hidden × [100 + activation] → 10 (softmax in the loss)."""
import hashlib
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lib.nets.activations import get_activation, identity
from lib.framework.cache import ExperimentCache
from lib.nets.ensemble import StackedMLP, build_mlp
from lib.nets.initializers import Initializer, code_digest, get_initializer
from lib.nets.probes import SATURATION, LayerStats, activation_sample, probe_layers


def lab3_mlp(
    activation: str,
    weight_init: Initializer,
    seeds: list[int],
    hidden_layers: int = 5,
    width: int = 100,
    inputs: int = 784,
    classes: int = 10,
    device: str = "cpu",
) -> StackedMLP:
    """len(seeds) Lab3 networks with zero biases; layer 0 is the linear embedding, the last the logits."""
    widths = [inputs, width] + [width] * hidden_layers + [classes]
    activations = [identity] + [get_activation(activation)] * hidden_layers + [identity]
    return build_mlp(widths, activations, weight_init, get_initializer("zeros"), seeds, device)


def cross_entropy_per_network(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Each network's mean cross-entropy, [K], for logits [K, N, classes] and labels [N] or [K, N]."""
    labels = labels.expand(logits.shape[:2])
    losses = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
    return losses.mean(dim=1)


HIDDEN_LAYERS = [1, 2, 3, 4, 5]  # layer indices of the five activation layers; 0 is the embedding
LAYER_NAMES = [f"h{l}" for l in HIDDEN_LAYERS]


@dataclass(frozen=True)
class InitSetting:
    """A weight initializer by name, with its std for 'normal'; the label names it in figures."""

    name: str
    std: float | None = None

    @property
    def label(self) -> str:
        labels = {"glorot_normal": "Xavier", "he_normal": "He", "glorot_standard": "standard U[±1/√n]",
                  "glorot_uniform": "normalized U[±√6/√(n_j + n_j+1)]"}
        return f"N(0, {self.std:g})" if self.name == "normal" else labels.get(self.name, self.name)

    def initializer(self) -> Initializer:
        return get_initializer(self.name, std=self.std) if self.std is not None else get_initializer(self.name)


def probe_lab3(activation: str, setting: InitSetting, seeds: list[int], x, labels, device: str = "cpu",
               sample_size: int = 4000) -> tuple[LayerStats, np.ndarray]:
    """Per-layer statistics of len(seeds) freshly initialized Lab3 networks on x, labels, and a
    sample of each hidden layer's activations, [layers, sample_size], for figures."""
    net = lab3_mlp(activation, setting.initializer(), seeds, device=device)
    x, labels = x.to(device), labels.to(device)
    stats = probe_layers(net, x, lambda logits: cross_entropy_per_network(logits, labels), HIDDEN_LAYERS, activation)
    return stats, activation_sample(net, x, HIDDEN_LAYERS, sample_size, seeds[0])


def saturated_shares(activation: str, setting: InitSetting, seeds: list[int], x, device: str = "cpu",
                     chunk: int = 100) -> np.ndarray:
    """[networks, hidden layers]: each fresh Lab3 network's share of saturated units (lib.nets.probes.SATURATION) on
    x, forward only, chunk networks at a time; network k is probe_lab3's network of the same seed."""
    shares = []
    with torch.no_grad():
        for start in range(0, len(seeds), chunk):
            net = lab3_mlp(activation, setting.initializer(), seeds[start:start + chunk], device=device)
            _, post = net.forward_with_taps(x.to(device))
            shares.append(torch.stack([SATURATION[activation](post[l]).flatten(1).float().mean(dim=1).double()
                                       for l in HIDDEN_LAYERS], dim=1).cpu().numpy())
    return np.concatenate(shares)


def saturated_shares_cached(cache: ExperimentCache, activation: str, setting: InitSetting, seeds: list[int], x,
                            device: str = "cpu") -> np.ndarray:
    """saturated_shares through the experiment cache (keyed by the digits, the seeds and the device)."""
    key = {"activation": activation, "init": [setting.name, setting.std], "seeds": seeds, "device": device,
           "data": digest(x), "init_code": code_digest(setting.name)}
    compute = lambda: {"shares": saturated_shares(activation, setting, seeds, x, device)}
    return cache.load_or_compute("lab3-saturation", key, __name__, compute, f"{activation} {setting.label}")["shares"]


def probe_lab3_cached(cache: ExperimentCache, activation: str, setting: InitSetting, seeds: list[int], x, labels,
                      device: str = "cpu") -> tuple[LayerStats, np.ndarray]:
    """probe_lab3 through the experiment cache (keyed by the digits themselves, the seeds and the device)."""
    key = {"activation": activation, "init": [setting.name, setting.std], "seeds": seeds, "device": device,
           "data": digest(x, labels), "init_code": code_digest(setting.name)}

    def compute():
        stats, sample = probe_lab3(activation, setting, seeds, x, labels, device)
        return {**asdict(stats), "sample": sample}

    arrays = dict(cache.load_or_compute("lab3-probe", key, __name__, compute, f"{activation} {setting.label}"))
    sample = arrays.pop("sample")
    return LayerStats(**arrays), sample


def digest(*tensors) -> str:
    """A short content hash of tensors, to key an experiment by its data."""
    h = hashlib.sha256()
    for t in tensors:
        h.update(np.ascontiguousarray(t.cpu().numpy()).tobytes())
    return h.hexdigest()[:16]
