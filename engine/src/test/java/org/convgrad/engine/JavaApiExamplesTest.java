package org.convgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The README's Java examples of the library, run as written. */
class JavaApiExamplesTest {
  private final Tensor filter = Tensor.fromDoubles(DType.FLOAT32, Shape.of(3, 3, 64, 64), new double[3 * 3 * 64 * 64]);
  private final Tensor dy = Tensor.zeros(DType.FLOAT32, Shape.of(8, 28, 28, 64));

  @Test
  void oneCallAndAnEngineOfYourOwnGiveTheSameResult() {
    // README: one call
    Tensor dx = ConvGrad.backpropInput(new long[] {8, 56, 56, 64}, filter, dy,
        p -> p.strides(2).padding(Padding.SAME));
    // end README
    // README: the op as a value, an engine of your own
    BackpropInputOp op = BackpropInputOp.of(o -> o.inputSizes(56, 56).strides(2).padding(Padding.SAME));
    try (Engine engine = Engine.create(b -> b.kind(EngineKind.SIMD).threads(4))) {
      Conv2dBackpropInput problem = op.bind(filter, dy);  // the shapes' checks, once
      PackedFilter packed = engine.pack(problem, filter); // reuse across calls
      Tensor batch = engine.backpropInput(problem, packed, dy);
      System.out.println(engine.kernelFor(problem).describe(problem) + ": " + batch.shape());
      // end README
      assertEquals(Shape.of(8, 56, 56, 64), batch.shape());
      assertArrayEquals(dx.float32Data(), batch.float32Data());
    }
    assertArrayEquals(dx.float32Data(), ConvGrad.backpropInput(op, filter, dy).float32Data());
  }
}
