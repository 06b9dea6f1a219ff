"""The dying-ReLU experiment of Lab3 problems 2–3 (Lu et al. 2020): many narrow nets trained on a 1-D target."""
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch

from lib.nets.activations import get_activation, identity
from lib.nets.ensemble import StackedMLP, build_mlp_layers
from lib.framework.cache import ExperimentCache
from lib.engine.fast_training import OPTIMIZER_CODES, TrainingRun, flat_parameters, stacked_from_flat, train_regression
from lib.nets.initializers import code_digest, layer_initializer
from lib.framework.naming import lookup, require_count, require_in_range, require_positive
from lib.framework.seeding import child, network_seeds
from lib.protocols.targets import grid, training_sets, get_target

SLOPES = {"relu": 0.0, "leaky_relu": 0.01}


@dataclass(frozen=True)
class LuProtocol:
    """Every setting of one experiment; the defaults are the lab's (docs/claims.md B)."""

    target: str = "f1"
    activation: str = "relu"
    slope: float | None = None  # leaky_relu's slope; None = 0.01, the sheet's φ
    weight_layers: int = 10  # "10-layer": 9 hidden layers of `width`, then a linear output
    width: int = 2
    train_points: int = 3000
    batch_size: int = 64
    epochs: int = 100
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    weight_init: str = "he_normal"
    bias_init: str = "zeros"
    runs: int = 1000

    def __post_init__(self):
        for name in ("weight_layers", "width", "train_points", "batch_size", "runs"):
            require_count(name, getattr(self, name), minimum=2 if name == "weight_layers" else 1)
        require_count("epochs", self.epochs, minimum=0)
        lookup("activation", self.activation, SLOPES)  # each lookup raises a one-line error for an unknown name
        lookup("optimizer", self.optimizer, OPTIMIZER_CODES)
        get_target(self.target)
        require_positive("learning rate", self.lr)
        require_in_range("momentum", self.momentum, 0.0, 1.0, high_open=True)
        if self.slope is not None:
            if self.activation != "leaky_relu":
                raise ValueError(f"slope applies to leaky_relu only, not to activation {self.activation!r}")
            require_in_range("leaky_relu slope", self.slope, 0.0, 1.0)
        layer_initializer(self.weight_init, self.bias_init)

    @property
    def hidden_slope(self) -> float:
        return self.slope if self.activation == "leaky_relu" and self.slope is not None else SLOPES[self.activation]

    @property
    def widths(self) -> list[int]:
        return [1] + [self.width] * (self.weight_layers - 1) + [1]

    def but(self, **changes) -> "LuProtocol":
        return replace(self, **changes)

    def record(self) -> dict:
        return asdict(self) | {"hidden_slope": self.hidden_slope, "hidden_layers": self.weight_layers - 1}


@dataclass
class LuRun:
    """One experiment: the protocol, each run's training targets' mean, and the networks before and after."""

    protocol: LuProtocol
    target_mean: np.ndarray  # [runs]
    target_range: float  # of the target over the grid
    training: TrainingRun

    @property
    def initial(self) -> StackedMLP:
        return self.training.snapshots[0]

    @property
    def final(self) -> StackedMLP:
        return self.training.final


def lu_networks(protocol: LuProtocol, seeds: list[int], device: str = "cpu") -> StackedMLP:
    """One freshly initialized network per seed, as the protocol says."""
    hidden = get_activation(protocol.activation, protocol.slope if protocol.activation == "leaky_relu" else None)
    activations = [hidden] * (protocol.weight_layers - 1) + [identity]
    return build_mlp_layers(protocol.widths, activations, layer_initializer(protocol.weight_init, protocol.bias_init),
                            seeds, device)


def run_lu(protocol: LuProtocol, sequence: np.random.SeedSequence, snapshot_epochs=(0,), device: str = "cpu",
           first_run: int = 0, engine: str = "auto") -> LuRun:
    """Initialize, draw the data of and train protocol.runs networks, runs first_run, first_run + 1, …, each from
    its own spawned seeds (so runs 1000..1999 extend runs 0..999 without retraining them); the networks are kept at
    snapshot_epochs (0 = at initialization) and at the end; engine as lib.engine.fast_training.train_regression's."""
    runs = protocol.runs
    require_count("first run", first_run, minimum=0)
    seeds_of = lambda label: network_seeds(child(sequence, label), runs, first_run)
    net = lu_networks(protocol, seeds_of("init"))
    x, y = training_sets(protocol.target, protocol.train_points, seeds_of("data"))
    training = train_regression(net, protocol.hidden_slope, x, y, seeds_of("shuffle"),
                                protocol.epochs, protocol.batch_size, protocol.optimizer, protocol.lr,
                                protocol.momentum, snapshot_epochs=sorted(set(snapshot_epochs)), device=device,
                                engine=engine)
    values = get_target(protocol.target)(grid())
    return LuRun(protocol, y.mean(axis=1), float(values.max() - values.min()), training)


def run_lu_cached(cache: ExperimentCache, protocol: LuProtocol, sequence: np.random.SeedSequence, snapshot_epochs=(),
                  device: str = "cpu", first_run: int = 0, losses: bool = True) -> LuRun:
    """run_lu through the experiment cache: trained once per protocol, seeds, runs, snapshots, device and lib code.

    Only what is asked for is stored: the final networks, those at snapshot_epochs, the losses when losses."""
    snapshots = sorted(set(snapshot_epochs))
    key = {"protocol": protocol.record(), "entropy": str(sequence.entropy), "spawn_key": list(sequence.spawn_key),
           "first_run": first_run, "snapshots": snapshots, "losses": losses, "device": device,
           "init_code": code_digest(protocol.weight_init, protocol.bias_init)}
    compute = lambda: run_arrays(run_lu(protocol, sequence, snapshots, device, first_run), losses)
    label = (f"{protocol.target} {protocol.activation} {protocol.weight_layers}×{protocol.width}, runs "
             f"{first_run:,}–{first_run + protocol.runs - 1:,}, {protocol.epochs} epochs")
    return run_from_arrays(protocol, cache.load_or_compute("lu-run", key, __name__, compute, label,
                                                           remember=first_run == 0))


LAB_SNAPSHOTS = (0, 1, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)  # epochs kept of the protocol's first runs
BLOCK_RUNS = 4000  # runs trained at once past the first block: x and y of 3,000 points a run take 96 MB each


def lab_runs(cache: ExperimentCache, sequence: np.random.SeedSequence, device: str = "cpu"):
    """run(protocol, first_run=0, snapshots=LAB_SNAPSHOTS) -> LuRun of runs first_run .. first_run + protocol.runs − 1
    under the lab's seeds: run k has the same init, data and shuffle seeds in every setting (per target), each block
    trained once (cached). A first block keeps the networks at snapshots and the losses; later blocks (sequential
    extensions, which claims only count) keep their final networks alone and are not held in memory."""
    def run(protocol: LuProtocol, first_run: int = 0, snapshots=LAB_SNAPSHOTS) -> LuRun:
        first = first_run == 0
        return run_lu_cached(cache, protocol, child(sequence, protocol.target), snapshots if first else (), device,
                             first_run, losses=first)
    return run


def blocks(first_run: int, runs: int, size: int = BLOCK_RUNS) -> list[tuple[int, int]]:
    """Runs first_run .. first_run + runs − 1 as (first run, runs) blocks of at most size, cut at multiples of size,
    so a block is the same whichever stage asks for it (and so cached once)."""
    cuts = sorted({first_run, first_run + runs, *range((first_run // size + 1) * size, first_run + runs, size)})
    return [(start, end - start) for start, end in zip(cuts, cuts[1:])]


def run_arrays(run: LuRun, losses: bool = True) -> dict:
    """A LuRun as plain arrays (the kernel's flat parameter layout), for the cache; its losses only when losses."""
    epochs = sorted(run.training.snapshots)
    size = (len(epochs), run.protocol.runs, flat_parameters(run.final).shape[1])
    return {"final": flat_parameters(run.final), "snapshot_epochs": np.array(epochs, dtype=np.int64),
            "snapshots": np.stack([flat_parameters(run.training.snapshots[e]) for e in epochs]) if epochs else np.zeros(size),
            "target_mean": run.target_mean, "target_range": np.array(run.target_range)} | (
        {"losses": run.training.losses} if losses else {})


def run_from_arrays(protocol: LuProtocol, arrays: dict) -> LuRun:
    template = lu_template(protocol)
    snapshots = {int(e): stacked_from_flat(s, template) for e, s in zip(arrays["snapshot_epochs"], arrays["snapshots"])}
    training = TrainingRun(stacked_from_flat(arrays["final"], template), snapshots, arrays.get("losses"))
    return LuRun(protocol, arrays["target_mean"], float(arrays["target_range"]), training)


def lu_template(protocol: LuProtocol) -> StackedMLP:
    """A one-network StackedMLP of the protocol's shapes and activations (its parameters unused)."""
    hidden = get_activation(protocol.activation, protocol.slope if protocol.activation == "leaky_relu" else None)
    widths = protocol.widths
    return StackedMLP([torch.zeros(1, a, b) for a, b in zip(widths, widths[1:])],
                      [torch.zeros(1, 1, b) for b in widths[1:]], [hidden] * (len(widths) - 2) + [identity])
