"""The CPU fast path: K small piecewise-linear MLPs trained on MSE at once, compiled by numba.

Every network runs its whole training in one compiled loop (networks split over the cores), so the
thousands of tiny matrix products that PyTorch dispatches one by one cost nothing to launch. It
computes exactly what `torch.nn.Sequential` + `torch.optim.Adam`/`SGD` compute (tests/test_training.py
proves it), in float64.

Parameters of network k lie flat in params[k]: per layer, the weights [fan_in, fan_out] row-major,
then the biases [fan_out].

The arithmetic is spelled out, not left to fastmath: every multiply-add is one explicit fused `_fma`,
and every sum over a batch runs in one fixed order (16 running partial sums, folded as a 4-wide
vector reduction, then 4-wide and scalar tails; see `_fold16` and `_tail_dot`). So a network's result
depends on its own data alone (not on its neighbours, the thread count or the compiler's choices), and
the samples of a batch still fill the SIMD lanes. Networks whose hidden layers are all 2 wide (the
dying-ReLU protocol, up to MAX_HIDDEN hidden layers) take `_train_one_w2`: one function whose buffers all lie on
its stack, so no store can alias a load, nothing is reference-counted in the batch loop, and Adam vectorizes;
every other shape takes the generic path.
"""
import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, errors, types
from numba.extending import intrinsic

ADAM, SGD = 0, 1
LANES = 16  # running partial sums per batch sum: 4 vectors of 4 doubles


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c rounded once (llvm.fma), whatever the fastmath flags."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        fn = builder.module.declare_intrinsic('llvm.fma', [double], ir.FunctionType(double, [double] * 3))
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def _sqrt(typingctx, a):
    """The correctly rounded square root (llvm.sqrt, which vectorizes; libm's sqrt call does not)."""
    sig = types.float64(types.float64)

    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        fn = builder.module.declare_intrinsic('llvm.sqrt', [double], ir.FunctionType(double, [double]))
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def _stack_doubles(typingctx, count):
    """A pointer to count (a compile-time constant) float64 on the stack of the calling function: scratch that the
    compiler knows nothing else aliases, so it can keep it in registers."""
    if not isinstance(count, types.IntegerLiteral):
        raise errors.RequireLiteralValue(count)
    sig = types.CPointer(types.float64)(count)

    def codegen(context, builder, signature, args):
        return cgutils.alloca_once(builder, ir.DoubleType(), size=count.literal_value)

    return sig, codegen


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


@numba.njit(cache=True)
def _layer_offsets(widths):
    layers = widths.shape[0] - 1
    offsets = np.zeros(layers + 1, dtype=np.int64)
    for l in range(layers):
        offsets[l + 1] = offsets[l] + widths[l] * widths[l + 1] + widths[l + 1]
    return offsets


# ---------------------------------------------------------------------------------------------- batch sums


@numba.njit(cache=True)
def _fold16(acc):
    """The 16 partial sums acc[0:16] folded to one: lane q sums (acc[q] + acc[4 + q]) + (acc[8 + q] + acc[12 + q]),
    then the 4 lanes pairwise ((0 + 2) + (1 + 3))."""
    r0 = (acc[0] + acc[4]) + (acc[8] + acc[12])
    r1 = (acc[1] + acc[5]) + (acc[9] + acc[13])
    r2 = (acc[2] + acc[6]) + (acc[10] + acc[14])
    r3 = (acc[3] + acc[7]) + (acc[11] + acc[15])
    return (r0 + r2) + (r1 + r3)


@numba.njit(cache=True)
def _tail_dot(total, a, d, start, count):
    """total plus the sum of a[n] * d[n] over start <= n < count (start a multiple of 16): whole groups of 4
    into 4 lanes (the first starting at total), folded pairwise, then the rest one by one."""
    whole = count & ~3
    if whole > start:
        l0, l1, l2, l3 = total, 0.0, 0.0, 0.0
        for n in range(start, whole, 4):
            l0 = _fma(a[n], d[n], l0)
            l1 = _fma(a[n + 1], d[n + 1], l1)
            l2 = _fma(a[n + 2], d[n + 2], l2)
            l3 = _fma(a[n + 3], d[n + 3], l3)
        total = (l0 + l2) + (l1 + l3)
        start = whole
    for n in range(start, count):
        total = _fma(a[n], d[n], total)
    return total


@numba.njit(cache=True)
def _tail_sum(total, d, start, count):
    """total plus the sum of d[n] over start <= n < count, in _tail_dot's order."""
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


# ---------------------------------------------------------------------------------------- batch, loss, step


@numba.njit(cache=True)
def _gather(x, y, order, start, count, xb, yb):
    """xb[n], yb[n] = the batch's n-th sample, for n < count."""
    for n in range(count):
        xb[n] = x[order[start + n]]
        yb[n] = y[order[start + n]]


@numba.njit(cache=True)
def _output_error(out, yb, count, inv_samples, inv_count, delta, epoch_loss):
    """delta[n] = dloss/d(out[n]) of the batch's mean squared error; returns epoch_loss plus each sample's
    squared error / samples, added one by one."""
    for n in range(count):
        delta[n] = ((out[n] - yb[n]) * 2.0) * inv_count
    for n in range(count):
        error = out[n] - yb[n]
        epoch_loss = _fma(error * error, inv_samples, epoch_loss)
    return epoch_loss


@numba.njit(cache=True)
def _adam_step(p, grad, m, v, step, lr, beta1, beta2, eps):
    """One torch.optim.Adam step, p -= lr/(1 - beta1^t) * m / (sqrt(v)/sqrt(1 - beta2^t) + eps)."""
    size = p.shape[0]
    correction1 = 1.0 - beta1 ** step
    correction2 = np.sqrt(1.0 - beta2 ** step)
    inv_correction2 = 1.0 / correction2
    odd = size & ~3  # the first parameter past the last whole group of 4
    p_odd = p[odd] if size % 2 == 1 else 0.0
    for q in range(size):
        g = grad[q]
        square = g * g
        mq = _fma(m[q] - g, beta1, g)
        vq = _fma(v[q] - square, beta2, square)
        m[q] = mq
        v[q] = vq
        p[q] = p[q] - (mq * lr) / (_fma(_sqrt(vq), inv_correction2, eps) * correction1)
    if size % 2 == 1:  # which, for an odd size, divides by correction2 instead (as the old compiled loop did)
        p[odd] = p_odd - (m[odd] * lr) / ((_sqrt(v[odd]) / correction2 + eps) * correction1)


@numba.njit(cache=True)
def _sgd_step(p, grad, m, step, lr, momentum):
    """One torch.optim.SGD step (momentum buffer seeded with the first gradient)."""
    if momentum != 0.0:
        for q in range(p.shape[0]):
            m[q] = grad[q] if step == 1 else _fma(momentum, m[q], grad[q])
            p[q] = _fma(-lr, m[q], p[q])
    else:
        for q in range(p.shape[0]):
            p[q] = _fma(-lr, grad[q], p[q])


# ---------------------------------------------------------------------------------------- generic widths


@numba.njit(cache=True)
def _forward(p, widths, offsets, slope, acts, count):
    """acts[l + 1] = φ(acts[l] @ W + b) for every layer; the last layer stays linear."""
    layers = widths.shape[0] - 1
    for l in range(layers):
        fan_in, fan_out, base = widths[l], widths[l + 1], offsets[l]
        bias = base + fan_in * fan_out
        src, dst = acts[l], acts[l + 1]
        for j in range(fan_out):
            out = dst[j]
            b = p[bias + j]
            for n in range(count):
                out[n] = b
            for i in range(fan_in):
                w = p[base + i * fan_out + j]
                a = src[i]
                for n in range(count):
                    out[n] = _fma(a[n], w, out[n])
            if l < layers - 1:
                for n in range(count):
                    z = out[n]
                    out[n] = z if z > 0.0 else slope * z


@numba.njit(cache=True)
def _batch_dot(a, d, acc, count):
    """The sum of a[n] * d[n] over the batch, in the fixed order (see _fold16)."""
    whole = count & ~15
    acc = numba.carray(_stack_doubles(16), LANES)
    acc[:] = 0.0
    for b in range(0, whole, LANES):
        for q in range(LANES):
            acc[q] = _fma(a[b + q], d[b + q], acc[q])
    return _tail_dot(_fold16(acc), a, d, whole, count)


@numba.njit(cache=True)
def _batch_sum(d, acc, count):
    """The sum of d[n] over the batch, in the fixed order (see _fold16)."""
    whole = count & ~15
    acc = numba.carray(_stack_doubles(16), LANES)
    acc[:] = 0.0
    for b in range(0, whole, LANES):
        for q in range(LANES):
            acc[q] += d[b + q]
    return _tail_sum(_fold16(acc), d, whole, count)


@numba.njit(cache=True)
def _backward(p, widths, offsets, slope, acts, deltas, acc, grad, count):
    """grad = dloss/dp from the output deltas in deltas[0], walking the layers back."""
    layers = widths.shape[0] - 1
    cur = 0
    for l in range(layers - 1, -1, -1):
        fan_in, fan_out, base = widths[l], widths[l + 1], offsets[l]
        bias = base + fan_in * fan_out
        d = deltas[cur]
        for j in range(fan_out):
            grad[bias + j] = _batch_sum(d[j], acc, count)
            for i in range(fan_in):
                grad[base + i * fan_out + j] = _batch_dot(acts[l, i], d[j], acc, count)
        if l > 0:
            nxt = deltas[1 - cur]
            for i in range(fan_in):
                out = nxt[i]
                w = p[base + i * fan_out]
                first = d[0]
                for n in range(count):
                    out[n] = w * first[n]
                for j in range(1, fan_out):
                    w = p[base + i * fan_out + j]
                    dj = d[j]
                    for n in range(count):
                        out[n] = _fma(w, dj[n], out[n])
                a = acts[l, i]
                for n in range(count):  # φ'(z) = 1 for z > 0, slope otherwise (as torch)
                    out[n] = out[n] * (1.0 if a[n] > 0.0 else slope)
            cur = 1 - cur


# ------------------------------------------------------------------------------------ hidden layers 2 wide


@numba.njit(cache=True)
def _forward_w2(p, layers, slope, xb, h, out, count):
    """h[l] = the 2 activations after layer l (l < layers - 1), out = the linear output, for 1 → 2 → … → 2 → 1."""
    w0, w1, b0, b1 = p[0], p[1], p[2], p[3]
    for n in range(count):
        z0 = _fma(xb[n], w0, b0)
        z1 = _fma(xb[n], w1, b1)
        h[0, 0, n] = z0 if z0 > 0.0 else slope * z0
        h[0, 1, n] = z1 if z1 > 0.0 else slope * z1
    for l in range(1, layers - 1):
        base = 4 + 6 * (l - 1)
        w00, w01, w10, w11, b0, b1 = p[base], p[base + 1], p[base + 2], p[base + 3], p[base + 4], p[base + 5]
        for n in range(count):
            a0 = h[l - 1, 0, n]
            a1 = h[l - 1, 1, n]
            z0 = _fma(a1, w10, _fma(a0, w00, b0))
            z1 = _fma(a1, w11, _fma(a0, w01, b1))
            h[l, 0, n] = z0 if z0 > 0.0 else slope * z0
            h[l, 1, n] = z1 if z1 > 0.0 else slope * z1
    base = 4 + 6 * (layers - 2)
    w0, w1, b = p[base], p[base + 1], p[base + 2]
    for n in range(count):
        out[n] = _fma(h[layers - 2, 1, n], w1, _fma(h[layers - 2, 0, n], w0, b))


@numba.njit(cache=True)
def _backward_last_w2(p, base, slope, a, d, nd, acc, grad, count):
    """Gradients of the output layer (2 → 1) into grad, and the deltas below it into nd."""
    w0, w1 = p[base], p[base + 1]
    whole = count & ~15
    acc = numba.carray(_stack_doubles(96), (6, LANES))
    acc[:, :] = 0.0
    for b in range(0, whole, LANES):
        for q in range(LANES):
            n = b + q
            a0, a1, dn = a[0, n], a[1, n], d[n]
            acc[0, q] += dn
            acc[1, q] = _fma(a0, dn, acc[1, q])
            acc[2, q] = _fma(a1, dn, acc[2, q])
    grad[base + 2] = _tail_sum(_fold16(acc[0]), d, whole, count)
    grad[base] = _tail_dot(_fold16(acc[1]), a[0], d, whole, count)
    grad[base + 1] = _tail_dot(_fold16(acc[2]), a[1], d, whole, count)
    for n in range(count):
        nd[0, n] = (w0 * d[n]) * (1.0 if a[0, n] > 0.0 else slope)
        nd[1, n] = (w1 * d[n]) * (1.0 if a[1, n] > 0.0 else slope)


@numba.njit(cache=True)
def _backward_hidden_w2(p, base, slope, a, d, nd, acc, grad, count):
    """Gradients of one hidden layer (2 → 2) into grad, and the deltas below it into nd."""
    w00, w01, w10, w11 = p[base], p[base + 1], p[base + 2], p[base + 3]
    whole = count & ~15
    acc = numba.carray(_stack_doubles(96), (6, LANES))
    acc[:, :] = 0.0
    for b in range(0, whole, LANES):
        for q in range(LANES):
            n = b + q
            a0, a1, d0, d1 = a[0, n], a[1, n], d[0, n], d[1, n]
            acc[0, q] += d0
            acc[1, q] += d1
            acc[2, q] = _fma(a0, d0, acc[2, q])
            acc[3, q] = _fma(a0, d1, acc[3, q])
            acc[4, q] = _fma(a1, d0, acc[4, q])
            acc[5, q] = _fma(a1, d1, acc[5, q])
    grad[base + 4] = _tail_sum(_fold16(acc[0]), d[0], whole, count)
    grad[base + 5] = _tail_sum(_fold16(acc[1]), d[1], whole, count)
    grad[base] = _tail_dot(_fold16(acc[2]), a[0], d[0], whole, count)
    grad[base + 1] = _tail_dot(_fold16(acc[3]), a[0], d[1], whole, count)
    grad[base + 2] = _tail_dot(_fold16(acc[4]), a[1], d[0], whole, count)
    grad[base + 3] = _tail_dot(_fold16(acc[5]), a[1], d[1], whole, count)
    for n in range(count):
        nd[0, n] = _fma(w01, d[1, n], w00 * d[0, n]) * (1.0 if a[0, n] > 0.0 else slope)
        nd[1, n] = _fma(w11, d[1, n], w10 * d[0, n]) * (1.0 if a[1, n] > 0.0 else slope)


@numba.njit(cache=True)
def _backward_first_w2(xb, d, acc, grad, count):
    """Gradients of the input layer (1 → 2) into grad."""
    whole = count & ~15
    acc = numba.carray(_stack_doubles(96), (6, LANES))
    acc[:, :] = 0.0
    for b in range(0, whole, LANES):
        for q in range(LANES):
            n = b + q
            xn, d0, d1 = xb[n], d[0, n], d[1, n]
            acc[0, q] += d0
            acc[1, q] += d1
            acc[2, q] = _fma(xn, d0, acc[2, q])
            acc[3, q] = _fma(xn, d1, acc[3, q])
    grad[2] = _tail_sum(_fold16(acc[0]), d[0], whole, count)
    grad[3] = _tail_sum(_fold16(acc[1]), d[1], whole, count)
    grad[0] = _tail_dot(_fold16(acc[2]), xb, d[0], whole, count)
    grad[1] = _tail_dot(_fold16(acc[3]), xb, d[1], whole, count)


@numba.njit(cache=True)
def _backward_w2(p, layers, slope, xb, h, out_delta, deltas, acc, grad, count):
    """grad = dloss/dp for 1 → 2 → … → 2 → 1 from the output deltas, walking the layers back."""
    _backward_last_w2(p, 4 + 6 * (layers - 2), slope, h[layers - 2], out_delta, deltas[0], acc, grad, count)
    cur = 0
    for l in range(layers - 2, 0, -1):
        _backward_hidden_w2(p, 4 + 6 * (l - 1), slope, h[l - 1], deltas[cur], deltas[1 - cur], acc, grad, count)
        cur = 1 - cur
    _backward_first_w2(xb, deltas[cur], acc, grad, count)


@numba.njit(cache=True)
def _hidden_two_wide(widths):
    layers = widths.shape[0] - 1
    if layers < 2 or widths[0] != 1 or widths[layers] != 1:
        return False
    for l in range(1, layers):
        if widths[l] != 2:
            return False
    return True


# ------------------------------------------------------------------------- hidden layers 2 wide, fused, on the stack
# One network's whole training with every buffer on the stack of one function (helpers inlined in numba's IR):
# the compiler then knows that no store aliases a load, keeps the batch sums in registers and vectorizes Adam.
# Activations are held at each layer's input: H[0, 0] = x, H[l] = the 2 activations entering layer l.

PIECE = 64  # samples per forward/backward sweep (a multiple of LANES)
MAX_HIDDEN = 30  # hidden layers the fused path holds
MAX_SIZE = 4 + 6 * (MAX_HIDDEN - 1) + 3  # its parameters
ACC_DOUBLES = MAX_SIZE * LANES  # stack sizes, as the compile-time constants _stack_doubles needs
H_DOUBLES = (MAX_HIDDEN + 1) * 2 * PIECE
TD_DOUBLES = (MAX_HIDDEN + 1) * 2 * LANES
D_DOUBLES = 2 * 2 * PIECE


@numba.njit(cache=True, inline='always')
def _act(z, slope):
    """φ(z): z for z > 0, slope * z otherwise."""
    return z if z > 0.0 else slope * z


@numba.njit(cache=True, inline='always')
def _gate(a, slope):
    """φ'(z) from a = φ(z): 1 for a > 0, slope otherwise (as torch)."""
    return 1.0 if a > 0.0 else slope


@numba.njit(cache=True, inline='always')
def _hidden_base(l):
    """The first parameter of layer l (1 <= l), for 1 → 2 → … → 2 → 1."""
    return 4 + 6 * (l - 1)


@numba.njit(cache=True, inline='always')
def _forward_f(P, layers, slope, x, y, order, first, m, H, OUT, OD, YB, inv_samples, inv_count, epoch_loss):
    """Forward sweep of samples order[first:first + m] into H and OUT, the output deltas into OD; returns
    epoch_loss plus their squared errors / samples, added one by one."""
    for n in range(m):
        i = order[first + n]
        H[0, 0, n] = x[i]
        YB[n] = y[i]
    w0, w1, b0, b1 = P[0], P[1], P[2], P[3]
    for n in range(m):
        xn = H[0, 0, n]
        H[1, 0, n] = _act(_fma(xn, w0, b0), slope)
        H[1, 1, n] = _act(_fma(xn, w1, b1), slope)
    for l in range(1, layers - 1):
        base = _hidden_base(l)
        w00, w01, w10, w11, b0, b1 = P[base], P[base + 1], P[base + 2], P[base + 3], P[base + 4], P[base + 5]
        for n in range(m):
            a0 = H[l, 0, n]
            a1 = H[l, 1, n]
            H[l + 1, 0, n] = _act(_fma(a1, w10, _fma(a0, w00, b0)), slope)
            H[l + 1, 1, n] = _act(_fma(a1, w11, _fma(a0, w01, b1)), slope)
    base = _hidden_base(layers - 1)
    w0, w1, b = P[base], P[base + 1], P[base + 2]
    for n in range(m):
        out = _fma(H[layers - 1, 1, n], w1, _fma(H[layers - 1, 0, n], w0, b))
        OUT[n] = out
        OD[n] = ((out - YB[n]) * 2.0) * inv_count
    for n in range(m):
        error = OUT[n] - YB[n]
        epoch_loss = _fma(error * error, inv_samples, epoch_loss)
    return epoch_loss


@numba.njit(cache=True, inline='always')
def _backward_f(P, layers, slope, H, OD, D, ACC, m):
    """Backward sweep of m samples (a multiple of LANES): each gradient's 16 running partial sums in ACC, each
    layer's deltas computed in the same pass. Rows are taken as views once per layer, so the inner loops index
    with constants and non-negative counters only (no wraparound selects, which would stop vectorization)."""
    base = _hidden_base(layers - 1)
    w0, w1 = P[base], P[base + 1]
    a, acc, nd = H[layers - 1], ACC[base:base + 3], D[0]
    for b in range(0, m, LANES):
        for q in range(LANES):
            n = np.uint64(b + q)  # unsigned: no negative-index wraparound
            a0, a1, dn = a[0, n], a[1, n], OD[n]
            acc[2, q] += dn
            acc[0, q] = _fma(a0, dn, acc[0, q])
            acc[1, q] = _fma(a1, dn, acc[1, q])
            nd[0, n] = (w0 * dn) * _gate(a0, slope)
            nd[1, n] = (w1 * dn) * _gate(a1, slope)
    cur = 0
    for l in range(layers - 2, 0, -1):
        base = _hidden_base(l)
        w00, w01, w10, w11 = P[base], P[base + 1], P[base + 2], P[base + 3]
        a, acc, d, nd = H[l], ACC[base:base + 6], D[cur], D[1 - cur]
        for b in range(0, m, LANES):
            for q in range(LANES):
                n = np.uint64(b + q)  # unsigned: no negative-index wraparound
                a0, a1, d0, d1 = a[0, n], a[1, n], d[0, n], d[1, n]
                acc[4, q] += d0
                acc[5, q] += d1
                acc[0, q] = _fma(a0, d0, acc[0, q])
                acc[1, q] = _fma(a0, d1, acc[1, q])
                acc[2, q] = _fma(a1, d0, acc[2, q])
                acc[3, q] = _fma(a1, d1, acc[3, q])
                nd[0, n] = _fma(w01, d1, w00 * d0) * _gate(a0, slope)
                nd[1, n] = _fma(w11, d1, w10 * d0) * _gate(a1, slope)
        cur = 1 - cur
    x, acc, d = H[0, 0], ACC[0:4], D[cur]
    for b in range(0, m, LANES):
        for q in range(LANES):
            n = np.uint64(b + q)  # unsigned: no negative-index wraparound
            xn, d0, d1 = x[n], d[0, n], d[1, n]
            acc[2, q] += d0
            acc[3, q] += d1
            acc[0, q] = _fma(xn, d0, acc[0, q])
            acc[1, q] = _fma(xn, d1, acc[1, q])


@numba.njit(cache=True, inline='always')
def _tail_deltas_f(P, layers, slope, H, OD, TD, t):
    """TD[l, j, n] = the delta at output j of layer l, for the t < LANES samples of the batch's tail."""
    top = layers - 1
    base = _hidden_base(top)
    w0, w1 = P[base], P[base + 1]
    for n in range(t):
        TD[top, 0, n] = OD[n]
        TD[top - 1, 0, n] = (w0 * OD[n]) * _gate(H[top, 0, n], slope)
        TD[top - 1, 1, n] = (w1 * OD[n]) * _gate(H[top, 1, n], slope)
    for l in range(layers - 2, 0, -1):
        base = _hidden_base(l)
        w00, w01, w10, w11 = P[base], P[base + 1], P[base + 2], P[base + 3]
        for n in range(t):
            d0, d1 = TD[l, 0, n], TD[l, 1, n]
            TD[l - 1, 0, n] = _fma(w01, d1, w00 * d0) * _gate(H[l, 0, n], slope)
            TD[l - 1, 1, n] = _fma(w11, d1, w10 * d0) * _gate(H[l, 1, n], slope)


@numba.njit(cache=True, inline='always')
def _tail_dot_f(total, A, la, ia, TD, ld, jd, t):
    """_tail_dot over the tail: total plus the sum of A[la, ia, n] * TD[ld, jd, n] for n < t."""
    whole = t & ~3
    if whole > 0:
        l0, l1, l2, l3 = total, 0.0, 0.0, 0.0
        for n in range(0, whole, 4):
            l0 = _fma(A[la, ia, n], TD[ld, jd, n], l0)
            l1 = _fma(A[la, ia, n + 1], TD[ld, jd, n + 1], l1)
            l2 = _fma(A[la, ia, n + 2], TD[ld, jd, n + 2], l2)
            l3 = _fma(A[la, ia, n + 3], TD[ld, jd, n + 3], l3)
        total = (l0 + l2) + (l1 + l3)
    for n in range(whole, t):
        total = _fma(A[la, ia, n], TD[ld, jd, n], total)
    return total


@numba.njit(cache=True, inline='always')
def _tail_sum_f(total, TD, ld, jd, t):
    """_tail_sum over the tail: total plus the sum of TD[ld, jd, n] for n < t."""
    whole = t & ~3
    if whole > 0:
        l0, l1, l2, l3 = total, 0.0, 0.0, 0.0
        for n in range(0, whole, 4):
            l0 += TD[ld, jd, n]
            l1 += TD[ld, jd, n + 1]
            l2 += TD[ld, jd, n + 2]
            l3 += TD[ld, jd, n + 3]
        total = (l0 + l2) + (l1 + l3)
    for n in range(whole, t):
        total += TD[ld, jd, n]
    return total


@numba.njit(cache=True, inline='always')
def _tail_grads_f(layers, H, TD, G, t):
    """Add the tail's t samples to every gradient in G, in _tail_dot's order."""
    for l in range(layers):
        fan_in = 1 if l == 0 else 2
        fan_out = 1 if l == layers - 1 else 2
        base = 0 if l == 0 else _hidden_base(l)
        bias = base + fan_in * fan_out
        for j in range(fan_out):
            G[bias + j] = _tail_sum_f(G[bias + j], TD, l, j, t)
            for i in range(fan_in):
                g = base + i * fan_out + j
                G[g] = _tail_dot_f(G[g], H, l, i, TD, l, j, t)


@numba.njit(cache=True, inline='always')
def _fold_row(ACC, g):
    """_fold16 of ACC[g]."""
    r0 = (ACC[g, 0] + ACC[g, 4]) + (ACC[g, 8] + ACC[g, 12])
    r1 = (ACC[g, 1] + ACC[g, 5]) + (ACC[g, 9] + ACC[g, 13])
    r2 = (ACC[g, 2] + ACC[g, 6]) + (ACC[g, 10] + ACC[g, 14])
    r3 = (ACC[g, 3] + ACC[g, 7]) + (ACC[g, 11] + ACC[g, 15])
    return (r0 + r2) + (r1 + r3)


@numba.njit(cache=True, inline='always')
def _adam_f(P, G, M, V, size, step, lr, beta1, beta2, eps):
    """_adam_step on the stack buffers."""
    correction1 = 1.0 - beta1 ** step
    correction2 = np.sqrt(1.0 - beta2 ** step)
    inv_correction2 = 1.0 / correction2
    odd = size & ~3
    p_odd = P[odd] if size % 2 == 1 else 0.0
    for q in range(size):
        g = G[q]
        square = g * g
        mq = _fma(M[q] - g, beta1, g)
        vq = _fma(V[q] - square, beta2, square)
        M[q] = mq
        V[q] = vq
        P[q] = P[q] - (mq * lr) / (_fma(_sqrt(vq), inv_correction2, eps) * correction1)
    if size % 2 == 1:
        P[odd] = p_odd - (M[odd] * lr) / ((_sqrt(V[odd]) / correction2 + eps) * correction1)


@numba.njit(cache=True, inline='always')
def _sgd_f(P, G, M, size, step, lr, momentum):
    """_sgd_step on the stack buffers."""
    if momentum != 0.0:
        for q in range(size):
            M[q] = G[q] if step == 1 else _fma(momentum, M[q], G[q])
            P[q] = _fma(-lr, M[q], P[q])
    else:
        for q in range(size):
            P[q] = _fma(-lr, G[q], P[q])


@numba.njit(cache=True)
def _train_one_w2(p, layers, slope, x, y, seed, epochs, batch, optimizer, lr, beta1, beta2, eps, momentum,
                  snapshot_at, snapshots, k, losses):
    """_train_one for 1 → 2 → … → 2 → 1 with at most MAX_HIDDEN hidden layers."""
    size = p.shape[0]
    samples = x.shape[0]
    P = numba.carray(_stack_doubles(MAX_SIZE), MAX_SIZE)
    G = numba.carray(_stack_doubles(MAX_SIZE), MAX_SIZE)
    M = numba.carray(_stack_doubles(MAX_SIZE), MAX_SIZE)
    V = numba.carray(_stack_doubles(MAX_SIZE), MAX_SIZE)
    ACC = numba.carray(_stack_doubles(ACC_DOUBLES), (MAX_SIZE, LANES))
    H = numba.carray(_stack_doubles(H_DOUBLES), (MAX_HIDDEN + 1, 2, PIECE))
    TD = numba.carray(_stack_doubles(TD_DOUBLES), (MAX_HIDDEN + 1, 2, LANES))
    D = numba.carray(_stack_doubles(D_DOUBLES), (2, 2, PIECE))
    OUT = numba.carray(_stack_doubles(PIECE), PIECE)
    OD = numba.carray(_stack_doubles(PIECE), PIECE)
    YB = numba.carray(_stack_doubles(PIECE), PIECE)
    for q in range(size):
        P[q] = p[q]
        M[q] = 0.0
        V[q] = 0.0
    order = np.empty(samples, dtype=np.int64)
    inv_samples = 1.0 / samples
    step = 0
    slot = 0
    if snapshot_at[0]:
        snapshots[slot, k, :] = p
        slot += 1
    for epoch in range(epochs):
        shuffle_into(order, seed, epoch)
        epoch_loss = 0.0
        for start in range(0, samples, batch):
            count = min(batch, samples - start)
            inv_count = 1.0 / count
            whole = count & ~(LANES - 1)
            for g in range(size):
                for q in range(LANES):
                    ACC[g, q] = 0.0
            for lo in range(0, whole, PIECE):
                m = min(PIECE, whole - lo)
                epoch_loss = _forward_f(P, layers, slope, x, y, order, start + lo, m, H, OUT, OD, YB, inv_samples,
                                        inv_count, epoch_loss)
                _backward_f(P, layers, slope, H, OD, D, ACC, m)
            for g in range(size):
                G[g] = _fold_row(ACC, g)
            t = count - whole
            if t > 0:
                epoch_loss = _forward_f(P, layers, slope, x, y, order, start + whole, t, H, OUT, OD, YB, inv_samples,
                                        inv_count, epoch_loss)
                _tail_deltas_f(P, layers, slope, H, OD, TD, t)
                _tail_grads_f(layers, H, TD, G, t)
            step += 1
            if optimizer == 0:
                _adam_f(P, G, M, V, size, step, lr, beta1, beta2, eps)
            else:
                _sgd_f(P, G, M, size, step, lr, momentum)
        losses[epoch, k] = epoch_loss
        if snapshot_at[epoch + 1]:
            for q in range(size):
                snapshots[slot, k, q] = P[q]
            slot += 1
    for q in range(size):
        p[q] = P[q]


# ------------------------------------------------------------------------------------------------ training


@numba.njit(cache=True)
def _train_one(p, widths, slope, x, y, seed, epochs, batch, optimizer, lr, beta1, beta2, eps, momentum,
               snapshot_at, snapshots, k, losses):
    layers = widths.shape[0] - 1
    if _hidden_two_wide(widths) and layers - 1 <= MAX_HIDDEN:
        _train_one_w2(p, layers, slope, x, y, seed, epochs, batch, optimizer, lr, beta1, beta2, eps, momentum,
                      snapshot_at, snapshots, k, losses)
        return
    width = widths.max()
    offsets = _layer_offsets(widths)
    size = p.shape[0]
    samples = x.shape[0]
    two_wide = _hidden_two_wide(widths)
    acts = np.zeros((layers + 1, width, batch))
    deltas = np.zeros((2, width, batch))
    out_delta = np.zeros(batch)
    xb = np.zeros(batch)
    yb = np.zeros(batch)
    acc = np.zeros((6, LANES))
    grad = np.zeros(size)
    m = np.zeros(size)
    v = np.zeros(size)
    order = np.empty(samples, dtype=np.int64)
    inv_samples = 1.0 / samples
    step = 0
    slot = 0
    if snapshot_at[0]:
        snapshots[slot, k, :] = p
        slot += 1
    for epoch in range(epochs):
        shuffle_into(order, seed, epoch)
        epoch_loss = 0.0
        for start in range(0, samples, batch):
            count = min(batch, samples - start)
            inv_count = 1.0 / count
            _gather(x, y, order, start, count, xb, yb)
            if two_wide:
                _forward_w2(p, layers, slope, xb, acts, acts[layers, 0], count)
                epoch_loss = _output_error(acts[layers, 0], yb, count, inv_samples, inv_count, out_delta, epoch_loss)
                _backward_w2(p, layers, slope, xb, acts, out_delta, deltas, acc, grad, count)
            else:
                acts[0, 0, :count] = xb[:count]
                _forward(p, widths, offsets, slope, acts, count)
                epoch_loss = _output_error(acts[layers, 0], yb, count, inv_samples, inv_count, deltas[0, 0],
                                           epoch_loss)
                _backward(p, widths, offsets, slope, acts, deltas, acc[0], grad, count)
            step += 1
            if optimizer == 0:
                _adam_step(p, grad, m, v, step, lr, beta1, beta2, eps)
            else:
                _sgd_step(p, grad, m, step, lr, momentum)
        losses[epoch, k] = epoch_loss
        if snapshot_at[epoch + 1]:
            snapshots[slot, k, :] = p
            slot += 1


@numba.njit(cache=True, parallel=True)
def train_all(params, widths, slope, x, y, seeds, epochs, batch, optimizer, lr, beta1, beta2, eps, momentum,
              snapshot_at, snapshots, losses):
    """Train every network k (row of params, x, y) in place; snapshots[s, k] holds the parameters at the
    s-th epoch flagged in snapshot_at (index 0 = initialization); losses[e, k] the mean batch loss of epoch e."""
    for k in numba.prange(params.shape[0]):
        _train_one(params[k], widths, slope, x[k], y[k], seeds[k], epochs, batch, optimizer, lr, beta1, beta2,
                   eps, momentum, snapshot_at, snapshots, k, losses)
