package org.convgrad.io.arrow;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.random;
import static org.convgrad.io.TestTensors.rows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

class FixedShapeTensorTypeTest extends ArrowMemoryTest {

  @Test
  void serializesTheCanonicalMetadata() {
    assertEquals("{\"shape\":[2,3]}", FixedShapeTensorType.of(2, 3).serialize());
    assertEquals("{\"shape\":[4,5,3],\"dim_names\":[\"H\",\"W\",\"C\"]}",
        FixedShapeTensorType.sample(DataFormat.NHWC, 4, 5, 3).serialize());
    assertEquals("{\"shape\":[3,4,5],\"dim_names\":[\"C\",\"H\",\"W\"]}",
        FixedShapeTensorType.sample(DataFormat.NCHW, 4, 5, 3).serialize());
    FixedShapeTensorType p = new FixedShapeTensorType(new long[] {2, 3}, null, new int[] {1, 0});
    assertEquals("{\"shape\":[2,3],\"permutation\":[1,0]}", p.serialize());
    assertEquals(new ArrowType.FixedSizeList(6), p.storageType());
    assertEquals(FixedShapeTensorType.EXTENSION_NAME, p.extensionName());
  }

  @Test
  void deserializesWhatItSerializes() {
    for (FixedShapeTensorType t : List.of(FixedShapeTensorType.of(), FixedShapeTensorType.of(0, 4),
        FixedShapeTensorType.sample(DataFormat.NCHW, 2, 2, 1),
        new FixedShapeTensorType(new long[] {2, 3, 4}, List.of("a", "b", "c"), new int[] {2, 0, 1}))) {
      ArrowType back = t.deserialize(t.storageType(), t.serialize());
      assertEquals(t, back);
      assertEquals(t.hashCode(), back.hashCode());
    }
    assertNotEquals(FixedShapeTensorType.of(2, 3), FixedShapeTensorType.of(3, 2));
    assertEquals(DataFormat.NHWC, FixedShapeTensorType.parse(new ArrowType.FixedSizeList(6),
        "{\"shape\": [1, 2, 3], \"dim_names\": [\"h\", \"w\", \"c\"]}").dataFormat());
    assertNull(FixedShapeTensorType.of(1, 2, 3).dataFormat());
  }

  @Test
  void rejectsBadMetadataAndStorageClearly() {
    ArrowType.FixedSizeList six = new ArrowType.FixedSizeList(6);
    String[][] cases = {
      {"not json", "is not JSON"},
      {"[2, 3]", "is not a JSON object"},
      {"{}", "no \"shape\""},
      {"{\"shape\": [2, -3]}", "-3"},
      {"{\"shape\": [2, 3.5]}", "3.5"},
      {"{\"shape\": [2, 3], \"dim_names\": [\"a\"]}", "dim_names"},
      {"{\"shape\": [2, 3], \"dim_names\": [\"a\", 1]}", "not a string"},
      {"{\"shape\": [2, 3], \"permutation\": [0, 0]}", "not a permutation"},
      {"{\"shape\": [2, 3], \"permutation\": [0, 1, 2]}", "permutation"},
      {"{\"shape\": [2, 4]}", "list size 6 is not the product 8"},
      {"{\"shape\": [65536, 65536]}", "more than"},
      {"{\"shape\": [3, 6148914691236517206]}", "more than"}, // 3 x that wraps a long to 2
    };
    for (String[] c : cases) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> FixedShapeTensorType.parse(six, c[0]), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
      assertTrue(e.getMessage().contains(FixedShapeTensorType.EXTENSION_NAME), e.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FixedShapeTensorType.parse(new ArrowType.Utf8(), "{\"shape\": [6]}"));
    assertTrue(e.getMessage().contains("needs FixedSizeList storage"), e.getMessage());
  }

  @Test
  void registersIdempotently() {
    FixedShapeTensorType.ensureRegistered();
    FixedShapeTensorType.ensureRegistered();
    assertTrue(ExtensionTypeRegistry.lookup(FixedShapeTensorType.EXTENSION_NAME) instanceof FixedShapeTensorType);
  }

  @Test
  void vectorsConvertInBulkBothWaysForRowRanges() {
    for (DType dtype : new DType[] {DType.HALF, DType.FLOAT32, DType.FLOAT64}) {
      FixedShapeTensorType type = FixedShapeTensorType.sample(DataFormat.NHWC, 3, 2, 2);
      Tensor t = random(dtype, TensorVectors.batchShape(type, 9), 5);
      try (FixedShapeTensorVector v = TensorVectors.toVector("x", t, type, allocator)) {
        assertEquals(9, v.getValueCount());
        assertEquals(dtype, v.dtype());
        assertSame(type, v.type());
        assertSameTensor(t, TensorVectors.read(v));
        assertSameTensor(rows(t, 2, 5), TensorVectors.read(v, 2, 5));
        Tensor dst = Tensor.zeros(dtype, TensorVectors.batchShape(type, 4));
        TensorVectors.readInto(v, 7, 2, dst, 1);
        assertSameTensor(rows(t, 7, 2), rows(dst, 1, 2));
        Tensor one = (Tensor) v.getObject(3);
        assertEquals(Shape.of(3, 2, 2), one.shape());
        assertEquals(t.getFlat(3 * 12 + 5), one.getFlat(5));
        TensorVectors.write(t, 4, 3, v);
        assertEquals(3, v.getValueCount());
        assertSameTensor(rows(t, 4, 3), TensorVectors.read(v));
        assertThrows(IndexOutOfBoundsException.class, () -> TensorVectors.read(v, 2, 2));
        assertThrows(InvalidArgumentException.class,
            () -> TensorVectors.write(random(dtype, Shape.of(2, 2, 3, 2), 1), v));
        v.setNull(1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TensorVectors.read(v));
        assertTrue(e.getMessage().contains("row 1 of column 'x' is null"), e.getMessage());
        assertSameTensor(rows(t, 6, 1), TensorVectors.read(v, 2, 1));
      }
    }
  }

  @Test
  void nullElementsAreRejected() {
    FixedShapeTensorType type = FixedShapeTensorType.of(4);
    try (FixedShapeTensorVector v = TensorVectors.toVector("y", random(DType.FLOAT32, Shape.of(2, 4), 1), type,
        allocator)) {
      v.getUnderlyingVector().getDataVector().setNull(6);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> TensorVectors.read(v));
      assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("flat index 2"), e.getMessage());
      assertEquals(Shape.of(1, 4), TensorVectors.read(v, 0, 1).shape());
    }
  }

  @Test
  void emptyAndZeroSizedSamples() {
    FixedShapeTensorType zero = FixedShapeTensorType.of(0, 3);
    try (FixedShapeTensorVector v = TensorVectors.toVector("z", Tensor.zeros(DType.FLOAT32, Shape.of(4, 0, 3)),
        zero, allocator)) {
      assertEquals(4, v.getValueCount());
      assertEquals(Shape.of(4, 0, 3), TensorVectors.read(v).shape());
    }
    FixedShapeTensorType type = FixedShapeTensorType.of(2);
    try (FixedShapeTensorVector v = TensorVectors.toVector("e", Tensor.zeros(DType.FLOAT64, Shape.of(0, 2)), type,
        allocator)) {
      assertEquals(0, v.getValueCount());
      assertArrayEquals(new double[0], TensorVectors.read(v).float64Data());
    }
  }
}
