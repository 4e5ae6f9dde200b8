package org.convgrad.engine.testing;

import static org.junit.jupiter.api.Assertions.fail;

import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Tensor;

/**
 * How close two results of one problem must be, per dtype. Sums of the same terms in another
 * order differ by a few ulps of the sum of their magnitudes; half and bfloat16 results are also
 * rounded once to 11 or 8 significant bits.
 */
public final class Tolerance {
  private Tolerance() {}

  /** Relative error allowed against the scale of the sum's terms. */
  public static double relative(DType dtype) {
    switch (dtype) {
      case FLOAT64:
        return 1e-12;
      case FLOAT32:
        return 2e-5;
      case HALF:
        return 2e-3;
      default:
        return 1.6e-2;
    }
  }

  /**
   * Asserts that {@code actual} matches {@code expected} element by element, within {@link
   * #relative} of {@code scale[i]} (the sum of the absolute values of the element's terms) plus an
   * absolute floor.
   */
  public static void assertClose(Tensor expected, Tensor actual, double[] scale, String context) {
    if (!expected.shape().equals(actual.shape()) || expected.dtype() != actual.dtype()) {
      fail(context + ": expected " + expected + " but got " + actual);
    }
    double rel = relative(expected.dtype());
    for (int i = 0; i < expected.size(); i++) {
      double e = expected.getFlat(i);
      double a = actual.getFlat(i);
      double allowed = rel * Math.max(scale[i], 1.0) + 1e-30;
      if (!(Math.abs(e - a) <= allowed)) {
        fail(context + ": element " + i + " expected " + e + " but got " + a + " (allowed error " + allowed + ")");
      }
    }
  }
}
