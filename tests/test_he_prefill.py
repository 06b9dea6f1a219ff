"""He et al.'s nets trained many stacks at once (lib.protocols.he_training.train_jobs, claims/he_prefill.py): each
net's curves are bitwise those of its own stack, on every device this machine has, and a prefilled cache serves the
claims' own requests."""
from dataclasses import asdict, replace

import numpy as np
import pytest

from claims import he_common, he_prefill
from lib.engine.deep_sgd import SgdSetting, train_stack
from lib.engine.device import accepted_devices
from lib.framework import stability
from lib.framework.cache import ExperimentCache
from lib.framework.seeding import claim_seed_sequence
from lib.framework.sweep import SeedRun
from lib.nets.initializers import get_initializer
from lib.nets.training import batch_orders
from lib.protocols import he_training
from lib.protocols.he_training import DeepReluJob, Split, data_split, prefill, train_job_cached, train_jobs

SMALL = replace(he_training.SETTING, epochs=3, batch_size=64)
JOBS = [DeepReluJob("glorot_normal", [11, 12], 5), DeepReluJob("he_normal", [11, 12], 5),
        DeepReluJob("he_normal", [13, 14, 15], 6)]


def small_split(count=300) -> Split:
    """The first count training digits and 100 held-out ones of the protocol's split."""
    split = data_split()
    return Split(split.x[:count], split.labels[:count], split.x_held[:100], split.labels_held[:100])


def bits(array):
    """The array's float64 bit patterns, so that equality is bitwise (-0 differs from +0, NaN equals itself)."""
    return np.ascontiguousarray(array, dtype=np.float64).view(np.uint64)


def same(first, second) -> bool:
    return all(np.array_equal(bits(a), bits(b)) for a, b in zip(asdict(first).values(), asdict(second).values()))


@pytest.mark.parametrize("device", [d for d in accepted_devices() if d != "cuda"])
def test_a_stack_of_jobs_trains_each_job_as_its_own_stack_would(device):
    split = small_split()
    together = train_jobs(JOBS, split, 5, 16, SMALL, device)
    for job, curves in zip(JOBS, together):
        alone = train_jobs([job], split, 5, 16, SMALL, device)[0]
        assert curves.held_out_error.shape == (len(job.seeds), SMALL.epochs + 1)
        assert same(curves, alone), f"{job} differs in a stack of {len(JOBS)} jobs on {device}"
    assert not np.array_equal(together[0].train_loss, together[1].train_loss)  # different nets, not one net thrice


def test_prefilled_jobs_are_served_to_the_claims_own_requests_and_not_trained_twice(tmp_path):
    split = small_split()
    assert prefill(ExperimentCache(tmp_path), JOBS, split, 5, 16, SMALL) == len(JOBS)
    assert prefill(ExperimentCache(tmp_path), JOBS, split, 5, 16, SMALL) == 0
    fresh = ExperimentCache(tmp_path)
    for job in JOBS:
        assert same(train_job_cached(fresh, job, split, 5, 16, SMALL), train_jobs([job], split, 5, 16, SMALL)[0])
    assert fresh.origin_since(0) == "from the cache"


def test_the_command_fills_exactly_what_the_claims_ask_for(tmp_path, monkeypatch, capsys):
    """A one-epoch, two-net, width-8 protocol keeps it quick: the claims' depth_curves then computes nothing."""
    one_epoch = SgdSetting(epochs=1)
    for module in (he_common, he_prefill):
        monkeypatch.setattr(module, "SETTING", one_epoch)
        monkeypatch.setattr(module, "WIDTH", 8)
    monkeypatch.setattr(he_training, "NETS", 2)
    monkeypatch.setattr(he_prefill, "NETS", 2)
    assert he_prefill.main(["--seeds", "3,4", "--depths", "14", "--cache", str(tmp_path)]) == 0
    assert "14 layers: 4 of 4 stacks (8 nets) trained on cpu" in capsys.readouterr().out
    cache = ExperimentCache(tmp_path)
    for root in (3, 4):
        curves = he_common.depth_curves(lambda claim: claim_seed_sequence(root, claim), "cpu", cache, 14)
        assert {name: c.held_out_error.shape for name, c in curves.items()} == {"glorot_normal": (2, 2),
                                                                                 "he_normal": (2, 2)}
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


def test_training_refuses_orders_for_another_number_of_epochs():
    split = small_split()
    with pytest.raises(ValueError, match="holds 1 epochs"):
        nets = he_training.deep_relu_mlp(3, 8, get_initializer("he_normal"), [1, 2])
        train_stack([w.double() for w in nets.weights], [b.double() for b in nets.biases], split.x, split.labels,
                    split.x_held, split.labels_held, batch_orders(2, len(split.labels), 1, 7), replace(SMALL, epochs=2))


def test_the_sweep_passes_its_device_to_every_seed(monkeypatch, tmp_path):
    asked = {}

    def fake_sweep(seeds, root, options, *rest):
        asked["options"] = options
        return {seed: SeedRun({}, 0.0, 0, [], "here") for seed in seeds}

    monkeypatch.setattr(stability, "sweep", fake_sweep)
    stability.main(["--seeds", "3", "--device", "cuda:1", "--artifacts", str(tmp_path)])
    assert asked["options"][-2:] == ["--claims-device", "cuda:1"]
