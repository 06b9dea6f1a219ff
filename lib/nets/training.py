"""Minibatch training of K stacked networks at once: one optimizer step trains all of them.

The loss is the sum of the networks' own mean losses, so each network's gradient is its own, and
Adam and SGD, acting per element, keep the networks independent (DESIGN.md, Speed).
"""
from typing import Callable, Iterator

import torch

from lib.nets.ensemble import StackedMLP
from lib.framework.naming import lookup, require_count

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}


def make_optimizer(name: str, parameters: list[torch.Tensor], **options) -> torch.optim.Optimizer:
    """torch.optim.Adam or SGD over parameters; options go to the optimizer (lr, momentum, …)."""
    return lookup("optimizer", name, OPTIMIZERS)(parameters, **options)


def batch_orders(count: int, size: int, epochs: int, seed: int) -> Iterator[torch.Tensor]:
    """Per epoch, one random permutation of range(size) per network, [count, size]."""
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        yield torch.argsort(torch.rand(count, size, generator=generator), dim=1)


def gather_batch(data: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Rows indices [K, B] of data, shared ([N] or [N, d]) or one set per network ([K, N, d]): [K, B, d]."""
    if data.dim() < 3:
        return data[indices]
    return data[torch.arange(data.shape[0], device=data.device).unsqueeze(1), indices]


def train(
    net: StackedMLP,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_per_network: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    batch_size: int,
    seed: int | None = None,
    on_epoch: Callable[[int, StackedMLP], None] | None = None,
    orders: Iterator[torch.Tensor] | None = None,
) -> torch.Tensor:
    """Train all networks of net in place; returns each epoch's mean batch loss per network, [epochs, K].

    x, y: one data set shared by all networks ([N, d]) or one per network ([K, N, d]). Each network
    sees its own shuffle every epoch (batch_orders(K, N, epochs, seed)); a last partial batch is kept.
    on_epoch(epoch, net) runs after each epoch, and once before training with epoch 0. orders, if
    given, replaces batch_orders (and seed): one [K, N] permutation tensor per epoch, exactly epochs of them.
    """
    require_count("batch size", batch_size)
    require_count("epochs", epochs, minimum=0)
    size = x.shape[-2]
    net.requires_grad_(True)
    history = torch.zeros(epochs, net.count, device=x.device)  # on the device: no wait for the GPU at every step
    if on_epoch:
        on_epoch(0, net)
    if orders is None and seed is None:
        raise ValueError("train needs a shuffle seed or the orders themselves")
    done = 0
    for epoch, order in enumerate(orders if orders is not None else batch_orders(net.count, size, epochs, seed)):
        if epoch == epochs:
            raise ValueError(f"orders holds more than the {epochs} epochs' permutations")
        order = order.to(x.device)
        for start in range(0, size, batch_size):
            rows = order[:, start:start + batch_size]
            losses = loss_per_network(net.forward(gather_batch(x, rows)), gather_batch(y, rows))
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()
            optimizer.step()
            history[epoch] += losses.detach() * rows.shape[1] / size
        if on_epoch:
            on_epoch(epoch + 1, net)
        done = epoch + 1
    if done != epochs:
        raise ValueError(f"orders holds {done} epochs' permutations, not {epochs}")
    net.requires_grad_(False)
    return history.cpu()
