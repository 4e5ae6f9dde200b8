@file:JvmName("ConvgradDslKt")

package org.convgrad.engine

import org.convgrad.engine.tensor.Shape
import org.convgrad.engine.tensor.Tensor

/**
 * Marks convgrad's builder scopes, so that a nested block cannot call the enclosing block's
 * setters by accident (an `op { }` inside a job block sets the op, never the job).
 */
@DslMarker
@Target(AnnotationTarget.CLASS, AnnotationTarget.TYPE)
annotation class ConvgradDsl

/**
 * The receiver of [conv2dBackpropInput]: Kotlin's view of [BackpropInputOp.Builder], one call per
 * builder method.
 */
@ConvgradDsl
class OpScope @PublishedApi internal constructor(
    @PublishedApi internal val builder: BackpropInputOp.Builder,
) {
    /** 4 values in data-format order (`8, 56, 56, 64`), or 2 spatial values (`56, 56`). */
    fun inputSizes(vararg sizes: Long) {
        builder.inputSizes(*sizes)
    }

    /** 4 values in data-format order, or 1 or 2 spatial values. Default 1. */
    fun strides(vararg strides: Long) {
        builder.strides(*strides)
    }

    /** 4 values in data-format order, or 1 or 2 spatial values. Default 1. */
    fun dilations(vararg dilations: Long) {
        builder.dilations(*dilations)
    }

    /** With [Padding.EXPLICIT] only: 8 values, before/after per dimension in data-format order. */
    fun explicitPaddings(vararg paddings: Long) {
        builder.explicitPaddings(*paddings)
    }

    /** TensorFlow's padding scheme. Default [Padding.VALID], as TensorFlow's raw op has none. */
    var padding: Padding = Padding.VALID
        set(value) {
            field = value
            builder.padding(value)
        }

    /** Layout of out_backprop and the result. Default [DataFormat.NHWC]. */
    var dataFormat: DataFormat = DataFormat.NHWC
        set(value) {
            field = value
            builder.dataFormat(value)
        }

    /** Accepted as TensorFlow accepts it (see [ConvParams.useCudnnOnGpu]). Default true. */
    var useCudnnOnGpu: Boolean = true
        set(value) {
            field = value
            builder.useCudnnOnGpu(value)
        }
}

/**
 * The op, described in a block and checked when the block ends, with TensorFlow's messages:
 *
 * ```
 * val op = conv2dBackpropInput {
 *     inputSizes(8, 56, 56, 64)
 *     strides(2)
 *     padding = SAME
 * }
 * ```
 *
 * A thin layer over [BackpropInputOp.of].
 */
fun conv2dBackpropInput(block: OpScope.() -> Unit): BackpropInputOp =
    OpScope(BackpropInputOp.builder()).apply(block).builder.build()

/** The input gradient of [op] on these tensors, on the shared engine ([ConvGrad.backpropInput]). */
fun BackpropInputOp.compute(filter: Tensor, outBackprop: Tensor): Tensor = ConvGrad.backpropInput(this, filter, outBackprop)

/** A float32 tensor of [shape] over this array (not copied). */
fun FloatArray.toTensor(vararg shape: Long): Tensor = Tensor.ofFloat32(Shape.of(*shape), this)

/** A float64 tensor of [shape] over this array (not copied). */
fun DoubleArray.toTensor(vararg shape: Long): Tensor = Tensor.ofFloat64(Shape.of(*shape), this)

/** A tensor of [dtype] and [shape] holding these values rounded to [dtype] (to nearest even). */
fun FloatArray.toTensor(dtype: DType, vararg shape: Long): Tensor = Tensor.fromFloats(dtype, Shape.of(*shape), this)

/** The tensor's dimensions. */
val Tensor.dims: LongArray
    get() = shape().toArray()
