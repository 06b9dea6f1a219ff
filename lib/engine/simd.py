"""Four float64 in one SIMD register, for numba: a type whose value is LLVM's <4 x double>, and the few operations
the 2-wide engine needs, each one to three LLVM instructions or intrinsics.

A loop written in them compiles to packed AVX code in exactly the order written: nothing is left to the
auto-vectorizer, and no fastmath flag lets LLVM reorder a sum, so the result does not depend on the machine's vector
width (on a machine without FMA, llvm.fma becomes a call to libm's fma: as exact, much slower). Pointers come from
`stack`, `data` and `at`: indexing them carries none of the negative-index checks that keep numba's own loops over
arrays scalar.
"""
from llvmlite import ir
from numba.core import cgutils, errors, types
from numba.extending import intrinsic, models, register_model

DOUBLE = ir.DoubleType()
VECTOR = ir.VectorType(DOUBLE, 4)
ZERO = ir.Constant(VECTOR, [0.0] * 4)


class Vec4Type(types.Type):
    def __init__(self):
        super().__init__(name="Vec4")


vec4 = Vec4Type()


@register_model(Vec4Type)
class Vec4Model(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, VECTOR)


def _llvm_function(builder, name, value_type, arity):
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(value_type, [value_type] * arity), name)


@intrinsic
def stack(typingctx, count):
    """A pointer to count (a compile-time constant) float64 on the caller's stack: scratch that nothing else aliases."""
    if not isinstance(count, types.IntegerLiteral):
        raise errors.RequireLiteralValue(count)

    def codegen(context, builder, signature, args):
        pointer = cgutils.alloca_once(builder, DOUBLE, size=count.literal_value)
        pointer.align = 64  # a cache line: no 4-wide load or store of an aligned offset straddles two
        return pointer

    return types.CPointer(types.float64)(count), codegen


@intrinsic
def data(typingctx, array):
    """A pointer to a C-contiguous array's first element."""
    if not isinstance(array, types.Array) or array.layout != "C":
        raise errors.TypingError(f"simd.data needs a C-contiguous array, got {array}")

    def codegen(context, builder, signature, args):
        return cgutils.create_struct_proxy(signature.args[0])(context, builder, value=args[0]).data

    return types.CPointer(array.dtype)(array), codegen


@intrinsic
def at(typingctx, pointer, offset):
    """pointer + offset elements."""
    def codegen(context, builder, signature, args):
        return builder.gep(args[0], [args[1]])

    return pointer(pointer, offset), codegen


@intrinsic
def load(typingctx, pointer, offset):
    """The four float64 at pointer[offset], …, pointer[offset + 3]."""
    def codegen(context, builder, signature, args):
        return builder.load(builder.bitcast(builder.gep(args[0], [args[1]]), VECTOR.as_pointer()), align=8)

    return vec4(pointer, offset), codegen


@intrinsic
def store(typingctx, pointer, offset, value):
    """pointer[offset], …, pointer[offset + 3] = value."""
    def codegen(context, builder, signature, args):
        builder.store(args[2], builder.bitcast(builder.gep(args[0], [args[1]]), VECTOR.as_pointer()), align=8)
        return context.get_dummy_value()

    return types.none(pointer, offset, value), codegen


@intrinsic
def splat(typingctx, value):
    """value in every lane."""
    def codegen(context, builder, signature, args):
        one = builder.insert_element(ir.Constant(VECTOR, ir.Undefined), args[0], ir.Constant(ir.IntType(32), 0))
        return builder.shuffle_vector(one, ir.Constant(VECTOR, ir.Undefined),
                                      ir.Constant(ir.VectorType(ir.IntType(32), 4), [0] * 4))

    return vec4(types.float64), codegen


@intrinsic
def fma(typingctx, a, b, c):
    """a · b + c lane by lane, rounded once (llvm.fma)."""
    def codegen(context, builder, signature, args):
        return builder.call(_llvm_function(builder, "llvm.fma.v4f64", VECTOR, 3), args)

    return vec4(vec4, vec4, vec4), codegen


def _lanewise(instruction: str):
    """An intrinsic applying the IR builder's instruction (fadd, fsub, fmul, fdiv) to two Vec4, lane by lane."""
    def operation(typingctx, a, b):
        def codegen(context, builder, signature, args):
            return getattr(builder, instruction)(*args)

        return vec4(vec4, vec4), codegen

    operation.__name__ = operation.__qualname__ = instruction
    return intrinsic(operation)


add, sub, mul, div = (_lanewise(instruction) for instruction in ("fadd", "fsub", "fmul", "fdiv"))


@intrinsic
def sqrt(typingctx, a):
    """The correctly rounded square root, lane by lane (llvm.sqrt)."""
    def codegen(context, builder, signature, args):
        return builder.call(_llvm_function(builder, "llvm.sqrt.v4f64", VECTOR, 1), args)

    return vec4(vec4), codegen


@intrinsic
def lanes_sum(typingctx, a):
    """(a[0] + a[1]) + (a[2] + a[3]): the four lanes summed."""
    def codegen(context, builder, signature, args):
        lane = [builder.extract_element(args[0], ir.Constant(ir.IntType(32), i)) for i in range(4)]
        return builder.fadd(builder.fadd(lane[0], lane[1]), builder.fadd(lane[2], lane[3]))

    return types.float64(vec4), codegen


@intrinsic
def relu(typingctx, z):
    """0 > z ? 0 : z lane by lane (one vmaxpd): torch's relu, a NaN kept."""
    def codegen(context, builder, signature, args):
        return builder.select(builder.fcmp_ordered(">", ZERO, args[0]), ZERO, args[0])

    return vec4(vec4), codegen


@intrinsic
def leaky_relu(typingctx, z, slope):
    """z > slope·z ? z : slope·z lane by lane (a multiply and one vmaxpd), which is z > 0 ? z : slope·z for
    0 < slope <= 1, infinities and NaN included."""
    def codegen(context, builder, signature, args):
        scaled = builder.fmul(args[1], args[0])
        return builder.select(builder.fcmp_ordered(">", args[0], scaled), args[0], scaled)

    return vec4(vec4, vec4), codegen


@intrinsic
def where_positive(typingctx, a, d):
    """a > 0 ? d : 0 lane by lane: d times relu's derivative at the unit whose output is a (torch's threshold_backward)."""
    def codegen(context, builder, signature, args):
        return builder.select(builder.fcmp_ordered(">", args[0], ZERO), args[1], ZERO)

    return vec4(vec4, vec4), codegen


@intrinsic
def gate(typingctx, a, slope):
    """a > 0 ? 1 : slope lane by lane: leaky relu's derivative at the unit whose output is a."""
    def codegen(context, builder, signature, args):
        return builder.select(builder.fcmp_ordered(">", args[0], ZERO), ir.Constant(VECTOR, [1.0] * 4), args[1])

    return vec4(vec4, vec4), codegen


@intrinsic
def scalar_fma(typingctx, a, b, c):
    """a · b + c for float64, rounded once (llvm.fma), whatever the fastmath flags."""
    def codegen(context, builder, signature, args):
        return builder.call(_llvm_function(builder, "llvm.fma.f64", DOUBLE, 3), args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@intrinsic
def scalar_sqrt(typingctx, a):
    """The correctly rounded square root of a float64 (llvm.sqrt, which vectorizes; libm's sqrt call does not)."""
    def codegen(context, builder, signature, args):
        return builder.call(_llvm_function(builder, "llvm.sqrt.f64", DOUBLE, 1), args)

    return types.float64(types.float64), codegen
