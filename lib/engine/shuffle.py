"""Each network's batch order: a Fisher–Yates shuffle driven by splitmix64, the same in every engine.

splitmix64's t-th output is a function of its seed and t alone (Steele, Lea & Flood 2014: the state advances by a
constant), so the shuffle draws all its swap partners first, in a loop the compiler vectorizes (vpmullq on AVX-512),
and then swaps: the permutation is the one the draw-and-swap loop gives, in half its time on AVX-512.
"""
import numba
import numpy as np
from lib.engine import simd as v, numba_cache

numba_cache.watch()  # before the decorators below: their cache follows every engine file

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's increment
EPOCH_MIXER = np.uint64(0xD1B54A32D192ED03)


@numba.njit(cache=True, inline='always')
def _splitmix64_output(state):
    """splitmix64's output for a state (after its increment)."""
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def shuffle_into(order, partners, seed, epoch):
    """Fill order with the permutation of range(len(order)) that network seed uses in epoch (Fisher–Yates from the
    last index down, splitmix64, index drawn by Lemire's multiply-shift, for len(order) < 2^32); partners: scratch
    for len(order) int64, written through a pointer without a bounds check: no shorter."""
    n = order.shape[0]
    O, J = v.data(order), v.data(partners)
    state = np.uint64(seed) ^ (np.uint64(epoch + 1) * EPOCH_MIXER)
    for t in range(n - 1):  # the t-th swap exchanges index i = n − 1 − t with J[t] ≤ i
        r = _splitmix64_output(state + np.uint64(t + 1) * GOLDEN_GAMMA)
        J[t] = np.int64(((r >> np.uint64(32)) * np.uint64(n - t)) >> np.uint64(32))  # Lemire's multiply-shift
    for i in range(n):
        O[i] = i
    for t in range(n - 1):
        i = n - 1 - t
        j = J[t]
        swapped = O[j]
        O[j] = O[i]
        O[i] = swapped


def permutation(seed: int, epoch: int, size: int) -> np.ndarray:
    """The batch order of one network in one epoch, as the kernel uses it."""
    order = np.empty(size, dtype=np.int64)
    shuffle_into(order, np.empty(size, dtype=np.int64), np.uint64(seed), epoch)
    return order
