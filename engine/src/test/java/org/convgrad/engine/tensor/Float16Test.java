package org.convgrad.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Float16Test {
  @Test
  void everyHalfValueRoundTripsThroughFloat() {
    for (int bits = 0; bits < 1 << 16; bits++) {
      float f = Float16.toFloat((short) bits);
      if (Float.isNaN(f)) {
        assertTrue(Float.isNaN(Float16.toFloat(Float16.fromFloat(f))));
      } else {
        assertEquals((short) bits, Float16.fromFloat(f), "bits " + Integer.toHexString(bits));
      }
    }
  }

  @Test
  void roundsToNearestTiesToEven() {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even significand, 1.
    assertEquals(1f, Float16.toFloat(Float16.fromFloat(1f + 0x1p-11f)));
    // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 and 1 + 2^-9: ties to even, 1 + 2^-9.
    assertEquals(1f + 0x1p-9f, Float16.toFloat(Float16.fromFloat(1f + 3 * 0x1p-11f)));
    assertEquals(1f + 0x1p-10f, Float16.toFloat(Float16.fromFloat(1f + 0x1p-11f + 0x1p-20f)));
  }

  @Test
  void overflowAndSubnormals() {
    assertEquals(65504f, Float16.toFloat(Float16.fromFloat(65519f)));
    assertEquals(Float.POSITIVE_INFINITY, Float16.toFloat(Float16.fromFloat(65520f)));
    assertEquals(Float.NEGATIVE_INFINITY, Float16.toFloat(Float16.fromFloat(-1e6f)));
    assertEquals(0x1p-24f, Float16.toFloat(Float16.fromFloat(0x1p-24f)));
    assertEquals(0f, Float16.toFloat(Float16.fromFloat(0x1p-25f)));
    assertEquals(0x1p-24f, Float16.toFloat(Float16.fromFloat(0x1.8p-25f)));
    assertEquals(3 * 0x1p-24f, Float16.toFloat(Float16.fromFloat(2.5f * 0x1p-24f)) * 1f, 0x1p-24f);
  }

  @Test
  void fromFloatMatchesRoundingFieldByField() {
    // Every 257th float bit pattern: all exponents, signs and NaN payloads, and significands with
    // every low-bit pattern (257 is odd, so the stride walks every residue of the rounding bits).
    for (long i = 0; i < 1L << 32; i += 257) {
      float f = Float.intBitsToFloat((int) i);
      assertEquals(roundFieldByField(f), Float16.fromFloat(f), () -> Float.toHexString(f));
    }
  }

  /** Rounding field by field: exponent, significand, round and sticky bits (the oracle). */
  private static short roundFieldByField(float f) {
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

  @Test
  void bfloat16RoundsToNearestEven() {
    assertEquals(1f, BFloat16.toFloat(BFloat16.fromFloat(1f + 0x1p-8f)));
    assertEquals(1f + 0x1p-6f, BFloat16.toFloat(BFloat16.fromFloat(1f + 3 * 0x1p-8f)));
    assertTrue(Float.isNaN(BFloat16.toFloat(BFloat16.fromFloat(Float.NaN))));
    for (int bits = 0; bits < 1 << 16; bits++) {
      float f = BFloat16.toFloat((short) bits);
      if (!Float.isNaN(f)) {
        assertEquals((short) bits, BFloat16.fromFloat(f));
      }
    }
  }
}
