"""K independent MLPs held as stacked tensors, so one batched op runs all of them."""
from dataclasses import dataclass

import torch

from lib.nets.activations import Activation
from lib.nets.initializers import Initializer, LayerInitializer, paired
from lib.framework.naming import require_count


@dataclass
class StackedMLP:
    """Layer l maps x[K, N, fan_in] to activations[l](x @ weights[l] + biases[l]), per network k."""

    weights: list[torch.Tensor]  # layer l: [K, fan_in, fan_out]
    biases: list[torch.Tensor]  # layer l: [K, 1, fan_out]
    activations: list[Activation]  # one per layer

    @property
    def count(self) -> int:
        return self.weights[0].shape[0]

    def parameters(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]

    def to(self, dtype: torch.dtype | None = None, device: str | None = None) -> "StackedMLP":
        """A copy with every parameter in dtype and on device (each unchanged where None)."""
        move = lambda tensors: [t.detach().to(device=device, dtype=dtype) for t in tensors]
        return StackedMLP(move(self.weights), move(self.biases), self.activations)

    def requires_grad_(self, flag: bool = True) -> "StackedMLP":
        for tensor in self.parameters():
            tensor.requires_grad_(flag)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs [K, N, out] for inputs x [N, in] (shared) or [K, N, in] (one set per network)."""
        for weight, bias, activation in zip(self.weights, self.biases, self.activations):
            x = activation(torch.baddbmm(bias, _batched(x, self.count), weight))
        return x

    def forward_with_taps(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Per layer, the pre-activations and the activations, each [K, N, width]."""
        pre, post = [], []
        for weight, bias, activation in zip(self.weights, self.biases, self.activations):
            z = torch.baddbmm(bias, _batched(x, self.count), weight)
            x = activation(z)
            pre.append(z)
            post.append(x)
        return pre, post


def _batched(x: torch.Tensor, count: int) -> torch.Tensor:
    return x if x.dim() == 3 else x.unsqueeze(0).expand(count, *x.shape)


def build_mlp(
    widths: list[int],
    activations: list[Activation],
    weight_init: Initializer,
    bias_init: Initializer,
    seeds: list[int],
    device: str = "cpu",
) -> StackedMLP:
    """len(seeds) MLPs with layer sizes widths; network k draws all its parameters from seeds[k]."""
    return build_mlp_layers(widths, activations, paired(weight_init, bias_init), seeds, device)


def build_mlp_layers(widths: list[int], activations: list[Activation], layer_init: LayerInitializer, seeds: list[int],
                     device: str = "cpu") -> StackedMLP:
    """build_mlp with each layer's weights and biases drawn together by layer_init (for joint schemes such as RAI)."""
    if len(activations) != len(widths) - 1:
        raise ValueError(f"need one activation per layer: {len(widths) - 1}, got {len(activations)}")
    for width in widths:
        require_count("width", width)
    require_count("network count", len(seeds))
    layers = list(zip(widths[:-1], widths[1:]))
    per_network = [_draw_network(layers, layer_init, seed) for seed in seeds]
    weights = [torch.cat([net[l][0] for net in per_network]).to(device) for l in range(len(layers))]
    biases = [torch.cat([net[l][1] for net in per_network]).to(device) for l in range(len(layers))]
    return StackedMLP(weights, biases, list(activations))


def _draw_network(layers, layer_init, seed):
    generator = torch.Generator().manual_seed(seed)
    return [layer_init(1, fan_in, fan_out, generator) for fan_in, fan_out in layers]
