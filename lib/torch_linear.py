"""Layers as PyTorch itself initializes them: parameters read from a freshly constructed torch.nn.Linear."""
import torch

from lib.activations import get_activation, identity
from lib.ensemble import StackedMLP, build_mlp_layers


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
    """The Lab3 MLP (lib.lab3.lab3_mlp's shapes) with every layer a real nn.Linear at its default init; biases=False
    zeroes the biases after construction."""
    widths = [inputs, width] + [width] * hidden_layers + [classes]
    activations = [identity] + [get_activation(activation)] * hidden_layers + [identity]
    net = build_mlp_layers(widths, activations, torch_linear, seeds)
    return net if biases else StackedMLP(net.weights, [torch.zeros_like(b) for b in net.biases], net.activations)
