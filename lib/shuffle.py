"""Each network's batch order: a Fisher–Yates shuffle driven by splitmix64, the same in every engine."""
import numba
import numpy as np
from lib import numba_cache

numba_cache.watch()  # before the decorators below: their cache follows every engine file


@numba.njit(cache=True)
def _splitmix64(state):
    state = (state + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    z = state
    z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    return state, z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def shuffle_into(order, seed, epoch):
    """Fill order with the permutation of range(len(order)) that network seed uses in epoch (Fisher–Yates,
    splitmix64; index drawn by Lemire's multiply-shift, for len(order) < 2^32)."""
    n = order.shape[0]
    for i in range(n):
        order[i] = i
    state = np.uint64(seed) ^ (np.uint64(epoch + 1) * np.uint64(0xD1B54A32D192ED03))
    for i in range(n - 1, 0, -1):
        state, r = _splitmix64(state)
        j = np.int64(((r >> np.uint64(32)) * np.uint64(i + 1)) >> np.uint64(32))  # Lemire's multiply-shift
        order[i], order[j] = order[j], order[i]


def permutation(seed: int, epoch: int, size: int) -> np.ndarray:
    """The batch order of one network in one epoch, as the kernel uses it."""
    order = np.empty(size, dtype=np.int64)
    shuffle_into(order, np.uint64(seed), epoch)
    return order
