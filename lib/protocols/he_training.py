"""He et al. 2015 §3's training, as far as an MLP on the bundled MNIST digits allows: deep ReLU MLPs (biases zero)
trained by SGD with momentum 0.9, weight decay 0.0005 and batch 128, each net's learning rate switched from 1e-2
to 1e-3 and 1e-4 when its held-out error plateaus, on a stratified 4,000 / 1,000 split with the training split's
per-pixel mean subtracted."""
from dataclasses import asdict, dataclass

import numpy as np
import torch

from lib.engine.deep_sgd import Curves, SgdSetting, train_stack
from lib.framework.cache import ExperimentCache
from lib.framework.progress import epoch_reporter
from lib.framework.seeding import child, network_seeds, seed_for
from lib.nets.activations import get_activation, identity
from lib.nets.ensemble import StackedMLP, build_mlp
from lib.nets.initializers import Initializer, code_digest, get_initializer
from lib.nets.plateau import Plateau
from lib.nets.training import batch_orders
from lib.protocols.data import mnist_sample
from lib.protocols.lab3 import digest

HELD_OUT_PER_CLASS = 100  # of each digit's 500: 4,000 to train on, 1,000 held out
SPLIT_SEED = 0  # the split is the same for every root seed, as a benchmark's validation set is
NETS = 21  # nets per initializer and depth (the pilot trained 16: lib/protocols/calibrations/he.py)
WIDTH = 100  # units a hidden layer
CHANCE_ERROR = 0.9  # held-out error of a net that guesses (ten balanced digits)
STARTED = 0.8  # held-out error a net "starts reducing error" below: a tenth below chance
CONVERGED = 0.45  # held-out error a converged net ends below: half of chance
EPOCHS = 313  # of 32 steps: the fewest giving one ImageNet epoch of §3's steps (claims/he_common.py)
SETTING = SgdSetting(epochs=EPOCHS, batch_size=128, momentum=0.9, weight_decay=5e-4,
                     plateau=Plateau(watch_below=STARTED))


@dataclass(frozen=True)
class DeepReluJob:
    """One stack of nets: their initializer, each net's init seed, and the shuffle seed they share."""

    weight_init: str
    seeds: list[int]
    shuffle_seed: int


@dataclass(frozen=True)
class Split:
    """The digits to train on and those held out, both centred by the training digits' per-pixel mean."""

    x: torch.Tensor
    labels: torch.Tensor
    x_held: torch.Tensor
    labels_held: torch.Tensor


def held_out_split(pixels: torch.Tensor, labels: torch.Tensor, per_class: int = HELD_OUT_PER_CLASS) -> Split:
    """A stratified split: per class, per_class digits held out at random (SPLIT_SEED), the rest to train on; the
    per-pixel mean subtracted, as in §3, the mean taken over the training digits only."""
    generator = torch.Generator().manual_seed(SPLIT_SEED)
    held = torch.zeros(len(labels), dtype=torch.bool)
    for digit in labels.unique():
        members = torch.nonzero(labels == digit).flatten()
        chosen = members[torch.randperm(len(members), generator=generator)[:per_class]]
        held[chosen] = True
    x = pixels.double()
    mean = x[~held].mean(dim=0)
    return Split(x[~held] - mean, labels[~held], x[held] - mean, labels[held])


def data_split() -> Split:
    """The bundled digits, split and centred."""
    return held_out_split(*mnist_sample())


def training_jobs(sequence, initializers=("glorot_normal", "he_normal")) -> dict[str, DeepReluJob]:
    """Per initializer, one stack of NETS nets: the same init seeds and one shuffle seed for every initializer."""
    init_seeds, shuffle = network_seeds(child(sequence, "init"), NETS), seed_for(sequence, "shuffle")
    return {name: DeepReluJob(name, init_seeds, shuffle) for name in initializers}


def deep_relu_mlp(weight_layers: int, width: int, weight_init: Initializer, seeds: list[int],
                  inputs: int = 784, classes: int = 10) -> StackedMLP:
    """He et al. 2015 Fig. 3 as an MLP: weight_layers layers, ReLU after all but the last, biases zero (§3)."""
    widths = [inputs] + [width] * (weight_layers - 1) + [classes]
    activations = [get_activation("relu")] * (weight_layers - 1) + [identity]
    return build_mlp(widths, activations, weight_init, get_initializer("zeros"), seeds)


def train_jobs(jobs: list[DeepReluJob], split: Split, weight_layers: int, width: int, setting: SgdSetting,
               device: str = "cpu") -> list[Curves]:
    """Every job's nets trained in one stack (weights drawn in float32, trained in float64); each net's arithmetic
    is its own, so a job's curves do not depend on the jobs beside it (tests/test_he_prefill.py)."""
    stacks = [deep_relu_mlp(weight_layers, width, get_initializer(job.weight_init), job.seeds) for job in jobs]
    weights = [torch.cat(layer).to(device, torch.float64) for layer in zip(*(s.weights for s in stacks))]
    biases = [torch.cat(layer).to(device, torch.float64) for layer in zip(*(s.biases for s in stacks))]
    per_job = [batch_orders(len(job.seeds), len(split.labels), setting.epochs, job.shuffle_seed) for job in jobs]
    orders = (torch.cat(epoch_orders) for epoch_orders in zip(*per_job))
    name = " + ".join(sorted({job.weight_init for job in jobs}))
    report = epoch_reporter(f"{weight_layers}-layer {name}", setting.epochs, every=max(1, setting.epochs // 10))
    on = lambda t: t.to(device)
    curves = train_stack(weights, biases, on(split.x), on(split.labels), on(split.x_held), on(split.labels_held),
                         orders, setting, on_epoch=lambda epoch: report(epoch, None))
    bounds = np.cumsum([len(job.seeds) for job in jobs])[:-1]
    parts = {name: np.split(values, bounds) for name, values in asdict(curves).items()}
    return [Curves(**{name: parts[name][j] for name in parts}) for j in range(len(jobs))]


def start_epochs(error: np.ndarray) -> np.ndarray:
    """Per net, the first epoch (1-based) whose held-out error ([nets, epochs + 1], epoch 0 first) is below STARTED;
    epochs + 1 when none is."""
    below = error[:, 1:] < STARTED
    return np.where(below.any(axis=1), below.argmax(axis=1) + 1, error.shape[1])


def converges(error: np.ndarray) -> np.ndarray:
    """Per net: its held-out error after the last epoch is below CONVERGED."""
    return error[:, -1] < CONVERGED


def stalls(error: np.ndarray) -> np.ndarray:
    """Per net: its held-out error is below CONVERGED after no epoch of the window."""
    return ~(error[:, 1:] < CONVERGED).any(axis=1)


def _key(job: DeepReluJob, split: Split, device: str, weight_layers: int, width: int, setting: SgdSetting) -> dict:
    """The job's experiment key: its nets, shuffle, device (as given: 'cuda' and 'cuda:0' are two), data, protocol
    and code."""
    return {"weight_init": job.weight_init, "seeds": job.seeds, "shuffle_seed": job.shuffle_seed, "device": device,
            "data": digest(split.x, split.labels, split.x_held, split.labels_held), "weight_layers": weight_layers,
            "width": width, "setting": repr(setting), "init_code": code_digest(job.weight_init)}


def train_job_cached(cache: ExperimentCache, job: DeepReluJob, split: Split, weight_layers: int, width: int,
                     setting: SgdSetting, device: str = "cpu") -> Curves:
    """train_jobs of one job, through the experiment cache."""
    compute = lambda: asdict(train_jobs([job], split, weight_layers, width, setting, device)[0])
    arrays = cache.load_or_compute("he-training", _key(job, split, device, weight_layers, width, setting), __name__,
                                   compute, f"{weight_layers} layers {job.weight_init}")
    return Curves(**{name: arrays[name] for name in Curves.__dataclass_fields__})


def prefill(cache: ExperimentCache, jobs: list[DeepReluJob], split: Split, weight_layers: int, width: int,
            setting: SgdSetting, device: str = "cpu") -> int:
    """Train the jobs the cache lacks in one stack and store each as train_job_cached would; how many trained."""
    keys = [_key(job, split, device, weight_layers, width, setting) for job in jobs]
    missing = [(job, key) for job, key in zip(jobs, keys) if not cache.holds("he-training", key, __name__)]
    if missing:
        trained = train_jobs([job for job, _ in missing], split, weight_layers, width, setting, device)
        for (job, key), curves in zip(missing, trained):
            cache.load_or_compute("he-training", key, __name__, lambda c=curves: asdict(c), job.weight_init)
    return len(missing)
