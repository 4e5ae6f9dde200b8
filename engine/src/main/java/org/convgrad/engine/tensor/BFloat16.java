package org.convgrad.engine.tensor;

/** bfloat16 conversions: the upper 16 bits of a float32, rounded to nearest, ties to even. */
public final class BFloat16 {
  private BFloat16() {}

  public static float toFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  public static short fromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x0040); // stays a (quiet) NaN after truncation
    }
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7fff + lsb) >>> 16);
  }
}
