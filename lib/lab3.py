"""The Lab3 / Perunicic MLP: 784 → linear 100 → hidden × [100 + activation] → 10 (softmax in the loss)."""
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lib.activations import get_activation, identity
from lib.ensemble import StackedMLP, build_mlp
from lib.initializers import Initializer, get_initializer
from lib.probes import LayerStats, activation_sample, probe_layers


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
        labels = {"glorot_normal": "Xavier", "he_normal": "He"}
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


def deep_relu_mlp(weight_layers: int, width: int, weight_init: Initializer, seeds: list[int],
                  inputs: int = 784, classes: int = 10, device: str = "cpu") -> StackedMLP:
    """He et al. 2015 Fig. 3 as an MLP: weight_layers layers, ReLU after all but the last, biases zero."""
    widths = [inputs] + [width] * (weight_layers - 1) + [classes]
    activations = [get_activation("relu")] * (weight_layers - 1) + [identity]
    return build_mlp(widths, activations, weight_init, get_initializer("zeros"), seeds, device)
