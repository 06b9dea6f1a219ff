"""He et al. 2015 §3's training of K stacked ReLU MLPs at once, with the backward pass written out: each layer is one
batched matrix product over the stack (forward, weight gradient, delta), the elementwise work between them is
fused (lib/engine/deep_kernels.py on the CPU, torch's ops elsewhere), and nothing waits on the host inside an epoch.

Update, per network and weight tensor (§3: momentum 0.9, weight decay 0.0005, the form of Krizhevsky et al. 2012):
V ← μV − lr·(g + λW), W ← W + V; biases take the same step without the decay. Each network has its own learning
rate, switched down when its held-out error plateaus (lib.nets.plateau).
"""
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import torch

from lib.engine import deep_kernels
from lib.framework.naming import require_count, require_in_range
from lib.nets.plateau import Plateau, PlateauState


@dataclass(frozen=True)
class SgdSetting:
    """He et al. 2015 §3's settings: mini-batches of 128, weight decay 0.0005, momentum 0.9; the rate on plateaus."""

    epochs: int
    batch_size: int = 128
    momentum: float = 0.9
    weight_decay: float = 5e-4
    plateau: Plateau = field(default_factory=Plateau)

    def __post_init__(self):
        require_count("epochs", self.epochs)
        require_count("batch size", self.batch_size)
        require_in_range("momentum", self.momentum, 0.0, 1.0, high_open=True)
        require_in_range("weight decay", self.weight_decay, 0.0, 1.0)


@dataclass
class Curves:
    """Per network: each epoch's mean training loss and learning rate [K, epochs]; the held-out error and loss
    before training and after each epoch [K, epochs + 1]."""

    train_loss: np.ndarray
    rate: np.ndarray
    held_out_error: np.ndarray
    held_out_loss: np.ndarray


def matmul_flops_per_sample(widths: list[int]) -> int:
    """The matrix products' floating-point operations per training sample (a multiply-add counted as 2): the
    forward product and the weight gradient at every layer, the delta below every layer but the first."""
    layers = list(zip(widths, widths[1:]))
    return 2 * sum(a * b for a, b in layers) * 2 + 2 * sum(a * b for a, b in layers[1:])


def train_stack(weights: list[torch.Tensor], biases: list[torch.Tensor], x: torch.Tensor, labels: torch.Tensor,
                x_held: torch.Tensor, labels_held: torch.Tensor, orders: Iterator[torch.Tensor],
                setting: SgdSetting, on_epoch: Callable[[int], None] | None = None) -> Curves:
    """Train the stacked ReLU MLPs (weights[l]: [K, fan_in, fan_out], biases[l]: [K, 1, fan_out], ReLU after all
    but the last layer) in place on x [N, d], labels [N]; orders: one [K, N] permutation per epoch."""
    count, epochs = weights[0].shape[0], setting.epochs
    schedule = PlateauState(setting.plateau, count, x.device, weights[0].dtype)
    velocity = [torch.zeros_like(t) for t in weights + biases]
    train_loss = torch.zeros(epochs, count, dtype=torch.float64, device=x.device)
    rates = torch.zeros(epochs, count, dtype=torch.float64, device=x.device)
    held = [held_out(weights, biases, x_held, labels_held)]
    done = 0
    for epoch, order in zip(range(epochs), orders):
        order = order.to(x.device)
        rates[epoch] = schedule.rate
        for start in range(0, x.shape[0], setting.batch_size):
            rows = order[:, start:start + setting.batch_size]
            batch = x.index_select(0, rows.reshape(-1)).view(count, rows.shape[1], x.shape[1])
            loss = sgd_step(weights, biases, velocity, batch, labels[rows], schedule.rate, setting)
            train_loss[epoch] += loss * (rows.shape[1] / x.shape[0])
        held.append(held_out(weights, biases, x_held, labels_held))
        schedule.step(held[-1][0])
        done = epoch + 1
        if on_epoch:
            on_epoch(done)
    if done != epochs:
        raise ValueError(f"orders holds {done} epochs' permutations, not {epochs}")
    error, loss = (torch.stack(values, dim=1).cpu().numpy() for values in zip(*held))
    return Curves(train_loss.T.cpu().numpy(), rates.T.cpu().numpy(), error, loss)


def sgd_step(weights, biases, velocity, batch, labels, rate, setting: SgdSetting) -> torch.Tensor:
    """One step on a batch [K, B, d] with labels [K, B]: returns each network's mean cross-entropy [K]. On the CPU
    the elementwise passes are numba's fused loops (lib/engine/deep_kernels.py), elsewhere torch's ops."""
    fused = on_cpu(batch)
    inputs = [batch]
    for weight, bias in zip(weights[:-1], biases[:-1]):
        inputs.append(relu_layer(inputs[-1], weight, bias, fused))
    log_p = torch.log_softmax(torch.baddbmm(biases[-1], inputs[-1], weights[-1]), dim=2)
    picked = labels.unsqueeze(2)
    loss = -log_p.gather(2, picked).squeeze(2).mean(dim=1)
    delta = log_p.exp_().scatter_add_(2, picked, torch.full_like(picked, -1, dtype=log_p.dtype))
    delta.div_(batch.shape[1])  # d(mean loss)/d(logits)
    grad_b = delta.sum(dim=1, keepdim=True)
    layers = len(weights)
    for l in reversed(range(layers)):
        grad_w = torch.bmm(inputs[l].transpose(1, 2), delta)
        if l > 0:  # the delta below, through this layer's weights before they move, gated by the ReLU
            below = torch.bmm(delta, weights[l].transpose(1, 2))
            below_grad_b = gate(below, inputs[l], fused)
        update(weights[l], velocity[l], grad_w, rate, setting.momentum, setting.weight_decay, fused)
        update(biases[l], velocity[layers + l], grad_b, rate, setting.momentum, 0.0, fused)
        if l > 0:
            delta, grad_b = below, below_grad_b
    return loss


def on_cpu(tensor: torch.Tensor) -> bool:
    """Whether the fused numba passes apply (CPU tensors); elsewhere torch's ops run."""
    return tensor.device.type == "cpu"


def relu_layer(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, fused: bool) -> torch.Tensor:
    """max(x @ weight + bias, 0) per network."""
    if not fused:
        return torch.baddbmm(bias, x, weight).clamp_(min=0)
    h = torch.bmm(x, weight)
    deep_kernels.bias_relu(h.numpy(), bias.numpy())
    return h


def gate(delta: torch.Tensor, activation: torch.Tensor, fused: bool) -> torch.Tensor:
    """delta zeroed where the ReLU was off (activation 0), in place; returns its sum over the batch [K, 1, n]."""
    if not fused:
        delta.mul_(activation > 0)
        return delta.sum(dim=1, keepdim=True)
    sums = torch.empty(delta.shape[0], 1, delta.shape[2], dtype=delta.dtype)
    deep_kernels.gate_and_sum(delta.numpy(), activation.numpy(), sums.numpy())
    return sums


def update(parameter, velocity, gradient, rate, momentum: float, decay: float, fused: bool) -> None:
    """V ← μV − lr·(g + λW), then W ← W + V, in place, each network at its own rate (Krizhevsky et al. 2012's form,
    as Caffe's)."""
    if fused:
        flat = lambda t: t.view(t.shape[0], -1).numpy()
        deep_kernels.sgd_update(flat(parameter), flat(velocity), flat(gradient), rate.numpy(), momentum, decay)
        return
    velocity.mul_(momentum).addcmul_(gradient.add_(parameter, alpha=decay), rate.view(-1, 1, 1), value=-1)
    parameter.add_(velocity)


def held_out(weights, biases, x, labels) -> tuple[torch.Tensor, torch.Tensor]:
    """Each network's error (a net with non-finite outputs counts every digit wrong) and mean cross-entropy on x."""
    h = torch.matmul(x, weights[0]).add_(biases[0])
    for weight, bias in zip(weights[1:], biases[1:]):
        h = torch.baddbmm(bias, h.clamp_(min=0), weight)
    right = (h.argmax(dim=2) == labels) & torch.isfinite(h).all(dim=2)
    loss = torch.nn.functional.cross_entropy(h.transpose(1, 2), labels.expand(h.shape[:2]), reduction="none")
    return (~right).double().mean(dim=1), loss.double().mean(dim=1)  # wrong / N: exact at a threshold's digits
