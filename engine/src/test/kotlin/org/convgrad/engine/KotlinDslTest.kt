package org.convgrad.engine

import org.convgrad.engine.Padding.SAME
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test

/** The README's Kotlin examples, run: the op described in a block, tensors from Kotlin arrays. */
class KotlinDslTest {
    @Test
    fun `an op described in a block is the op the Java builder makes`() {
        val op = conv2dBackpropInput {
            inputSizes(8, 56, 56, 64)
            strides(2)
            padding = SAME
        }
        assertEquals(BackpropInputOp.of { it.inputSizes(8, 56, 56, 64).strides(2).padding(Padding.SAME) }, op)
        assertArrayEquals(longArrayOf(28, 28, 64), op.outBackpropSampleShape(org.convgrad.engine.tensor.Shape.of(3, 3, 64, 64)))
    }

    @Test
    fun `a block computes on tensors made from Kotlin arrays`() {
        val filter = floatArrayOf(1f, 2f, 3f).toTensor(1, 3, 1, 1)
        val dy = floatArrayOf(10f, 100f).toTensor(1, 1, 2, 1)
        val dx = conv2dBackpropInput {
            inputSizes(1, 4)
            strides(1, 2)
            padding = SAME
        }.compute(filter, dy)
        assertEquals(130.0, dx[0, 0, 2, 0])
        assertArrayEquals(longArrayOf(1, 1, 4, 1), dx.dims)
    }

    @Test
    fun `every setting of the Java builder has its line`() {
        val op = conv2dBackpropInput {
            inputSizes(1, 3, 9, 9)
            strides(1, 2)
            dilations(2)
            padding = Padding.EXPLICIT
            explicitPaddings(0, 0, 0, 0, 1, 1, 2, 2)
            dataFormat = DataFormat.NCHW
            useCudnnOnGpu = false
        }
        val p = op.params()
        assertEquals(DataFormat.NCHW, p.dataFormat())
        assertArrayEquals(longArrayOf(1, 1, 1, 2), p.strides())
        assertArrayEquals(longArrayOf(1, 1, 2, 2), p.dilations())
        assertEquals(false, p.useCudnnOnGpu())
    }

    @Test
    fun `a bad op fails when its block ends, with TensorFlow's message`() {
        val e = assertThrows(InvalidArgumentException::class.java) {
            conv2dBackpropInput {
                inputSizes(56, 56)
                strides(0)
            }
        }
        assertEquals("InvalidArgument: Row and column strides should be larger than 0, but strides is [1, 0, 0, 1]", e.toLine())
    }
}
