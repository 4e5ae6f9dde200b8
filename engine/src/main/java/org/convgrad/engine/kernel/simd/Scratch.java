package org.convgrad.engine.kernel.simd;

import java.lang.ref.SoftReference;
import java.util.Arrays;

/**
 * The workers' large scratch arrays, kept per thread from one call to the next and handed out
 * zeroed, exactly as a new array would be. A banded run calls the kernel band after band with the
 * same sizes; a new staging array per worker per band is, from half a G1 region up, a humongous
 * allocation, and each one may start a concurrent marking cycle that on a machine of two cores
 * takes a core from the compute (16 bands of a 1024 x 1024 x 32 image: about 2 ms per band). Arrays
 * are held softly, so that an idle thread's scratch goes when memory is short.
 *
 * <p>A thread runs one worker at a time, and each of a worker's arrays has a {@link Slot} of its own.
 */
final class Scratch {
  /** Arrays of fewer elements than this come from the thread's allocation buffer, cheaply. */
  static final int REUSE_FROM = 1 << 15;

  enum Slot {
    STAGE,
    RESULT,
    WINOGRAD_STAGE,
    WINOGRAD_ROW,
    WINOGRAD_RESULT
  }

  private static final ThreadLocal<Object[]> HELD = ThreadLocal.withInitial(() -> new Object[2 * Slot.values().length]);

  private Scratch() {}

  /** A zeroed array of {@code n} floats for {@code slot}. */
  static float[] floats(Slot slot, int n) {
    if (n < REUSE_FROM) {
      return new float[n];
    }
    float[] a = held(2 * slot.ordinal()) instanceof float[] f && f.length == n ? f : null;
    if (a == null) {
      a = new float[n];
      hold(2 * slot.ordinal(), a);
    } else {
      Arrays.fill(a, 0f);
    }
    return a;
  }

  /** A zeroed array of {@code n} doubles for {@code slot}. */
  static double[] doubles(Slot slot, int n) {
    if (n < REUSE_FROM) {
      return new double[n];
    }
    double[] a = held(2 * slot.ordinal() + 1) instanceof double[] d && d.length == n ? d : null;
    if (a == null) {
      a = new double[n];
      hold(2 * slot.ordinal() + 1, a);
    } else {
      Arrays.fill(a, 0.0);
    }
    return a;
  }

  private static Object held(int at) {
    Object ref = HELD.get()[at];
    return ref == null ? null : ((SoftReference<?>) ref).get();
  }

  private static void hold(int at, Object array) {
    HELD.get()[at] = new SoftReference<>(array);
  }
}
