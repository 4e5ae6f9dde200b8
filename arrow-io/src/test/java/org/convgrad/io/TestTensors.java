package org.convgrad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/** Test tensors and their exact comparison. */
public final class TestTensors {
  private TestTensors() {}

  /** Random normal values rounded to {@code dtype}, with a few specials mixed in. */
  public static Tensor random(DType dtype, Shape shape, long seed) {
    Random r = new Random(seed);
    double[] v = new double[Math.toIntExact(shape.elementCount())];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextGaussian() * 10;
    }
    double[] specials = {0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 1e-6};
    for (int i = 0; i < Math.min(specials.length, v.length / 7); i++) {
      v[i * 7] = specials[i];
    }
    return Tensor.fromDoubles(dtype, shape, v);
  }

  /** Same dtype, shape and bits. */
  public static void assertSameTensor(Tensor expected, Tensor actual) {
    assertEquals(expected.dtype(), actual.dtype());
    assertEquals(expected.shape(), actual.shape());
    switch (expected.dtype()) {
      case FLOAT32:
        assertArrayEquals(expected.float32Data(), actual.float32Data());
        break;
      case FLOAT64:
        assertArrayEquals(expected.float64Data(), actual.float64Data());
        break;
      default:
        assertArrayEquals(expected.bits16Data(), actual.bits16Data());
    }
  }

  /** Rows [first, first + count) of a batch. */
  public static Tensor rows(Tensor batch, int first, int count) {
    long[] dims = batch.shape().toArray();
    long row = batch.size() / Math.max(1, dims[0]);
    dims[0] = count;
    Tensor out = Tensor.zeros(batch.dtype(), Shape.of(dims));
    int from = (int) (first * row);
    switch (batch.dtype()) {
      case FLOAT32:
        System.arraycopy(batch.float32Data(), from, out.float32Data(), 0, out.size());
        break;
      case FLOAT64:
        System.arraycopy(batch.float64Data(), from, out.float64Data(), 0, out.size());
        break;
      default:
        System.arraycopy(batch.bits16Data(), from, out.bits16Data(), 0, out.size());
    }
    return out;
  }
}
