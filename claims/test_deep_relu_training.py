"""Family A, training: He et al. 2015 Fig. 3, a 30-layer ReLU net stalls under Xavier and trains under He.

Protocol: a 30-weight-layer ReLU MLP of width 100 (biases zero) on the 5,000 bundled MNIST digits
(pixels / 255), plain SGD with momentum 0.9, learning rate 0.001, minibatch 64, 10 epochs, the
same 8 seeds for each initializer; the loss is each epoch's mean training cross-entropy.
"""
import math

import numpy as np
import pytest

from lib import plots
from lib.data import mnist_sample
from lib.findings import Claim
from lib.initializers import get_initializer
from lib.lab3 import cross_entropy_per_network, deep_relu_mlp
from lib.seeding import child, network_seeds, seed_for
from lib.stats import mean_interval
from lib.training import make_optimizer, train

pytestmark = pytest.mark.claims

PROTOCOL = {"weight_layers": 30, "width": 100, "optimizer": "sgd", "lr": 0.001, "momentum": 0.9,
            "batch_size": 64, "epochs": 10, "seeds": 8, "digits": 5000, "confidence": 0.99}
CHANCE = math.log(10)

CLAIM = Claim(
    "he-trains-deep-relu-xavier-stalls",
    "a 30-layer ReLU MLP (width 100) trained with plain SGD+momentum on the MNIST sample: with Xavier the loss "
    "stays near ln 10, with He it falls well below",
    "He et al. 2015 Fig. 3",
    "after the last epoch, the mean training loss over seeds (99% t interval) under Xavier has its lower bound "
    "above 0.9·ln 10 ('near ln 10'), and under He its upper bound below 0.5·ln 10 ('well below')",
)


def train_deep(initializer: str, sequence, device: str) -> np.ndarray:
    """Per-epoch mean training loss of each seed's network, [seeds, epochs]."""
    pixels, labels = mnist_sample()
    seeds = network_seeds(child(sequence, "init"), PROTOCOL["seeds"])
    net = deep_relu_mlp(PROTOCOL["weight_layers"], PROTOCOL["width"], get_initializer(initializer), seeds, device=device)
    optimizer = make_optimizer("sgd", net.parameters(), lr=PROTOCOL["lr"], momentum=PROTOCOL["momentum"])
    shuffle_seed = seed_for(sequence, "shuffle")
    history = train(net, pixels.to(device), labels.to(device), cross_entropy_per_network, optimizer,
                    PROTOCOL["epochs"], PROTOCOL["batch_size"], shuffle_seed)
    return history.T.numpy()


def stalls_and_trains(xavier_final, he_final) -> tuple[bool, dict]:
    xavier = mean_interval(xavier_final, PROTOCOL["confidence"])
    he = mean_interval(he_final, PROTOCOL["confidence"])
    return xavier.low > 0.9 * CHANCE and he.high < 0.5 * CHANCE, {"final_loss_xavier": xavier, "final_loss_he": he}


@pytest.fixture(scope="module")
def losses(seeds, device):
    sequence = seeds(CLAIM.id)
    return {name: train_deep(name, sequence, device) for name in ("glorot_normal", "he_normal")}


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
