package org.convgrad.engine

import org.convgrad.engine.tensor.Shape
import org.convgrad.engine.tensor.Tensor
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test

/** The Java API as Kotlin reads it: builders as trailing lambdas, `tensor[n, h, w, c]`, `use {}`. */
class KotlinApiTest {
    private val filter = Tensor.ofFloat32(Shape.of(1, 3, 1, 1), floatArrayOf(1f, 2f, 3f))
    private val dy = Tensor.ofFloat32(Shape.of(1, 1, 2, 1), floatArrayOf(10f, 100f))

    @Test
    fun `one call with the parameters as a lambda`() {
        val dx = ConvGrad.backpropInput(longArrayOf(1, 1, 4, 1), filter, dy) {
            it.strides(1, 2).padding(Padding.SAME)
        }
        assertEquals(130.0, dx[0, 0, 2, 0])
        assertEquals(200.0, dx[0, 0, 3, 0])
    }

    @Test
    fun `an engine of its own, closed by use`() {
        val op = Conv2dBackpropInput.of(longArrayOf(1, 4), filter, dy) { it.strides(1, 2).padding(Padding.SAME) }
        Engine.create { it.kind(EngineKind.SCALAR).threads(2) }.use { engine ->
            assertEquals("reference", engine.kernelFor(op).name())
            assertEquals(listOf(10.0, 20.0, 130.0, 200.0), (0 until 4).map { engine.backpropInput(op, filter, dy)[0, 0, it, 0] })
        }
    }

    @Test
    fun `rejections are ordinary exceptions with TensorFlow's message`() {
        val e = assertThrows(InvalidArgumentException::class.java) {
            Conv2dBackpropInput.of(longArrayOf(1, 1, 4), filter, dy) { it.padding(Padding.SAME) }
        }
        assertEquals(
            "InvalidArgument: Conv2DBackpropInput requires input_sizes to contain 4 values or 2 values, but got: 3 [1, 1, 4]",
            e.toLine(),
        )
    }
}
