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
