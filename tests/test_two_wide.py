"""The engine's 2-wide path (lib.engine.kernel_two_wide) ends every training exactly where the generic loop does."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lib.protocols.collapse import dead_layers
from lib.engine.fast_training import stacked_from_flat
from lib.engine.kernel import ADAM, SGD, train_all
from lib.engine.kernel_two_wide import MAX_BATCH, MAX_HIDDEN, frozen_layer, is_two_wide
from lib.protocols.lu import LuProtocol, lu_template


def networks(widths, points, count=5, seed=0):
    """Random parameters, data and shuffle seeds for count networks of these widths."""
    rng = np.random.default_rng(seed)
    size = sum(a * b + b for a, b in zip(widths, widths[1:]))
    x = rng.uniform(-2.6, 2.6, (count, points))
    params = rng.normal(0.0, 0.8, (count, size))
    return params, x, np.abs(x) + 0.1 * np.sin(5 * x), np.arange(100, 100 + count, dtype=np.uint64)


def train(widths, nets, batch, slope, optimizer, lr, momentum, two_wide, epochs=3, skip_dead=True, eps=1e-8):
    """The parameters, snapshots (epochs 0 and 1) and losses after training nets (from networks); it checks that
    the 2-wide path trained them exactly when two_wide."""
    params, x, y, seeds = (array.copy() for array in nets)
    snapshot_at = np.zeros(epochs + 1, dtype=np.bool_)
    snapshot_at[[0, 1]] = True
    snapshots, losses = np.zeros((2, *params.shape)), np.zeros((epochs, len(params)))
    fused = train_all(params, np.array(widths, dtype=np.int64), slope, x, y, seeds, epochs, batch, optimizer, lr, 0.9,
                      0.999, eps, momentum, snapshot_at, snapshots, losses, two_wide, skip_dead)
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


# ---------------------------------------------------------------- leaving out the work below a dead ReLU layer


def he_networks(widths, points, count, seed, bias_scale=0.0, signed_zeros=False):
    """He-normal weights and biases of N(0, bias_scale²) (0: +0, the dying-ReLU protocol's start, where most deep
    narrow ReLU networks have a layer dead at every point; with signed_zeros, −0 for about half of them), data and
    shuffle seeds, as networks gives them."""
    rng = np.random.default_rng(seed)
    layers = list(zip(widths, widths[1:]))
    bias = lambda b: rng.normal(0.0, 1.0, b) * bias_scale + (-0.0 if signed_zeros else 0.0)  # −0 + −0 = −0
    params = np.array([np.concatenate([np.concatenate([rng.normal(0.0, np.sqrt(2.0 / a), a * b), bias(b)])
                                       for a, b in layers]) for _ in range(count)])
    x = rng.uniform(-2.6, 2.6, (count, points))
    return params, x, np.abs(x), np.arange(200, 200 + count, dtype=np.uint64)


def dead_at_every_point(widths, params, x):
    """Per network, whether some hidden layer is dead at every one of its points x (lib.protocols.collapse.dead_layers)."""
    template = lu_template(LuProtocol(weight_layers=len(widths) - 1))
    return dead_layers(stacked_from_flat(params, template), x).any(axis=1)


def assert_same_bits(first, second):
    for a, b in zip(first, second):
        assert np.array_equal(bits(a), bits(b))


@pytest.mark.parametrize("optimizer, lr, momentum", [(ADAM, 1e-2, 0.0), (SGD, 1e-2, 0.9), (SGD, 1e-2, 0.0)])
def test_networks_dead_from_the_start_end_bitwise_where_every_step_computed_ends(optimizer, lr, momentum):
    """He-normal networks 1 → 2 × 9 → 1 with zero biases: most are dead at every point from the start (their layers
    up to the dead one left out, _freeze), the rest are not; every way gives the same bits."""
    widths = [1] + [2] * 9 + [1]
    nets = he_networks(widths, 150, count=12, seed=1)
    dead = dead_at_every_point(widths, nets[0], nets[1])
    assert 2 <= dead.sum() < len(dead)  # both kinds are here
    frozen = np.array([frozen_layer(p, len(widths) - 1, x) for p, x in zip(nets[0], nets[1])])
    assert np.array_equal(frozen >= 0, dead)  # and the path freezes exactly the dead ones
    skipping = train(widths, nets, 64, 0.0, optimizer, lr, momentum, two_wide=True)
    assert_same_bits(skipping, train(widths, nets, 64, 0.0, optimizer, lr, momentum, True, skip_dead=False))
    assert_same_bits(skipping, train(widths, nets, 64, 0.0, optimizer, lr, momentum, two_wide=False))
    assert (skipping[0][dead, -1] != skipping[1][0][dead, -1]).all()  # a dead network still learns its output bias


@settings(max_examples=40, deadline=None)
@given(hidden=st.integers(1, 12), points=st.integers(1, 200), batch=st.integers(1, MAX_BATCH),
       bias_scale=st.sampled_from([0.0, 0.3, 1.0]), signed_zeros=st.booleans(), seed=st.integers(0, 2 ** 32 - 1),
       adam=st.booleans())
def test_leaving_out_dead_work_changes_no_bit(hidden, points, batch, bias_scale, signed_zeros, seed, adam):
    """Random deep narrow ReLU networks (layers dead at the start, dying on the way, or dead over some batches
    only) end with the same bits whether the 2-wide path leaves out the work below a dead layer or not, and as the
    generic loop ends (the networks that stay finite: the paths differ where one diverges, as the module says)."""
    widths = [1] + [2] * hidden + [1]
    nets = he_networks(widths, points, count=4, seed=seed, bias_scale=bias_scale, signed_zeros=signed_zeros)
    optimizer, momentum = (ADAM, 0.0) if adam else (SGD, 0.5)
    skipping = train(widths, nets, batch, 0.0, optimizer, 5e-2, momentum, True, epochs=4)
    assert_same_bits(skipping, train(widths, nets, batch, 0.0, optimizer, 5e-2, momentum, True, 4, skip_dead=False))
    generic = train(widths, nets, batch, 0.0, optimizer, 5e-2, momentum, False, 4)
    finite = np.isfinite(skipping[0]).all(axis=1) & np.isfinite(skipping[2]).all(axis=0)
    assert_same_bits((skipping[0][finite], skipping[1][:, finite], skipping[2][:, finite]),
                     (generic[0][finite], generic[1][:, finite], generic[2][:, finite]))


def test_a_dead_layer_over_non_finite_activations_or_weights_leaves_nothing_out():
    """Below a dead layer, a·0 and w·0 are NaN where a or w is infinite, so nothing may be left out there:
    H[0] = +inf at points x > 1.8 under a weight of 1e308, with the layer above it dead (−inf·a = −inf), and a
    layer dead under weights of −inf over positive inputs. Each trains as with every step computed: NaN, not +0."""
    widths = [1, 2, 2, 1]
    x = np.linspace(-2.6, 2.6, 100)[None, :]
    overflowing = [1e308, 1e308, 0.0, 0.0, -1.0, -1.0, -1.0, -1.0, 0.0, 0.0, 1.0, 1.0, 0.5]
    minus_infinite = [0.1, 0.1, 1.0, 1.0, -np.inf, -np.inf, -np.inf, -np.inf, 0.0, 0.0, 1.0, 1.0, 0.5]
    for p in (overflowing, minus_infinite):
        nets = (np.array([p]), x, np.abs(x), np.array([7], dtype=np.uint64))
        skipping = train(widths, nets, 16, 0.0, ADAM, 1e-2, 0.0, True)
        assert np.isnan(skipping[0]).any()  # the NaN that leaving the work out would have lost
        assert_same_bits(skipping, train(widths, nets, 16, 0.0, ADAM, 1e-2, 0.0, True, skip_dead=False))
    # an infinite input under negative weights: relu(−inf) = +0 keeps H[0] finite and the layers +0, but x·0 is NaN
    x = np.linspace(0.0, 2.6, 100)[None, :]
    x[0, 5] = np.inf
    nets = (np.array([[-1.0, -1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0, 1.0, 1.0, 0.5]]), x, np.abs(x),
            np.array([7], dtype=np.uint64))
    skipping = train(widths, nets, 16, 0.0, ADAM, 1e-2, 0.0, True)
    assert np.isnan(skipping[0][0, :2]).all()
    assert_same_bits(skipping, train(widths, nets, 16, 0.0, ADAM, 1e-2, 0.0, True, skip_dead=False))


@pytest.mark.parametrize("optimizer, lr, momentum", [
    (ADAM, np.inf, 0.0), (ADAM, -1e-2, 0.0), (SGD, np.inf, 0.0), (SGD, -1e-2, 0.0), (SGD, 1e-2, np.inf)])
def test_settings_under_which_a_step_moves_a_dead_layer_leave_nothing_frozen(optimizer, lr, momentum):
    """A step leaves a parameter with g = m = v = +0 alone only for a finite lr > 0 and a finite momentum: an
    infinite one makes it NaN, a negative one turns −0 into +0. Under these, networks dead from the start (some
    parameters −0) train as with every step computed."""
    widths = [1] + [2] * 9 + [1]
    nets = he_networks(widths, 150, count=12, seed=1, signed_zeros=True)
    assert_same_bits(train(widths, nets, 64, 0.0, optimizer, lr, momentum, True),
                     train(widths, nets, 64, 0.0, optimizer, lr, momentum, True, skip_dead=False))


def test_an_epsilon_whose_product_rounds_to_zero_leaves_nothing_frozen():
    """Adam divides a parameter with g = m = v = +0 by ε·(1 − β1^t): for ε = 5e-324 that rounds to 0, and 0/0 makes
    the parameter NaN. H[0] is +0 at every point (x ≥ 0 under weights −1) below live layers (biases 1), so the input
    layer would freeze; it must not, and trains as with every step computed."""
    widths = [1, 2, 2, 2, 1]
    x = np.linspace(0.0, 2.6, 100)[None, :]
    p = [-1.0, -1.0, 0.0, 0.0] + [0.5, 0.5, 0.5, 0.5, 1.0, 1.0] * 2 + [1.0, 1.0, 0.5]
    nets = (np.array([p]), x, np.abs(x), np.array([7], dtype=np.uint64))
    skipping = train(widths, nets, 16, 0.0, ADAM, 1e-2, 0.0, True, eps=5e-324)
    assert np.isnan(skipping[0][0, :4]).all()
    assert_same_bits(skipping, train(widths, nets, 16, 0.0, ADAM, 1e-2, 0.0, True, skip_dead=False, eps=5e-324))
