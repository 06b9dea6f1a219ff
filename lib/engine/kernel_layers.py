"""A dense layer of the generic loop (lib.engine.kernel), any fan-in and fan-out, in explicit 4-wide vectors: its forward
pass, its gradients and the deltas below it.

A layer's rows (one per unit, a sample a column) lie `stride` apart. The forward pass keeps 16 samples' sums in four
registers while it walks the inputs (one broadcast weight and four loads for four FMAs); the deltas below a layer
are built the same way; each gradient is a batch sum in lib.engine.engine_sums's order. Samples past the last block of 16
run one at a time, in the same order of operations. φ(z) is z for z > 0 and slope·z otherwise, φ' 1 or slope.
"""
import numba

from lib.engine import simd as v
from lib.engine.engine_sums import batch_dot, batch_sum
from lib.engine import numba_cache

numba_cache.watch()  # before the decorators below: their cache follows every engine file


@numba.njit(cache=True)
def forward(P, base, fan_in, fan_out, slope, hidden, a, o, count, stride):
    """o[j] = φ(b_j + Σ_i a[i] w_ij), the sum taken in i's order, φ only when hidden; the weights lie at P[base …]
    row-major [fan_in, fan_out], then the biases."""
    slopes = v.splat(slope)
    bias = base + fan_in * fan_out
    sixteen = count & ~15
    for n in range(0, sixteen, 16):
        for j in range(fan_out):
            c0 = c1 = c2 = c3 = v.splat(P[bias + j])
            for i in range(fan_in):
                w = v.splat(P[base + i * fan_out + j])
                row = v.at(a, i * stride + n)
                c0 = v.fma(v.load(row, 0), w, c0)
                c1 = v.fma(v.load(row, 4), w, c1)
                c2 = v.fma(v.load(row, 8), w, c2)
                c3 = v.fma(v.load(row, 12), w, c3)
            if hidden:
                c0, c1 = v.mul(c0, v.gate(c0, slopes)), v.mul(c1, v.gate(c1, slopes))
                c2, c3 = v.mul(c2, v.gate(c2, slopes)), v.mul(c3, v.gate(c3, slopes))
            out = v.at(o, j * stride + n)
            v.store(out, 0, c0)
            v.store(out, 4, c1)
            v.store(out, 8, c2)
            v.store(out, 12, c3)
    for n in range(sixteen, count):
        for j in range(fan_out):
            z = P[bias + j]
            for i in range(fan_in):
                z = v.scalar_fma(a[i * stride + n], P[base + i * fan_out + j], z)
            o[j * stride + n] = (z if z > 0.0 else slope * z) if hidden else z


@numba.njit(cache=True)
def gradients(G, base, fan_in, fan_out, a, d, count, stride, S):
    """The layer's weight and bias gradients (inputs a, output deltas d) into G[base …] (S: scratch for 4 float64)."""
    bias = base + fan_in * fan_out
    for j in range(fan_out):
        dj = v.at(d, j * stride)
        G[bias + j] = batch_sum(dj, count, S)
        for i in range(fan_in):
            G[base + i * fan_out + j] = batch_dot(v.at(a, i * stride), dj, count, S)


@numba.njit(cache=True)
def deltas_below(P, base, fan_in, fan_out, slope, a, d, below, count, stride):
    """below[i] = (Σ_j w_ij d[j]) · φ'(unit i, whose output is a[i]), the sum in j's order, its first term a product."""
    slopes = v.splat(slope)
    sixteen = count & ~15
    for n in range(0, sixteen, 16):
        for i in range(fan_in):
            w = v.splat(P[base + i * fan_out])
            c0, c1 = v.mul(w, v.load(d, n)), v.mul(w, v.load(d, n + 4))
            c2, c3 = v.mul(w, v.load(d, n + 8)), v.mul(w, v.load(d, n + 12))
            for j in range(1, fan_out):
                w = v.splat(P[base + i * fan_out + j])
                row = v.at(d, j * stride + n)
                c0 = v.fma(w, v.load(row, 0), c0)
                c1 = v.fma(w, v.load(row, 4), c1)
                c2 = v.fma(w, v.load(row, 8), c2)
                c3 = v.fma(w, v.load(row, 12), c3)
            ai, out = v.at(a, i * stride + n), v.at(below, i * stride + n)
            v.store(out, 0, v.mul(c0, v.gate(v.load(ai, 0), slopes)))
            v.store(out, 4, v.mul(c1, v.gate(v.load(ai, 4), slopes)))
            v.store(out, 8, v.mul(c2, v.gate(v.load(ai, 8), slopes)))
            v.store(out, 12, v.mul(c3, v.gate(v.load(ai, 12), slopes)))
    for n in range(sixteen, count):
        for i in range(fan_in):
            t = P[base + i * fan_out] * d[n]
            for j in range(1, fan_out):
                t = v.scalar_fma(P[base + i * fan_out + j], d[j * stride + n], t)
            below[i * stride + n] = t * (1.0 if a[i * stride + n] > 0.0 else slope)
