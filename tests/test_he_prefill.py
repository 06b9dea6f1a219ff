"""He et al.'s nets trained many stacks at once (lib.protocols.lab3.train_deep_relu_jobs, claims/he_prefill.py): each net's
losses are bitwise those of its own stack, on every device this machine has, and a prefilled cache serves the
claims' own requests."""
import numpy as np
import pytest
import torch

from claims import he_common, he_prefill
from lib.protocols import lab3
from lib.framework import stability
from lib.framework.cache import ExperimentCache
from lib.protocols.data import mnist_sample
from lib.nets.initializers import get_initializer
from lib.protocols.lab3 import DeepReluJob, prefill_deep_relu, train_deep_relu, train_deep_relu_cached, train_deep_relu_jobs
from lib.framework.seeding import claim_seed_sequence
from lib.engine.device import accepted_devices
from lib.framework.sweep import SeedRun
from lib.nets.training import batch_orders, make_optimizer, train

SMALL = {"weight_layers": 5, "width": 16, "lr": 0.01, "momentum": 0.9, "batch_size": 64, "epochs": 3}
JOBS = [DeepReluJob("glorot_normal", [11, 12], 5), DeepReluJob("he_normal", [11, 12], 5),
        DeepReluJob("he_normal", [13, 14, 15], 6)]


def digits(count=300):
    """The first count digits of the bundled MNIST sample and their labels."""
    pixels, labels = mnist_sample()
    return pixels[:count], labels[:count]


def bits(array):
    """The array's float64 bit patterns, so that equality is bitwise (-0 differs from +0, NaN equals itself)."""
    return np.ascontiguousarray(array, dtype=np.float64).view(np.uint64)


@pytest.mark.parametrize("device", [d for d in accepted_devices() if d != "cuda"])
def test_a_stack_of_jobs_trains_each_job_as_its_own_stack_would(device):
    x, labels = digits()
    together = train_deep_relu_jobs(JOBS, x, labels, device=device, **SMALL)
    for job, losses in zip(JOBS, together):
        alone = train_deep_relu(job.weight_init, job.seeds, job.shuffle_seed, x, labels, device=device, **SMALL)
        assert losses.shape == (len(job.seeds), SMALL["epochs"])
        assert np.array_equal(bits(losses), bits(alone)), f"{job} differs in a stack of {len(JOBS)} jobs on {device}"
    assert not np.array_equal(together[0], together[1])  # the jobs are different nets, not one net three times


def test_prefilled_jobs_are_served_to_the_claims_own_requests_and_not_trained_twice(tmp_path):
    x, labels = digits()
    cache = ExperimentCache(tmp_path)
    assert prefill_deep_relu(cache, JOBS, x, labels, **SMALL) == len(JOBS)
    assert prefill_deep_relu(ExperimentCache(tmp_path), JOBS, x, labels, **SMALL) == 0
    fresh = ExperimentCache(tmp_path)
    for job in JOBS:
        served = train_deep_relu_cached(fresh, job.weight_init, job.seeds, job.shuffle_seed, x, labels, **SMALL)
        alone = train_deep_relu(job.weight_init, job.seeds, job.shuffle_seed, x, labels, **SMALL)
        assert np.array_equal(bits(served), bits(alone))
    assert fresh.origin_since(0) == "from the cache"


def test_the_command_fills_exactly_what_the_claims_ask_for(tmp_path, monkeypatch, capsys):
    """A one-epoch, two-seed, width-8 protocol keeps it quick: the claims' depth_losses then computes nothing."""
    for name, value in {"epochs": 1, "seeds": 2, "width": 8}.items():
        monkeypatch.setitem(he_common.PROTOCOL, name, value)
    assert he_prefill.main(["--seeds", "3,4", "--depths", "14", "--cache", str(tmp_path)]) == 0
    assert "14 layers: 4 of 4 stacks (8 nets) trained on cpu" in capsys.readouterr().out
    cache = ExperimentCache(tmp_path)
    for root in (3, 4):
        losses = he_common.depth_losses(lambda claim: claim_seed_sequence(root, claim), "cpu", cache, 14)
        assert {name: l.shape for name, l in losses.items()} == {"glorot_normal": (2, 1), "he_normal": (2, 1)}
    assert cache.origin_since(0) == "from the cache"


@pytest.mark.parametrize("argument, message", [
    (["--depths", "23"], "depth '23' is not one the claims train: accepted: 14, 18, 22, 26, 30"),
    (["--depths", "30,²"], "depth '²' is not one the claims train"),
    (["--depths", "thirty"], "depth 'thirty' is not one the claims train"),
    (["--device", "tpu"], "device 'tpu' cannot be used here"),
    (["--seeds", "5-3"], "range '5-3' is empty"),
])
def test_bad_input_is_refused_in_one_line(argument, message, tmp_path, capsys):
    with pytest.raises(SystemExit):
        he_prefill.main(["--cache", str(tmp_path), *argument])
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("epochs_given", [2, 4])
def test_training_refuses_orders_for_another_number_of_epochs(epochs_given):
    x, labels = digits(100)
    net = lab3.deep_relu_mlp(3, 8, get_initializer("he_normal"), [1, 2]).to(torch.float64)
    with pytest.raises(ValueError, match=f"{'more than the 3' if epochs_given > 3 else 'holds 2'} epochs"):
        train(net, x.double(), labels, lab3.cross_entropy_per_network, make_optimizer("sgd", net.parameters(), lr=0.01),
              3, 32, orders=batch_orders(2, 100, epochs_given, 7))


def test_the_sweep_passes_its_device_to_every_seed(monkeypatch, tmp_path):
    asked = {}

    def fake_sweep(seeds, root, options, *rest):
        asked["options"] = options
        return {seed: SeedRun({}, 0.0, 0, [], "here") for seed in seeds}

    monkeypatch.setattr(stability, "sweep", fake_sweep)
    stability.main(["--seeds", "3", "--device", "cuda:1", "--artifacts", str(tmp_path)])
    assert asked["options"][-2:] == ["--claims-device", "cuda:1"]
