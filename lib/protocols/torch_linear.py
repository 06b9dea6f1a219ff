"""Layers as PyTorch itself initializes them: parameters read from a freshly constructed torch.nn.Linear."""
from dataclasses import asdict

import numpy as np
import torch

from lib.nets.activations import get_activation, identity
from lib.framework.cache import ExperimentCache
from lib.nets.ensemble import StackedMLP, build_mlp_layers
from lib.protocols.lab3 import HIDDEN_LAYERS, cross_entropy_per_network, digest
from lib.nets.probes import LayerStats, probe_layers


def torch_linear(count: int, fan_in: int, fan_out: int, generator: torch.Generator):
    """count torch.nn.Linear(fan_in, fan_out) layers, each built under a seed drawn from generator (torch's global
    RNG is restored afterwards); their weights transposed to [count, fan_in, fan_out], biases [count, 1, fan_out]."""
    weights, biases = [], []
    for seed in torch.randint(2**62, (count,), generator=generator).tolist():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            layer = torch.nn.Linear(fan_in, fan_out)
        weights.append(layer.weight.detach().T)
        biases.append(layer.bias.detach().reshape(1, fan_out))
    return torch.stack(weights), torch.stack(biases)


def torch_default_lab3_mlp(activation: str, seeds: list[int], biases: bool = True, hidden_layers: int = 5,
                           width: int = 100, inputs: int = 784, classes: int = 10) -> StackedMLP:
    """The Lab3 MLP (lib.protocols.lab3.lab3_mlp's shapes) with every layer a real nn.Linear at its default init; biases=False
    zeroes the biases after construction."""
    widths = [inputs, width] + [width] * hidden_layers + [classes]
    activations = [identity] + [get_activation(activation)] * hidden_layers + [identity]
    net = build_mlp_layers(widths, activations, torch_linear, seeds)
    return net if biases else StackedMLP(net.weights, [torch.zeros_like(b) for b in net.biases], net.activations)


def probe_torch_default(activation: str, seeds: list[int], biases: bool, x, labels, device: str = "cpu",
                        chunk: int = 100) -> LayerStats:
    """Layer statistics of torch_default_lab3_mlp nets of seeds on x, labels, probed chunk networks at a time."""
    x, labels = x.to(device), labels.to(device)
    probe = lambda net: probe_layers(net.to(device=device), x, lambda out: cross_entropy_per_network(out, labels),
                                     HIDDEN_LAYERS, activation)
    chunks = [probe(torch_default_lab3_mlp(activation, seeds[i:i + chunk], biases)) for i in range(0, len(seeds), chunk)]
    return LayerStats(**{f: np.concatenate([getattr(c, f) for c in chunks]) for f in LayerStats.__dataclass_fields__})


def probe_torch_default_cached(cache: ExperimentCache, activation: str, seeds: list[int], biases: bool, x, labels,
                               device: str = "cpu", chunk: int = 100) -> LayerStats:
    """probe_torch_default through the experiment cache (keyed by the digits themselves, the seeds and the device)."""
    key = {"activation": activation, "seeds": seeds, "biases": biases, "device": device, "chunk": chunk,
           "data": digest(x, labels)}
    compute = lambda: asdict(probe_torch_default(activation, seeds, biases, x, labels, device, chunk))
    label = f"{activation}, nn.Linear default weights, {'default' if biases else 'zero'} biases"
    return LayerStats(**cache.load_or_compute("torch-default-probe", key, __name__, compute, label))
