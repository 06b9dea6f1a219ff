"""The obvious single-network training loop, the reference that the batched engine must reproduce."""
import numpy as np
import torch

from lib.engine.shuffle import permutation


def sequential_from(weights: list[torch.Tensor], biases: list[torch.Tensor], slope: float) -> torch.nn.Sequential:
    """An nn.Sequential (float64) holding one network's weights [fan_in, fan_out] and biases, (leaky) ReLU between."""
    layers = []
    for l, (w, b) in enumerate(zip(weights, biases)):
        linear = torch.nn.Linear(w.shape[0], w.shape[1]).double()
        with torch.no_grad():
            linear.weight.copy_(w.T)
            linear.bias.copy_(b.flatten())
        layers.append(linear)
        if l < len(weights) - 1:
            layers.append(torch.nn.LeakyReLU(slope) if slope else torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def train_one(model: torch.nn.Sequential, x: np.ndarray, y: np.ndarray, seed: int, epochs: int, batch_size: int,
              optimizer: str = "adam", lr: float = 1e-3, momentum: float = 0.0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Train model on MSE in the kernel's batch order (permutation(seed, epoch, N)); its (W, b) per layer."""
    options = {"lr": lr} | ({"momentum": momentum} if optimizer == "sgd" else {})
    opt = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[optimizer](model.parameters(), **options)
    x, y = torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y).unsqueeze(1)
    for epoch in range(epochs):
        order = torch.from_numpy(permutation(seed, epoch, len(x)))
        for start in range(0, len(x), batch_size):
            rows = order[start:start + batch_size]
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x[rows]), y[rows]).backward()
            opt.step()
    return [(m.weight.detach().T, m.bias.detach()) for m in model if isinstance(m, torch.nn.Linear)]
