"""The batch order: lib.engine.shuffle draws every swap partner first, then swaps; it must give the permutation that
Fisher–Yates with splitmix64, drawing as it swaps, gives (the order every result so far was trained in)."""
import numpy as np
from hypothesis import given, settings, strategies as st

from lib.engine.shuffle import permutation

MASK = (1 << 64) - 1


def splitmix64(state: int) -> tuple[int, int]:
    """Steele, Lea & Flood (2014): the next state and its output."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def draw_as_you_swap(seed: int, epoch: int, size: int) -> list[int]:
    """Fisher–Yates from the last index down, each partner drawn by Lemire's multiply-shift just before its swap."""
    order = list(range(size))
    state = seed ^ (((epoch + 1) * 0xD1B54A32D192ED03) & MASK)
    for i in range(size - 1, 0, -1):
        state, r = splitmix64(state)
        j = ((r >> 32) * (i + 1)) >> 32
        order[i], order[j] = order[j], order[i]
    return order


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, MASK), epoch=st.integers(0, 10_000), size=st.integers(0, 300))
def test_drawing_the_partners_first_gives_the_draw_as_you_swap_permutation(seed, epoch, size):
    assert permutation(seed, epoch, size).tolist() == draw_as_you_swap(seed, epoch, size)


def test_a_protocol_sized_order_is_the_draw_as_you_swap_one():
    assert np.array_equal(permutation(2**63 + 5, 99, 3000), draw_as_you_swap(2**63 + 5, 99, 3000))
