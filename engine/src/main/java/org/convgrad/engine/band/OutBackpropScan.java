package org.convgrad.engine.band;

import java.io.Serializable;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.BFloat16;
import org.convgrad.engine.tensor.Float16;
import org.convgrad.engine.tensor.Tensor;

/**
 * What a kernel's choice may depend on in a whole problem's out_backprop values: the largest
 * magnitude among them, or NaN when one is not finite. The SIMD kernel runs Winograd only when this
 * is small enough; a banded run scans every out_backprop row once ({@link #of}, {@link #with}) so
 * that each band makes the choice the whole problem makes, and so computes the same bits.
 *
 * @param maxAbs the largest |value|, NaN when a value is infinite or NaN, 0 for no values
 * @param count how many values were scanned
 */
public record OutBackpropScan(double maxAbs, long count) implements Serializable {
  /** The scan of no values. */
  public static final OutBackpropScan EMPTY = new OutBackpropScan(0, 0);

  /** The scan of every element of {@code t}. */
  public static OutBackpropScan of(Tensor t) {
    int n = t.size();
    int from = t.offset();
    switch (t.dtype()) {
      case FLOAT32: {
        // Magnitudes compare as their bit patterns; one past the largest finite one is infinity.
        float[] a = t.float32Storage();
        int max = 0;
        for (int i = from; i < from + n; i++) {
          max = Math.max(max, Float.floatToRawIntBits(a[i]) & 0x7fffffff);
        }
        return new OutBackpropScan(max >= 0x7f800000 ? Double.NaN : Float.intBitsToFloat(max), n);
      }
      case FLOAT64: {
        double[] a = t.float64Storage();
        long max = 0;
        for (int i = from; i < from + n; i++) {
          max = Math.max(max, Double.doubleToRawLongBits(a[i]) & 0x7fffffffffffffffL);
        }
        return new OutBackpropScan(max >= 0x7ff0000000000000L ? Double.NaN : Double.longBitsToDouble(max), n);
      }
      default: {
        short[] a = t.bits16Storage();
        int max = 0;
        for (int i = from; i < from + n; i++) {
          max = Math.max(max, a[i] & 0x7fff);
        }
        boolean half = t.dtype() == DType.HALF;
        if (max >= (half ? 0x7c00 : 0x7f80)) {
          return new OutBackpropScan(Double.NaN, n);
        }
        return new OutBackpropScan(half ? Float16.toFloat((short) max) : BFloat16.toFloat((short) max), n);
      }
    }
  }

  /** The scan of this scan's values and {@code other}'s. */
  public OutBackpropScan with(OutBackpropScan other) {
    long n = Math.addExact(count, other.count);
    if (Double.isNaN(maxAbs) || Double.isNaN(other.maxAbs)) {
      return new OutBackpropScan(Double.NaN, n);
    }
    return new OutBackpropScan(Math.max(maxAbs, other.maxAbs), n);
  }

  /** Whether every value was finite. */
  public boolean finite() {
    return !Double.isNaN(maxAbs);
  }
}
