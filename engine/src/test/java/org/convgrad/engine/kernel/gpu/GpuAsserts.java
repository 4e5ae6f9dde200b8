package org.convgrad.engine.kernel.gpu;

import java.util.SplittableRandom;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.kernel.ReferenceKernel;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.engine.testing.Tolerance;

/** Operands for GPU tests and the comparison with the reference kernel, the oracle. */
final class GpuAsserts {
  private static final ReferenceKernel REFERENCE = new ReferenceKernel();

  private GpuAsserts() {}

  /** Values in [-1, 1), not on a grid, so that summation order shows in the low bits. */
  static Tensor random(DType dtype, Shape shape, SplittableRandom rnd) {
    double[] v = new double[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextDouble(-1, 1);
    }
    return Tensor.fromDoubles(dtype, shape, v);
  }

  static Tensor reference(Conv2dBackpropInput op, Tensor w, Tensor dy) {
    Tensor out = Tensor.zeros(op.dtype(), op.inputShape());
    try (WorkPool pool = new WorkPool(2)) {
      REFERENCE.compute(op, w, dy, out, pool);
    }
    return out;
  }

  /**
   * Asserts that {@code actual} is the reference's result within the dtype's tolerance
   * ({@link Tolerance#relative}) of each element's sum of |w * dy| terms; non-finite reference
   * elements must be the same non-finite value. An element the kernel never wrote still holds the
   * emulator's poison (NaN) and fails.
   */
  static void assertMatchesReference(Conv2dBackpropInput op, Tensor w, Tensor dy, Tensor actual, String context) {
    Tensor expected = reference(op, w, dy);
    Conv2dBackpropInput op64 = Conv2dBackpropInput.of(op.inputShape().toArray(), op.filterShape(), DType.FLOAT64,
        op.outBackpropShape(), DType.FLOAT64, op.params());
    Tensor bound = reference(op64, abs(w), abs(dy));
    double rel = Tolerance.relative(op.dtype());
    for (int i = 0; i < expected.size(); i++) {
      double e = expected.getFlat(i);
      double a = actual.getFlat(i);
      if (!Double.isFinite(e)) {
        if (Double.compare(e, a) != 0 && !(Double.isNaN(e) && Double.isNaN(a))) {
          throw new AssertionError(context + ": element " + i + " is " + a + ", reference " + e);
        }
        continue;
      }
      double limit = rel * bound.getFlat(i) + 1e-30;
      if (!(Math.abs(e - a) <= limit)) {
        throw new AssertionError(context + ": element " + i + " of " + expected.size() + " is " + a + ", reference " + e
            + " (limit " + limit + ")");
      }
    }
  }

  private static Tensor abs(Tensor t) {
    double[] v = t.toDoubleArray().clone();
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.abs(v[i]);
    }
    return Tensor.fromDoubles(DType.FLOAT64, t.shape(), v);
  }

  static long[] bits(Tensor t) {
    long[] b = new long[t.size()];
    for (int i = 0; i < b.length; i++) {
      b[i] = Double.doubleToRawLongBits(t.getFlat(i));
    }
    return b;
  }
}
