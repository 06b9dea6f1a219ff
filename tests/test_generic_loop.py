"""The generic loop (lib.engine.kernel, lib.engine.kernel_layers) computes one order of operations on every machine: the bits of
fb78ed1's fastmath loop as built for an AVX2 Zen 3, and the same bits for a sample in a block of 16 or past it.

tests/data/generic_loop_fb78ed1_znver3.npz holds the float64 bit patterns that commit fb78ed1's lib/engine/kernel.py
train_all(..., two_wide=False) gave, compiled with NUMBA_CPU_NAME=znver3 NUMBA_CPU_FEATURES= on 2026-11-27, for the
CASES below (inputs from `case_inputs`): the parameters after 3 epochs, the snapshots at epochs 0 and 1, the losses.
"""
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lib.engine import simd as v
from lib.engine.kernel import ADAM, SGD, train_all
from lib.engine.kernel_layers import deltas_below, forward

GOLDEN = Path(__file__).parent / "data" / "generic_loop_fb78ed1_znver3.npz"
# (seed, widths, points, batch): uneven and 3-to-5-wide layers; batches with whole blocks of 16, a group of 4 and
# single samples (150 = 64 + 64 + 22; 100 = 49 + 49 + 2), and a batch of 13 that never fills a block
CASES = [(3, [1, 3, 3, 1], 150, 64), (7, [1, 5, 5, 1], 100, 49), (15, [1, 5, 3, 4, 1], 150, 64),
         (16, [1, 2, 3, 1], 61, 13)]
SETTINGS = [(0.0, ADAM, 1e-2, 0.0), (0.01, ADAM, 1e-2, 0.0), (0.0, SGD, 1e-2, 0.9), (0.2, SGD, 1e-2, 0.0)]


def case_inputs(seed, widths, points):
    """Parameters, data and shuffle seeds of 5 networks."""
    rng = np.random.default_rng(seed)
    size = sum(a * b + b for a, b in zip(widths, widths[1:]))
    x = rng.uniform(-2.6, 2.6, (5, points))
    params = rng.normal(0.0, 0.8 / np.sqrt(max(widths) / 2), (5, size))
    return params, x, np.abs(x) + 0.1 * np.sin(5 * x), np.arange(100, 105, dtype=np.uint64)


@pytest.mark.parametrize("seed, widths, points, batch", CASES)
@pytest.mark.parametrize("setting", range(len(SETTINGS)))
def test_the_generic_loop_gives_the_bits_of_fb78ed1s_zen_3_build(seed, widths, points, batch, setting):
    slope, optimizer, lr, momentum = SETTINGS[setting]
    params, x, y, seeds = case_inputs(seed, widths, points)
    snapshot_at = np.array([True, True, False, False])
    snapshots, losses = np.zeros((2, *params.shape)), np.zeros((3, 5))
    train_all(params, np.array(widths, dtype=np.int64), slope, x, y, seeds, 3, batch, optimizer, lr, 0.9, 0.999, 1e-8,
              momentum, snapshot_at, snapshots, losses, False)
    golden = np.load(GOLDEN)
    for name, array in (("p", params), ("s", snapshots), ("l", losses)):
        assert np.array_equal(array.view(np.uint64), golden[f"{seed}_{setting}_{name}"]), name


@numba.njit
def layer_forward(P, fan_in, fan_out, slope, hidden, a, count):
    o = np.zeros(fan_out * 32)
    forward(v.data(P), 0, fan_in, fan_out, slope, hidden, v.data(a), v.data(o), count, 32)
    return o.reshape(fan_out, 32)


@numba.njit
def layer_deltas(P, fan_in, fan_out, slope, a, d, count):
    below = np.zeros(fan_in * 32)
    deltas_below(v.data(P), 0, fan_in, fan_out, slope, v.data(a), v.data(d), v.data(below), count, 32)
    return below.reshape(fan_in, 32)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.sampled_from([0.0, 0.01, 0.3]), st.integers(0, 2 ** 32 - 1))
def test_a_sample_gets_the_same_bits_in_a_block_of_16_or_past_it(fan_in, fan_out, slope, seed):
    """count = 32 puts samples 0–31 in blocks; 15, 17 and 31 put some of them past the last block, one at a time."""
    rng = np.random.default_rng(seed)
    P = rng.normal(0.0, 1.0, fan_in * fan_out + fan_out)
    a = np.where(rng.random(fan_in * 32) < 0.3, 0.0, rng.normal(0.0, 1.0, fan_in * 32))  # dead units' zeros too
    d = rng.normal(0.0, 1.0, fan_out * 32)
    for hidden in (True, False):
        blocked = layer_forward(P, fan_in, fan_out, slope, hidden, a, 32)
        for count in (15, 17, 31):
            assert np.array_equal(layer_forward(P, fan_in, fan_out, slope, hidden, a, count)[:, :count].view(np.uint64),
                                  blocked[:, :count].view(np.uint64))
    blocked = layer_deltas(P, fan_in, fan_out, slope, a, d, 32)
    for count in (15, 17, 31):
        assert np.array_equal(layer_deltas(P, fan_in, fan_out, slope, a, d, count)[:, :count].view(np.uint64),
                              blocked[:, :count].view(np.uint64))
