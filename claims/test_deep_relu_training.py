"""Family A, training: He et al. 2015 Fig. 3, a 30-layer ReLU net stalls under Xavier and trains under He.

Protocol: a 30-weight-layer ReLU MLP of width 100 (biases zero) on the 5,000 bundled MNIST digits
(pixels / 255), plain SGD with momentum 0.9, learning rate 0.001, minibatch 64, 10 epochs, the
same 8 seeds for each initializer; the loss is each epoch's mean training cross-entropy. Weights are
drawn in float32 and trained in float64, so the curves do not depend on which vector kernels (AVX2,
AVX-512) the CPU's BLAS picks, nor on the thread count (tests/test_determinism.py).
"""
import math

import numpy as np
import pytest

from lib import plots
from lib.data import mnist_sample
from lib.findings import Claim
from lib.lab3 import train_deep_relu_cached
from lib.seeding import child, network_seeds, seed_for
from lib.stats import mean_interval

pytestmark = pytest.mark.claims

PROTOCOL = {"dtype": "float64", "weight_layers": 30, "width": 100, "optimizer": "sgd", "lr": 0.001, "momentum": 0.9,
            "batch_size": 64, "epochs": 10, "seeds": 8, "digits": 5000, "confidence": 0.99}
CHANCE = math.log(10)

CLAIM = Claim(
    "he-trains-deep-relu-xavier-stalls",
    "a 30-layer ReLU MLP (width 100) trained with plain SGD+momentum on the MNIST sample: with Xavier the loss "
    "stays near ln 10, with He it falls well below",
    "He et al. 2015 Fig. 3",
    "after the last epoch, the mean training loss over seeds (99% t interval) under Xavier has its lower bound "
    "above 0.9·ln 10 ('near ln 10'), and under He its upper bound below 0.5·ln 10 ('well below'). False failure: < 1e-6 (the bounds lie over 20 standard errors from the expected losses, t with 7 degrees of freedom)",
    false_failure=1e-6,
)


def stalls_and_trains(xavier_final, he_final) -> tuple[bool, dict]:
    xavier = mean_interval(xavier_final, PROTOCOL["confidence"])
    he = mean_interval(he_final, PROTOCOL["confidence"])
    return xavier.low > 0.9 * CHANCE and he.high < 0.5 * CHANCE, {"final_loss_xavier": xavier, "final_loss_he": he}


@pytest.fixture(scope="module")
def losses(seeds, device, experiment_cache):
    """Per initializer, each seed's per-epoch mean training loss, [seeds, epochs] (the same 8 seeds for both)."""
    sequence = seeds(CLAIM.id)
    pixels, labels = mnist_sample()
    init_seeds, shuffle = network_seeds(child(sequence, "init"), PROTOCOL["seeds"]), seed_for(sequence, "shuffle")
    options = {k: PROTOCOL[k] for k in ("weight_layers", "width", "lr", "momentum", "batch_size", "epochs")}
    return {name: train_deep_relu_cached(experiment_cache, name, init_seeds, shuffle, pixels, labels, device, **options)
            for name in ("glorot_normal", "he_normal")}


def test_he_trains_deep_relu_xavier_stalls(losses, finding, artifacts, run_settings):
    ok, measured = stalls_and_trains(losses["glorot_normal"][:, -1], losses["he_normal"][:, -1])
    measured["ln_10"] = CHANCE
    artifacts.save(CLAIM.id, "training_loss", plots.curves(
        {"Xavier": losses["glorot_normal"], "He": losses["he_normal"]}, "epoch", "mean training cross-entropy",
        "30-layer ReLU MLP, SGD + momentum", reference=CHANCE, x=np.arange(1, PROTOCOL["epochs"] + 1)))
    summary = (f"final loss: Xavier {measured['final_loss_xavier'].text()}, He {measured['final_loss_he'].text()} "
               f"(ln 10 = {CHANCE:.3f}), {PROTOCOL['seeds']} seeds")
    finding.conclude(CLAIM.finding(
        "supported" if ok else "refuted", summary, measured,
        {"statistic": "mean over seeds of the last epoch's training loss", "interval": "Student t, 99%"},
        {**PROTOCOL, "root_seed": run_settings["seed"]}))


def test_control_swapped_initializers_are_refuted(losses):
    """Negative control: with the initializers swapped (He's losses read as Xavier's), the rule must fail."""
    assert not stalls_and_trains(losses["he_normal"][:, -1], losses["glorot_normal"][:, -1])[0]
