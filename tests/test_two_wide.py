"""The engine's 2-wide path (lib.kernel_two_wide) ends every training exactly where the generic loop does."""
import numba
import numpy as np
import pytest

from lib.kernel import ADAM, SGD, train_all
from lib.kernel_two_wide import MAX_BATCH, MAX_HIDDEN, is_two_wide


def networks(widths, points, count=5, seed=0):
    """Random parameters, data and shuffle seeds for count networks of these widths."""
    rng = np.random.default_rng(seed)
    size = sum(a * b + b for a, b in zip(widths, widths[1:]))
    x = rng.uniform(-2.6, 2.6, (count, points))
    params = rng.normal(0.0, 0.8, (count, size))
    return params, x, np.abs(x) + 0.1 * np.sin(5 * x), np.arange(100, 100 + count, dtype=np.uint64)


def train(widths, nets, batch, slope, optimizer, lr, momentum, two_wide, epochs=3):
    """The parameters, snapshots (epochs 0 and 1) and losses after training nets (from networks); it checks that
    the 2-wide path trained them exactly when two_wide."""
    params, x, y, seeds = (array.copy() for array in nets)
    snapshot_at = np.zeros(epochs + 1, dtype=np.bool_)
    snapshot_at[[0, 1]] = True
    snapshots, losses = np.zeros((2, *params.shape)), np.zeros((epochs, len(params)))
    fused = train_all(params, np.array(widths, dtype=np.int64), slope, x, y, seeds, epochs, batch, optimizer, lr, 0.9,
                      0.999, 1e-8, momentum, snapshot_at, snapshots, losses, two_wide)
    assert fused == two_wide
    return params, snapshots, losses


def bits(array):
    """The array's float64 bit patterns: −0 and +0 differ, as do two NaNs of different payloads."""
    return np.ascontiguousarray(array).view(np.uint64)


# 150 points in batches of 64: two whole batches and one of 22 (a block of 16, a group of 4, two single samples);
# batches of 7 and 13 never fill a block of 16; 49 and 35 are whole blocks and 1 or 3 single samples; 128 is the
# largest batch the path holds, and MAX_HIDDEN layers of it fill its stack.
@pytest.mark.parametrize("widths, points, batch", [
    ([1, 2, 2, 2, 1], 150, 64), ([1, 2, 1], 150, 64), ([1] + [2] * 9 + [1], 150, 7), ([1, 2, 2, 1], 61, 13),
    ([1, 2, 2, 1], 100, 49), ([1, 2, 2, 2, 1], 70, 35), ([1] + [2] * 9 + [1], 300, 128),
    ([1] + [2] * MAX_HIDDEN + [1], 40, 16), ([1] + [2] * MAX_HIDDEN + [1], 300, MAX_BATCH),
    ([1, 2, 2, 1], 40, 64)])  # fewer points than a batch: one short batch an epoch
@pytest.mark.parametrize("slope, optimizer, lr, momentum", [
    (0.0, ADAM, 1e-2, 0.0), (0.01, ADAM, 1e-2, 0.0), (0.0, SGD, 1e-2, 0.9), (0.2, SGD, 1e-2, 0.0)])
def test_the_two_wide_path_ends_bitwise_where_the_generic_loop_does(widths, points, batch, slope, optimizer, lr,
                                                                    momentum):
    assert is_two_wide(np.array(widths), batch)
    nets = networks(widths, points)
    fused = train(widths, nets, batch, slope, optimizer, lr, momentum, two_wide=True)
    generic = train(widths, nets, batch, slope, optimizer, lr, momentum, two_wide=False)
    for a, b in zip(fused, generic):
        assert np.array_equal(bits(a), bits(b))
    assert not np.array_equal(fused[1][0], fused[0])  # it trained


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="numba runs on one thread here")
def test_the_two_wide_path_is_bitwise_the_same_under_one_or_two_threads_alone_or_among_others():
    widths = [1] + [2] * 9 + [1]
    nets = networks(widths, 150, count=9)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = train(widths, nets, 64, 0.0, ADAM, 1e-2, 0.0, True)
        numba.set_num_threads(2)
        two = train(widths, nets, 64, 0.0, ADAM, 1e-2, 0.0, True)
    finally:
        numba.set_num_threads(threads)
    for a, b in zip(one, two):
        assert np.array_equal(bits(a), bits(b))
    k = 7
    alone = train(widths, tuple(array[k:k + 1] for array in nets), 64, 0.0, ADAM, 1e-2, 0.0, True)
    assert np.array_equal(bits(alone[0][0]), bits(one[0][k]))
    assert np.array_equal(bits(alone[1][:, 0]), bits(one[1][:, k]))
    assert np.array_equal(bits(alone[2][:, 0]), bits(one[2][:, k]))


@pytest.mark.parametrize("widths, batch", [([1, 3, 3, 1], 64), ([1, 2, 2, 1], MAX_BATCH + 1), ([2, 2, 1], 64),
                                           ([1, 2, 2, 3], 64), ([1] + [2] * (MAX_HIDDEN + 1) + [1], 64)])
def test_other_shapes_take_the_generic_loop(widths, batch):
    assert not is_two_wide(np.array(widths), batch)


def test_a_slope_outside_0_to_1_or_a_mismatched_parameter_count_keeps_the_generic_loop():
    """max(z, slope·z) is leaky ReLU only for 0 <= slope <= 1, and the path's stack holds the 2-wide layout alone."""
    widths = [1, 2, 2, 1]
    params, x, y, seeds = networks(widths, 20, count=1)
    for slope, parameters in ((1.5, params), (-0.1, params), (0.0, np.hstack([params, params[:, :1]]))):
        snapshot_at = np.zeros(2, dtype=np.bool_)
        fused = train_all(parameters.copy(), np.array(widths), slope, x, y, seeds, 1, 8, ADAM, 1e-3, 0.9, 0.999, 1e-8,
                          0.0, snapshot_at, np.zeros((0, 1, parameters.shape[1])), np.zeros((1, 1)))
        assert not fused
