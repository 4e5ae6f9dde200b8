package org.convgrad.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.junit.jupiter.api.Test;

/**
 * A view is a tensor over part of a larger array: its elements read and widen from its offset, it
 * cannot reach outside its part, and the bulk accessors that mean "the elements, from 0" refuse it.
 */
class TensorViewTest {
  private static final float[] ARRAY = {9, 9, 1, 2, 3, 4, 5, 6, 9};

  @Test
  void aViewReadsItsElementsFromItsOffset() {
    Tensor v = Tensor.view(DType.FLOAT32, Shape.of(2, 3), ARRAY, 2);
    assertTrue(v.isView());
    assertEquals(2, v.offset());
    assertEquals(6, v.size());
    assertEquals(6.0, v.get(1, 2));
    assertEquals(1.0, v.getFlat(0));
    assertSame(ARRAY, v.float32Storage());
    float[] copy = v.toFloatArray();
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, copy);
    assertNotSame(ARRAY, copy);
    assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, v.toDoubleArray());
    assertTrue(v.toString().contains("a view"), v.toString());
  }

  @Test
  void aViewOfSixteenBitValuesWidensAndRoundsAtItsOffset() {
    short[] bits = new short[5];
    Tensor v = Tensor.view(DType.HALF, Shape.of(2), bits, 3);
    Tensor.storeFloats(new float[] {1.5f, -2f}, 0, v, 0, 2);
    assertEquals(0, bits[0]);
    assertEquals(Float16.fromFloat(1.5f), bits[3]);
    float[] back = new float[2];
    Tensor.loadFloats(v, 0, back, 0, 2);
    assertArrayEquals(new float[] {1.5f, -2f}, back);
  }

  @Test
  void theBulkAccessorsRefuseAViewAndAViewCannotLeaveItsArray() {
    Tensor v = Tensor.view(DType.FLOAT32, Shape.of(2, 3), ARRAY, 2);
    IllegalStateException e = assertThrows(IllegalStateException.class, v::float32Data);
    assertTrue(e.getMessage().contains("is a view from element 2"), e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> Tensor.view(DType.FLOAT32, Shape.of(2, 3), ARRAY, 4));
    assertThrows(IndexOutOfBoundsException.class, () -> Tensor.view(DType.FLOAT32, Shape.of(1), ARRAY, -1));
    InvalidArgumentException wrong =
        assertThrows(InvalidArgumentException.class, () -> Tensor.view(DType.FLOAT64, Shape.of(1), ARRAY, 0));
    assertTrue(wrong.getMessage().contains("a FLOAT64 view needs a double[], not float[]"), wrong.getMessage());
    Tensor own = Tensor.ofFloat32(Shape.of(9), ARRAY);
    assertFalse(own.isView());
    assertEquals(0, own.offset());
    assertSame(ARRAY, own.float32Data());
  }

  @Test
  void viewsOverlapWhereTheirRangesInOneArrayMeet() {
    Tensor first = Tensor.view(DType.FLOAT32, Shape.of(3), ARRAY, 2); // elements 2..4
    assertTrue(first.overlaps(Tensor.view(DType.FLOAT32, Shape.of(2), ARRAY, 4)));
    assertTrue(first.overlaps(Tensor.ofFloat32(Shape.of(9), ARRAY)));
    assertFalse(first.overlaps(Tensor.view(DType.FLOAT32, Shape.of(2), ARRAY, 5)), "they meet end to end");
    assertFalse(first.overlaps(Tensor.view(DType.FLOAT32, Shape.of(2), ARRAY, 0)));
    assertFalse(first.overlaps(Tensor.ofFloat32(Shape.of(9), ARRAY.clone())), "another array");
    assertFalse(first.overlaps(Tensor.view(DType.FLOAT32, Shape.of(0), ARRAY, 3)), "no elements");
  }
}
