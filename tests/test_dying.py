"""The dying-ReLU pieces: the protocol's checks, targets and data, the collapse detector, born-dead theory."""
import math

import numpy as np
import pytest
import torch

from lib.nets.activations import identity
from lib.framework.cache import ExperimentCache
from lib.protocols.collapse import collapsed, collapsed_fractions, dead_layers, dead_on_positive_ray, first_dead_layer
from lib.nets.ensemble import StackedMLP
from lib.nets.initializers import get_initializer
from lib.protocols.lu import LuProtocol, blocks, lab_runs, run_lu
from lib.framework.seeding import claim_seed_sequence
from lib.protocols.targets import DOMAIN, get_target, grid, training_sets
from lib.protocols.theory import born_dead_probability

GRID = grid(201)


def relu_net(weights: list[list[list[float]]], biases: list[list[float]]) -> StackedMLP:
    """One network from explicit weights [fan_in][fan_out] and biases, ReLU between, linear out."""
    w = [torch.tensor([layer], dtype=torch.float64) for layer in weights]
    b = [torch.tensor([[layer]], dtype=torch.float64) for layer in biases]
    return StackedMLP(w, b, [torch.relu] * (len(w) - 1) + [identity])


def test_targets_and_training_sets():
    x, y = training_sets("f3", 500, seeds=[1, 2])
    assert x.shape == y.shape == (2, 500) and DOMAIN[0] <= x.min() and x.max() <= DOMAIN[1]
    assert np.allclose(y, (x > 0) + 0.2 * np.sin(5 * x))
    assert not np.array_equal(x[0], x[1])
    assert get_target("f1")(np.array([-2.0])) == 2.0 and math.isclose(DOMAIN[1], math.sqrt(7))


def test_collapse_detector_on_known_nets():
    dead = relu_net([[[1.0, -1.0]], [[1.0], [1.0]]], [[-10.0, -10.0], [0.7]])  # no unit ever active: constant 0.7
    alive = relu_net([[[1.0, -1.0]], [[1.0], [1.0]]], [[0.0, 0.0], [0.0]])  # |x|
    for net, expected in ((dead, True), (alive, False)):
        assert collapsed(net, GRID, target_range=math.sqrt(7), tolerance=1e-6)[0] == expected
        assert dead_layers(net, GRID)[0, 0] == expected
    assert first_dead_layer(np.array([[False, True], [False, False]])).tolist() == [2, 0]
    assert collapsed_fractions(dead, GRID, 1.0)[1e-6] == 1


def test_born_dead_simulation_matches_the_formula_roughly():
    dead = dead_on_positive_ray(2, 9, 4000, get_initializer("he_normal"), torch.Generator().manual_seed(0))
    assert abs(dead.mean() - born_dead_probability(2, 9)) < 4 * math.sqrt(0.075 * 0.925 / 4000)
    assert born_dead_probability(2, 1) == 0.25 and born_dead_probability(10, 0) == 0.0


def test_an_experiment_is_reproducible_and_records_its_protocol():
    protocol = LuProtocol(runs=3, epochs=2, train_points=100)
    first, second = (run_lu(protocol, claim_seed_sequence(1, "t"), snapshot_epochs=[0, 1]) for _ in range(2))
    assert torch.equal(first.final.weights[0], second.final.weights[0])
    assert sorted(first.training.snapshots) == [0, 1]
    assert sorted(run_lu(protocol, claim_seed_sequence(1, "t"), snapshot_epochs=[2]).training.snapshots) == [2]
    assert protocol.record()["hidden_layers"] == 9 and protocol.widths == [1] + [2] * 9 + [1]
    assert LuProtocol(activation="leaky_relu").hidden_slope == 0.01
    assert LuProtocol(activation="leaky_relu", slope=0.0).hidden_slope == 0.0


@pytest.mark.parametrize("change, message", [
    ({"runs": 0}, "runs must be an integer >= 1, got 0"),
    ({"width": -2}, "width must be an integer >= 1, got -2"),
    ({"weight_layers": 1}, "weight_layers must be an integer >= 2, got 1"),
    ({"epochs": -1}, "epochs must be an integer >= 0, got -1"),
    ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
    ({"activation": "tanh"}, "unknown activation 'tanh'; known: leaky_relu, relu"),
    ({"target": "f4"}, "unknown target 'f4'; known: f1, f2, f3"),
    ({"weight_init": "he"}, "unknown initializer 'he'; known: "),
])
def test_bad_protocols_get_one_line(change, message):
    with pytest.raises(ValueError, match=message):
        LuProtocol(**change)


def test_a_net_varying_by_a_few_percent_of_the_range_is_not_collapsed():
    """The headline tolerance (1e-3 of the target's range) pins what 'collapsed' means: 0.7 + c·|x| varies by c of
    f1's range on the domain; c = 3% is a living net, c = 0.05% an effectively constant one."""
    f1_range = math.sqrt(7)
    for c, expected in ((0.03, False), (0.01, False), (5e-4, True)):
        net = relu_net([[[1.0, -1.0]], [[c], [c]]], [[0.0, 0.0], [0.7]])
        assert collapsed(net, grid(), target_range=f1_range)[0] == expected, c


def test_runs_trained_in_blocks_are_the_runs_trained_at_once(tmp_path):
    """A sequential extension trains and counts runs in blocks (bounded memory): run k is run k either way."""
    protocol, sequence = LuProtocol(runs=10, epochs=1, train_points=100), claim_seed_sequence(1, "blocks")
    whole = run_lu(protocol, sequence, first_run=3)
    parts = [run_lu(protocol.but(runs=n), sequence, first_run=start) for start, n in blocks(3, 10, size=4)]
    assert blocks(3, 10, size=4) == [(3, 1), (4, 4), (8, 4), (12, 1)]
    for layer, weight in enumerate(whole.final.weights):
        assert torch.equal(weight, torch.cat([part.final.weights[layer] for part in parts]))
    extension = lab_runs(ExperimentCache(tmp_path), sequence)(protocol, first_run=10)
    assert extension.training.snapshots == {} and extension.training.losses is None  # what no claim reads is not kept
