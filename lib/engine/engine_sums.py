"""The engine's one order of summation over a batch, written out so that no compiler or vector width can change it.

It is the order LLVM gave lib.engine.kernel's generic loop under fastmath on an AVX2 machine (Zen 3), where it vectorized
each batch sum with 4 lanes, 4 times unrolled: 16 partial sums over the batch's whole blocks of 16 samples, folded
pairwise, then a 4-lane loop over the groups of 4 that remain, then the last samples one by one. An AVX-512 build
of that loop summed in another order, so the engine now writes the order out and every machine with FMA
computes the same bits (tests/test_engine_sums.py, tests/test_generic_loop.py).
"""
import numba

from lib.engine import simd as v, numba_cache

numba_cache.watch()  # before the decorators below: their cache follows every engine file


@numba.njit(cache=True, forceinline=True)
def fold(S, g):
    """Sum g's 16 partial sums S[16g …] folded to one: lane q adds (S[q] + S[4 + q]) + (S[8 + q] + S[12 + q]),
    then the four lanes pairwise."""
    s = v.at(S, 16 * g)
    r0 = (s[0] + s[4]) + (s[8] + s[12])
    r1 = (s[1] + s[5]) + (s[9] + s[13])
    r2 = (s[2] + s[6]) + (s[10] + s[14])
    r3 = (s[3] + s[7]) + (s[11] + s[15])
    return (r0 + r2) + (r1 + r3)


@numba.njit(cache=True, forceinline=True)
def tail_dot(total, a, d, start, count):
    """total plus a[n] · d[n] over start ≤ n < count (past the whole blocks of 16): groups of 4 into 4 lanes, the
    first starting at total, folded pairwise, then the rest one by one."""
    whole = count & ~3
    if whole > start:
        l0, l1, l2, l3 = total, 0.0, 0.0, 0.0
        for n in range(start, whole, 4):
            l0 = v.scalar_fma(a[n], d[n], l0)
            l1 = v.scalar_fma(a[n + 1], d[n + 1], l1)
            l2 = v.scalar_fma(a[n + 2], d[n + 2], l2)
            l3 = v.scalar_fma(a[n + 3], d[n + 3], l3)
        total = (l0 + l2) + (l1 + l3)
        start = whole
    for n in range(start, count):
        total = v.scalar_fma(a[n], d[n], total)
    return total


@numba.njit(cache=True, forceinline=True)
def tail_sum(total, d, start, count):
    """total plus d[n] over start ≤ n < count, in tail_dot's order."""
    whole = count & ~3
    if whole > start:
        l0, l1, l2, l3 = total, 0.0, 0.0, 0.0
        for n in range(start, whole, 4):
            l0 += d[n]
            l1 += d[n + 1]
            l2 += d[n + 2]
            l3 += d[n + 3]
        total = (l0 + l2) + (l1 + l3)
        start = whole
    for n in range(start, count):
        total += d[n]
    return total


@numba.njit(cache=True, forceinline=True)
def _fold_registers(c0, c1, c2, c3, S):
    """fold's order for 16 partial sums held in four registers (lanes 0–3, 4–7, 8–11, 12–15); S: scratch for 4."""
    v.store(S, 0, v.add(v.add(c0, c1), v.add(c2, c3)))
    return (S[0] + S[2]) + (S[1] + S[3])


@numba.njit(cache=True, forceinline=True)
def batch_sum(d, count, S):
    """Σ d[n] over n < count in the engine's order (S: scratch for 4 float64)."""
    blocks = count >> 4
    c0 = c1 = c2 = c3 = v.splat(0.0)
    for k in range(blocks):
        n = 16 * k
        c0 = v.add(c0, v.load(d, n))
        c1 = v.add(c1, v.load(d, n + 4))
        c2 = v.add(c2, v.load(d, n + 8))
        c3 = v.add(c3, v.load(d, n + 12))
    return tail_sum(_fold_registers(c0, c1, c2, c3, S), d, 16 * blocks, count)


@numba.njit(cache=True, forceinline=True)
def batch_dot(a, d, count, S):
    """Σ a[n] · d[n] over n < count in the engine's order (S: scratch for 4 float64)."""
    blocks = count >> 4
    c0 = c1 = c2 = c3 = v.splat(0.0)
    for k in range(blocks):
        n = 16 * k
        c0 = v.fma(v.load(a, n), v.load(d, n), c0)
        c1 = v.fma(v.load(a, n + 4), v.load(d, n + 4), c1)
        c2 = v.fma(v.load(a, n + 8), v.load(d, n + 8), c2)
        c3 = v.fma(v.load(a, n + 12), v.load(d, n + 12), c3)
    return tail_dot(_fold_registers(c0, c1, c2, c3, S), a, d, 16 * blocks, count)
