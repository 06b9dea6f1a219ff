"""The dying-ReLU experiment of Lab3 problems 2–3 (Lu et al. 2020): many narrow nets trained on a 1-D target."""
from dataclasses import asdict, dataclass, replace

import numpy as np

from lib.activations import get_activation, identity
from lib.ensemble import StackedMLP, build_mlp
from lib.fast_training import TrainingRun, train_regression
from lib.initializers import get_initializer
from lib.naming import lookup, require_count
from lib.seeding import child, network_seeds
from lib.targets import grid, training_sets, get_target

SLOPES = {"relu": 0.0, "leaky_relu": 0.01}


@dataclass(frozen=True)
class LuProtocol:
    """Every setting of one experiment; the defaults are the lab's (CLAIMS.md B)."""

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
        get_target(self.target)
        get_initializer(self.weight_init)
        get_initializer(self.bias_init)

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
    return build_mlp(protocol.widths, activations, get_initializer(protocol.weight_init),
                     get_initializer(protocol.bias_init), seeds, device)


def run_lu(protocol: LuProtocol, sequence: np.random.SeedSequence, snapshot_epochs=(), device: str = "cpu",
           first_run: int = 0) -> LuRun:
    """Initialize, draw the data of and train protocol.runs networks, runs first_run, first_run + 1, …, each from
    its own spawned seeds (so runs 1000..1999 extend runs 0..999 without retraining them)."""
    runs = protocol.runs
    require_count("first run", first_run, minimum=0)
    seeds_of = lambda label: network_seeds(child(sequence, label), runs, first_run)
    net = lu_networks(protocol, seeds_of("init"))
    x, y = training_sets(protocol.target, protocol.train_points, seeds_of("data"))
    training = train_regression(net, protocol.hidden_slope, x, y, seeds_of("shuffle"),
                                protocol.epochs, protocol.batch_size, protocol.optimizer, protocol.lr,
                                protocol.momentum, snapshot_epochs=sorted({0, *snapshot_epochs}), device=device)
    values = get_target(protocol.target)(grid())
    return LuRun(protocol, y.mean(axis=1), float(values.max() - values.min()), training)
