"""The batched trainers reproduce separate single-network trainings (DESIGN.md, Speed)."""
import numpy as np
import pytest
import torch

from lib.nets.activations import get_activation, identity
from lib.protocols.collapse import dead_layers
from lib.nets.ensemble import StackedMLP, build_mlp
from lib.engine.fast_training import train_regression
from lib.nets.initializers import get_initializer
from lib.engine.shuffle import permutation
from lib.engine.reference import sequential_from, train_one

WIDTHS = [1, 3, 3, 1]
POINTS, BATCH, EPOCHS = 150, 64, 3  # 150 = 2 full batches and a partial one of 22


@pytest.mark.parametrize("engine, widths", [("kernel", WIDTHS), ("torch", WIDTHS), ("kernel", [1, 2, 2, 2, 1]),
                                            ("kernel", [1, 5, 3, 4, 1])])
@pytest.mark.parametrize("slope, optimizer, lr, momentum", [
    (0.0, "adam", 1e-2, 0.0), (0.01, "adam", 1e-2, 0.0), (0.0, "sgd", 1e-2, 0.9), (0.2, "sgd", 1e-2, 0.0)])
def test_batched_training_equals_separate_trainings(engine, widths, slope, optimizer, lr, momentum):
    """[1, 2, 2, 2, 1] takes the kernel's 2-wide path (lib.engine.kernel_two_wide), [1, 3, 3, 1] and the uneven
    [1, 5, 3, 4, 1] its generic loop (lib.engine.kernel_layers)."""
    hidden = get_activation("leaky_relu", slope) if slope else get_activation("relu")
    net = build_mlp(widths, [hidden] * (len(widths) - 2) + [identity], get_initializer("he_normal"),
                    get_initializer("torch_default"), seeds=[3, 4, 5, 6])
    rng = np.random.default_rng(0)
    x = rng.uniform(-2.6, 2.6, (net.count, POINTS))
    y = np.abs(x)
    seeds = [11, 12, 13, 14]
    run = train_regression(net, slope, x, y, seeds, EPOCHS, BATCH, optimizer, lr, momentum, engine=engine)
    for k in range(net.count):
        model = sequential_from([w[k].double() for w in net.weights], [b[k].double() for b in net.biases], slope)
        expected = train_one(model, x[k], y[k], seeds[k], EPOCHS, BATCH, optimizer, lr, momentum)
        for l, (w, b) in enumerate(expected):
            assert torch.allclose(run.final.weights[l][k], w, atol=1e-9), (k, l)
            assert torch.allclose(run.final.biases[l][k].flatten(), b, atol=1e-9), (k, l)


def test_networks_dead_from_the_start_train_as_torch_trains_them():
    """The dying-ReLU protocol's start (1 → 2 × 9 → 1, He-normal weights, zero biases): most networks have a layer
    dead at every point, and the kernel leaves out the work below it (lib.engine.kernel_two_wide._freeze); each network
    still ends where torch's own loop takes it, and where the kernel ends computing every step, bit for bit."""
    widths = [1] + [2] * 9 + [1]
    net = build_mlp(widths, [torch.relu] * 9 + [identity], get_initializer("he_normal"), get_initializer("zeros"),
                    seeds=list(range(60, 66)))
    x = np.random.default_rng(3).uniform(-2.6, 2.6, (net.count, POINTS))
    dead = dead_layers(net.to(torch.float64), x).any(axis=1)
    assert 1 <= dead.sum() < net.count  # both kinds are here
    seeds = list(range(70, 76))
    run = train_regression(net, 0.0, x, np.abs(x), seeds, EPOCHS, BATCH, engine="kernel")
    computed = train_regression(net, 0.0, x, np.abs(x), seeds, EPOCHS, BATCH, engine="kernel-all")
    assert np.array_equal(run.losses, computed.losses)
    for k in range(net.count):
        model = sequential_from([w[k].double() for w in net.weights], [b[k].double() for b in net.biases], 0.0)
        expected = train_one(model, x[k], np.abs(x[k]), seeds[k], EPOCHS, BATCH, "adam", 1e-3, 0.0)
        for l, (w, b) in enumerate(expected):
            assert torch.allclose(run.final.weights[l][k], w, atol=1e-9), (k, l)
            assert torch.allclose(run.final.biases[l][k].flatten(), b, atol=1e-9), (k, l)
            assert torch.equal(run.final.weights[l][k], computed.final.weights[l][k]), (k, l)
            assert torch.equal(run.final.biases[l][k], computed.final.biases[l][k]), (k, l)


def test_training_moved_the_weights_and_snapshots_keep_the_start():
    net = build_mlp(WIDTHS, [torch.relu, torch.relu, identity], get_initializer("he_normal"),
                    get_initializer("zeros"), seeds=[1, 2])
    x = np.random.default_rng(1).uniform(-2, 2, (2, POINTS))
    run = train_regression(net, 0.0, x, np.abs(x), [1, 2], EPOCHS, BATCH, snapshot_epochs=[0, 1])
    assert sorted(run.snapshots) == [0, 1]
    assert torch.equal(run.snapshots[0].weights[0], net.weights[0].double())
    assert not torch.equal(run.final.weights[0], net.weights[0].double())
    assert run.losses.shape == (EPOCHS, 2)


def test_the_kernel_shuffles_reproducibly_and_fully():
    a, b = permutation(7, 0, 100), permutation(7, 0, 100)
    assert np.array_equal(a, b) and sorted(a) == list(range(100))
    assert not np.array_equal(a, permutation(7, 1, 100)) and not np.array_equal(a, permutation(8, 0, 100))


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": -1}, "epochs must be an integer >= 0, got -1"),
    ({"batch_size": 0}, "batch size must be an integer >= 1, got 0"),
    ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'; known: adam, sgd"),
])
def test_bad_training_settings_get_one_line(kwargs, message):
    net = build_mlp(WIDTHS, [torch.relu, torch.relu, identity], get_initializer("he_normal"),
                    get_initializer("zeros"), seeds=[1])
    x = np.zeros((1, POINTS))
    settings = {"epochs": 1, "batch_size": 8} | kwargs
    with pytest.raises(ValueError, match=message):
        train_regression(net, 0.0, x, x, [1], settings.pop("epochs"), settings.pop("batch_size"), **settings)


def test_networks_beyond_one_block_of_lanes_train_as_alone():
    """11 networks fill one block of 8 lanes and part of a second; each must train exactly as it does alone."""
    net = build_mlp(WIDTHS, [torch.relu, torch.relu, identity], get_initializer("he_normal"),
                    get_initializer("zeros"), seeds=list(range(20, 31)))
    x = np.random.default_rng(2).uniform(-2, 2, (net.count, POINTS))
    seeds = list(range(40, 51))
    together = train_regression(net, 0.0, x, np.abs(x), seeds, EPOCHS, BATCH, engine="kernel", snapshot_epochs=[1])
    for k in (0, 7, 8, 10):
        alone_net = StackedMLP([w[k:k + 1] for w in net.weights], [b[k:k + 1] for b in net.biases], net.activations)
        alone = train_regression(alone_net, 0.0, x[k:k + 1], np.abs(x[k:k + 1]), seeds[k:k + 1], EPOCHS, BATCH,
                                 engine="kernel", snapshot_epochs=[1])
        for l in range(len(WIDTHS) - 1):
            assert torch.equal(together.final.weights[l][k], alone.final.weights[l][0]), (k, l)
            assert torch.equal(together.snapshots[1].biases[l][k], alone.snapshots[1].biases[l][0]), (k, l)
        assert np.array_equal(together.losses[:, k], alone.losses[:, 0])
