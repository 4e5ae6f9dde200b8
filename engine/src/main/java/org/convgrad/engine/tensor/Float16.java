package org.convgrad.engine.tensor;

/**
 * IEEE 754 binary16 conversions (what {@code Float.float16ToFloat} does on JDK 20+, which this
 * project cannot require). Rounding is to nearest, ties to even, as TensorFlow's {@code half}.
 */
public final class Float16 {
  private static final float[] TO_FLOAT = new float[1 << 16];

  static {
    for (int i = 0; i < TO_FLOAT.length; i++) {
      TO_FLOAT[i] = decode((short) i);
    }
  }

  private Float16() {}

  public static float toFloat(short bits) {
    return TO_FLOAT[bits & 0xffff];
  }

  public static short fromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    short sign = (short) ((bits >>> 16) & 0x8000);
    if (Float.isNaN(f)) {
      // Quiet NaN with the top payload bits kept.
      return (short) (sign | 0x7e00 | ((bits >>> 13) & 0x3ff));
    }
    float abs = Math.abs(f);
    if (abs >= 65520f) { // max half (65504) plus half an ulp rounds to infinity
      return (short) (sign | 0x7c00);
    }
    if (abs <= 0x1.0p-25f) { // half of the smallest subnormal or less: ties to even give zero
      return sign;
    }
    int exp = Math.getExponent(f);
    int shift = 13;
    int significand = bits & 0x007f_ffff;
    if (exp < -14) { // a binary16 subnormal: the hidden bit becomes explicit
      shift += -14 - exp;
      exp = -15;
      significand |= 0x0080_0000;
    }
    int truncated = significand >> shift;
    int lsb = significand & (1 << shift);
    int round = significand & (1 << (shift - 1));
    int sticky = significand & ((1 << (shift - 1)) - 1);
    if (round != 0 && (lsb | sticky) != 0) {
      truncated++; // a carry into the exponent field is the right result
    }
    return (short) (sign | (((exp + 15) << 10) + truncated));
  }

  private static float decode(short h) {
    int sign = h & 0x8000;
    int exp = (h & 0x7c00) >> 10;
    int significand = h & 0x03ff;
    float s = sign != 0 ? -1f : 1f;
    if (exp == 0) {
      return s * 0x1.0p-24f * significand;
    }
    if (exp == 31) {
      return significand == 0
          ? s * Float.POSITIVE_INFINITY
          : Float.intBitsToFloat((sign << 16) | 0x7f80_0000 | (significand << 13));
    }
    return Float.intBitsToFloat((sign << 16) | ((exp - 15 + 127) << 23) | (significand << 13));
  }
}
