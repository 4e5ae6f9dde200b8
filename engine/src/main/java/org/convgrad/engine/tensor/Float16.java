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

  /**
   * Rounds to the nearest half, ties to even; NaN stays a quiet NaN with its top payload bits. Bit
   * arithmetic without a branch per rounding case (a result row is rounded element by element):
   * normal results add the rounding bias to the float's bits, subnormal ones let a float addition
   * of 0.5 round at 2^-24. Float16Test checks it against a field-by-field rounding on every 257th
   * float; it was checked on all 2^32.
   */
  public static short fromFloat(float f) {
    int x = Float.floatToRawIntBits(f);
    int sign = (x >>> 16) & 0x8000;
    x &= 0x7fff_ffff;
    int h;
    if (x >= 0x4780_0000) { // 65536 or more (to infinity), infinity or NaN
      h = x > 0x7f80_0000 ? 0x7e00 | ((x >>> 13) & 0x3ff) : 0x7c00;
    } else if (x < 0x3880_0000) { // below 2^-14: a subnormal half or zero
      h = Float.floatToRawIntBits(Float.intBitsToFloat(x) + 0.5f) - 0x3f00_0000;
    } else { // rebias the exponent, add half an ulp minus one plus the kept lsb (ties to even)
      h = (x + ((15 - 127) << 23) + 0xfff + ((x >>> 13) & 1)) >>> 13;
    }
    return (short) (sign | h);
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
