package org.convgrad.engine.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/**
 * Tensors as views into larger arrays, fenced by a sentinel (a NaN with a payload no kernel
 * produces) that shows any read or write outside the view, and their elements' raw bits.
 */
public final class Views {
  /** Elements of the larger array before and after a view. */
  public static final int BEFORE = 37;
  public static final int AFTER = 29;

  private static final int F32_SENTINEL = 0x7fc0beef;
  private static final long F64_SENTINEL = 0x7ff8_0000_dead_beefL;
  private static final short BITS16_SENTINEL = (short) 0x7fcd;

  private Views() {}

  /** A view holding a copy of {@code t}'s elements, fenced by sentinels. */
  public static Tensor copyOf(Tensor t) {
    Tensor v = fenced(t.dtype(), t.shape());
    for (int i = 0; i < t.size(); i++) {
      switch (t.dtype()) {
        case FLOAT32 -> v.float32Storage()[BEFORE + i] = t.float32Storage()[t.offset() + i];
        case FLOAT64 -> v.float64Storage()[BEFORE + i] = t.float64Storage()[t.offset() + i];
        default -> v.bits16Storage()[BEFORE + i] = t.bits16Storage()[t.offset() + i];
      }
    }
    return v;
  }

  /** A view every element of which, and of its fences, is the sentinel. */
  public static Tensor fenced(DType dtype, Shape shape) {
    int n = Math.toIntExact(shape.elementCount());
    Object array = switch (dtype) {
      case FLOAT32 -> filled(new float[BEFORE + n + AFTER]);
      case FLOAT64 -> filled(new double[BEFORE + n + AFTER]);
      default -> filled(new short[BEFORE + n + AFTER]);
    };
    return Tensor.view(dtype, shape, array, BEFORE);
  }

  /** Asserts that nothing outside view {@code v} (made here) changed. */
  public static void assertFencesIntact(Tensor v, String context) {
    long[] all = rawBits(v.dtype(), v.offset() - BEFORE, BEFORE + v.size() + AFTER, v);
    long sentinel = sentinelBits(v.dtype());
    for (int i = 0; i < all.length; i++) {
      if (i < BEFORE || i >= BEFORE + v.size()) {
        assertEquals(sentinel, all[i], context + ": element " + (i - BEFORE) + " of the view's array, outside it, changed");
      }
    }
  }

  /** Asserts that two tensors (views or not) hold the same shape and bits. */
  public static void assertSameBits(Tensor expected, Tensor actual, String context) {
    assertEquals(expected.shape(), actual.shape(), context);
    assertEquals(expected.dtype(), actual.dtype(), context);
    assertArrayEquals(bits(expected), bits(actual), context);
  }

  /** The raw bits of {@code t}'s elements. */
  public static long[] bits(Tensor t) {
    return rawBits(t.dtype(), t.offset(), t.size(), t);
  }

  private static long[] rawBits(DType dtype, int from, int n, Tensor t) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = switch (dtype) {
        case FLOAT32 -> Float.floatToRawIntBits(t.float32Storage()[from + i]);
        case FLOAT64 -> Double.doubleToRawLongBits(t.float64Storage()[from + i]);
        default -> t.bits16Storage()[from + i];
      };
    }
    return out;
  }

  private static long sentinelBits(DType dtype) {
    return switch (dtype) {
      case FLOAT32 -> F32_SENTINEL;
      case FLOAT64 -> F64_SENTINEL;
      default -> BITS16_SENTINEL;
    };
  }

  private static float[] filled(float[] a) {
    Arrays.fill(a, Float.intBitsToFloat(F32_SENTINEL));
    return a;
  }

  private static double[] filled(double[] a) {
    Arrays.fill(a, Double.longBitsToDouble(F64_SENTINEL));
    return a;
  }

  private static short[] filled(short[] a) {
    Arrays.fill(a, BITS16_SENTINEL);
    return a;
  }
}
