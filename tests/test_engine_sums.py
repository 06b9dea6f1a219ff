"""The engine's batch sums (lib.engine.engine_sums) run in the one order their docstring states, whatever the machine."""
from fractions import Fraction

import numba
import numpy as np
from hypothesis import given, settings, strategies as st

from lib.engine import simd as v
from lib.engine.engine_sums import batch_dot, batch_sum


@numba.njit
def engine_sum(d):
    return batch_sum(v.data(d), d.shape[0], v.stack(4))


@numba.njit
def engine_dot(a, d):
    return batch_dot(v.data(a), v.data(d), d.shape[0], v.stack(4))


def fma(a, b, c):
    """a · b + c rounded once."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def stated_order(terms, add):
    """Σ terms in the stated order: 16 partial sums over the whole blocks of 16 (lane q takes every n ≡ q mod 16),
    lane q of the fold (S[q] + S[4 + q]) + (S[8 + q] + S[12 + q]), the four folded pairwise; then the groups of 4
    left in 4 lanes (the first starting at the total), folded pairwise; then the last terms one by one.
    add(total, n) adds term n."""
    count, blocks = len(terms), len(terms) // 16
    S = [0.0] * 16
    for k in range(blocks):
        for q in range(16):
            S[q] = add(S[q], 16 * k + q)
    r = [(S[q] + S[4 + q]) + (S[8 + q] + S[12 + q]) for q in range(4)]
    total, start, whole = (r[0] + r[2]) + (r[1] + r[3]), 16 * blocks, count & ~3
    if whole > start:
        lanes = [total, 0.0, 0.0, 0.0]
        for n in range(start, whole, 4):
            for u in range(4):
                lanes[u] = add(lanes[u], n + u)
        total, start = (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]), whole
    for n in range(start, count):
        total = add(total, n)
    return total


values = st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(values, values), max_size=70))
def test_batch_sums_and_dots_run_in_the_stated_order(pairs):
    a = np.array([p[0] for p in pairs], dtype=np.float64)
    d = np.array([p[1] for p in pairs], dtype=np.float64)
    assert engine_sum(d) == stated_order(d, lambda total, n: total + d[n])
    assert engine_dot(a, d) == stated_order(d, lambda total, n: fma(a[n], d[n], total))


def test_the_order_is_not_the_sequential_one():
    """A case where the stated order and a plain left-to-right sum differ, so the test above can tell them apart."""
    d = np.array([1e16, 1.0, -1e16, 1.0] * 5)
    sequential = 0.0
    for term in d:
        sequential += term
    assert engine_sum(d) == stated_order(d, lambda total, n: total + d[n]) != sequential
