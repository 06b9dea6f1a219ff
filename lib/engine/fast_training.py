"""Train a StackedMLP of 1-D regression networks on MSE: the numba kernel on the CPU, torch elsewhere."""
from dataclasses import dataclass

import numpy as np
import torch

from lib.nets.ensemble import StackedMLP
from lib.engine.kernel import ADAM, SGD, train_all
from lib.engine.shuffle import permutation
from lib.framework.naming import lookup, require_count
from lib.nets.training import make_optimizer, train

OPTIMIZER_CODES = {"adam": ADAM, "sgd": SGD}
ENGINES = {"auto": "the kernel on the CPU, torch elsewhere", "kernel": "numba, CPU only", "torch": "lib.nets.training.train",
           "kernel-all": "the kernel computing even the work whose result it knows (dead ReLU layers): to time it"}


@dataclass
class TrainingRun:
    """The trained networks, the networks at each snapshot epoch (0 = at initialization), the losses [epochs, K]
    (None where they were not kept)."""

    final: StackedMLP
    snapshots: dict[int, StackedMLP]
    losses: np.ndarray | None


def flat_parameters(net: StackedMLP) -> np.ndarray:
    """Each network's parameters in the kernel's layout, [K, P] float64."""
    parts = []
    for weight, bias in zip(net.weights, net.biases):
        parts += [weight.detach().reshape(net.count, -1), bias.detach().reshape(net.count, -1)]
    return torch.cat(parts, dim=1).double().cpu().numpy()


def stacked_from_flat(params: np.ndarray, net: StackedMLP) -> StackedMLP:
    """A StackedMLP shaped like net, holding params (the kernel's layout) in float64."""
    flat, offset = torch.from_numpy(np.ascontiguousarray(params)), 0
    weights, biases = [], []
    for weight in net.weights:
        fan_in, fan_out = weight.shape[1:]
        weights.append(flat[:, offset:offset + fan_in * fan_out].reshape(-1, fan_in, fan_out))
        offset += fan_in * fan_out
        biases.append(flat[:, offset:offset + fan_out].reshape(-1, 1, fan_out))
        offset += fan_out
    return StackedMLP(weights, biases, net.activations)


def train_regression(net: StackedMLP, slope: float, x: np.ndarray, y: np.ndarray, shuffle_seeds: list[int],
                     epochs: int, batch_size: int, optimizer: str = "adam", lr: float = 1e-3,
                     momentum: float = 0.0, snapshot_epochs=(), device: str = "cpu", engine: str = "auto") -> TrainingRun:
    """Train net (1 → … → 1, hidden (leaky) ReLU of the given slope, linear output) on x, y [K, N].

    Network k shuffles its data each epoch with permutation(shuffle_seeds[k], epoch, N). engine "kernel"
    trains with the numba kernel (CPU only), "torch" with lib.nets.training.train on device; "auto" picks the
    kernel on the CPU and torch elsewhere. Both take the same steps. "kernel-all" is the kernel without leaving out
    the work below a dead ReLU layer (lib.engine.kernel_two_wide._dead_layer, _freeze): the same bits, slower.
    """
    require_count("batch size", batch_size)
    require_count("epochs", epochs, minimum=0)
    code = lookup("optimizer", optimizer, OPTIMIZER_CODES)
    snapshot_at = np.zeros(epochs + 1, dtype=np.bool_)
    snapshot_at[[e for e in snapshot_epochs if 0 <= e <= epochs]] = True
    lookup("engine", engine, ENGINES)
    if engine in ("kernel", "kernel-all") or (engine == "auto" and device == "cpu"):
        params = flat_parameters(net)
        snapshots = np.zeros((int(snapshot_at.sum()), net.count, params.shape[1]))
        losses = np.zeros((epochs, net.count))
        widths = np.array([net.weights[0].shape[1]] + [w.shape[2] for w in net.weights], dtype=np.int64)
        train_all(params, widths, float(slope), np.ascontiguousarray(x, dtype=np.float64),
                  np.ascontiguousarray(y, dtype=np.float64), np.array(shuffle_seeds, dtype=np.uint64), epochs,
                  batch_size, code, lr, 0.9, 0.999, 1e-8, momentum, snapshot_at, snapshots, losses,
                  skip_dead=engine != "kernel-all")
        kept = [stacked_from_flat(s, net) for s in snapshots]
        return TrainingRun(stacked_from_flat(params, net), dict(zip(np.flatnonzero(snapshot_at).tolist(), kept)), losses)
    return _train_with_torch(net, x, y, shuffle_seeds, epochs, batch_size, optimizer, lr, momentum, snapshot_at, device)


def _train_with_torch(net, x, y, shuffle_seeds, epochs, batch_size, optimizer, lr, momentum, snapshot_at, device):
    net = net.to(torch.float64, device)
    snapshots = {}

    def keep(epoch, current):
        if snapshot_at[epoch]:
            snapshots[epoch] = StackedMLP([w.detach().cpu().clone() for w in current.weights],
                                          [b.detach().cpu().clone() for b in current.biases], current.activations)

    options = {"lr": lr} | ({"momentum": momentum} if optimizer == "sgd" else {})
    orders = (torch.from_numpy(np.stack([permutation(s, e, x.shape[1]) for s in shuffle_seeds])) for e in range(epochs))
    mse = lambda out, target: (out - target).pow(2).mean(dim=(1, 2))
    as_tensor = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float64)).unsqueeze(-1).to(device)
    losses = train(net, as_tensor(x), as_tensor(y), mse, make_optimizer(optimizer, net.parameters(), **options),
                   epochs, batch_size, seed=0, on_epoch=keep, orders=orders)
    final = net.to(device="cpu")
    return TrainingRun(final, snapshots, losses.numpy())
