package org.convgrad.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.testing.Problem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A {@link LargeTensor} holds a tensor in chunks that need not be whole rows, and boxes of it move to
 * and from ordinary tensors unchanged, across chunk boundaries, whatever the chunk size.
 */
class LargeTensorTest {
  private static final Shape SHAPE = Shape.of(3, 5, 7, 4);
  private static final int[] CHUNKS = {1, 7, 64, 139, 420, LargeTensor.DEFAULT_CHUNK_ELEMENTS};

  @ParameterizedTest
  @EnumSource(DType.class)
  void aTensorCopiedInComesBackTheSameElementByElementAndWhole(DType dtype) {
    Tensor t = Problem.randomTensor(new SplittableRandom(1), dtype, SHAPE);
    for (int chunk : CHUNKS) {
      LargeTensor large = LargeTensor.of(t, chunk);
      assertEquals(SHAPE, large.shape());
      assertEquals(dtype, large.dtype());
      assertEquals(t.size(), large.size());
      for (int i = 0; i < t.size(); i++) {
        assertEquals(t.getFlat(i), large.getFlat(i), "element " + i + " in chunks of " + chunk);
      }
      assertEquals(t.get(2, 4, 6, 3), large.get(2, 4, 6, 3));
      assertSameBits(t, large.toTensor(), "chunks of " + chunk);
    }
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void aBoxReadHoldsThoseElementsOfTheTensor(DType dtype) {
    Tensor t = Problem.randomTensor(new SplittableRandom(2), dtype, SHAPE);
    SplittableRandom r = new SplittableRandom(3);
    for (int chunk : CHUNKS) {
      LargeTensor large = LargeTensor.of(t, chunk);
      for (int trial = 0; trial < 40; trial++) {
        long[][] box = randomBox(r);
        Tensor read = large.read(box[0], box[1]);
        assertEquals(Shape.of(box[1]), read.shape());
        long[] at = new long[4];
        for (int j = 0; j < read.size(); j++) {
          unflatten(j, box[1], at);
          for (int a = 0; a < 4; a++) {
            at[a] += box[0][a];
          }
          assertEquals(large.get(at), read.getFlat(j), "box " + Arrays.deepToString(box) + " element " + j);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void aBoxWrittenChangesThoseElementsAndNoOthers(DType dtype) {
    SplittableRandom r = new SplittableRandom(4);
    for (int chunk : CHUNKS) {
      for (int trial = 0; trial < 20; trial++) {
        long[][] box = randomBox(r);
        Tensor values = Problem.randomTensor(r, dtype, Shape.of(box[1]));
        LargeTensor large = LargeTensor.zeros(dtype, SHAPE, chunk);
        large.write(box[0], values);
        long[] at = new long[4];
        long[] dims = SHAPE.toArray();
        for (long i = 0; i < large.size(); i++) {
          unflatten(i, dims, at);
          boolean inside = true;
          long within = 0;
          for (int a = 0; a < 4; a++) {
            long offset = at[a] - box[0][a];
            inside &= offset >= 0 && offset < box[1][a];
            within = within * box[1][a] + offset;
          }
          double expected = inside ? values.getFlat((int) within) : 0;
          assertEquals(expected, large.getFlat(i), "box " + Arrays.deepToString(box) + " element " + i);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void aBoxThatIsOneRunInsideOneChunkIsAViewOfItAndAnyOtherIsNot(DType dtype) {
    Tensor t = Problem.randomTensor(new SplittableRandom(6), dtype, SHAPE);
    LargeTensor large = LargeTensor.of(t, 84); // three rows of 28 elements a chunk
    Tensor first = large.view(new long[] {0, 0, 0, 0}, new long[] {1, 3, 7, 4}); // elements [0, 84): chunk 0
    assertTrue(first != null && first.isView() && first.offset() == 0, String.valueOf(first));
    long[] at = {0, 4, 0, 0};
    long[] row = {1, 1, 7, 4};
    Tensor inner = large.view(at, row); // elements [112, 140): chunk 1 from 28
    assertTrue(inner != null && inner.offset() == 28, String.valueOf(inner));
    assertSameBits(large.read(at, row), inner, "a view reads as a copy");
    assertEquals(null, large.view(new long[] {0, 2, 0, 0}, new long[] {1, 2, 7, 4}), "[56, 112) crosses chunk 0's end");
    assertEquals(null, large.view(new long[] {0, 0, 0, 0}, new long[] {1, 2, 7, 2}), "two channels of four: many runs");
    assertEquals(null, large.view(new long[] {0, 0, 0, 0}, new long[] {1, 0, 7, 4}), "empty");
    // Writes through a view are writes to the large tensor, and to nothing else.
    Tensor values = Problem.randomTensor(new SplittableRandom(7), dtype, inner.shape());
    LargeTensor expected = LargeTensor.of(large.toTensor(), 84);
    expected.write(at, values);
    for (int i = 0; i < values.size(); i++) {
      switch (dtype) {
        case FLOAT32 -> inner.float32Storage()[inner.offset() + i] = values.float32Data()[i];
        case FLOAT64 -> inner.float64Storage()[inner.offset() + i] = values.float64Data()[i];
        default -> inner.bits16Storage()[inner.offset() + i] = values.bits16Data()[i];
      }
    }
    assertSameBits(expected.toTensor(), large.toTensor(), "written through a view");
    assertSameBits(values, large.viewOrRead(at, row), "read back as a view");
    long[] across = {0, 2, 0, 0};
    long[] rows = {1, 2, 7, 4};
    assertSameBits(expected.read(across, rows), large.viewOrRead(across, rows), "read across chunks, a copy");
  }

  @Test
  void aBoxOutsideTheTensorIsRefusedNamingTheAxis() {
    LargeTensor large = LargeTensor.zeros(DType.FLOAT32, SHAPE, 16);
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
        () -> large.read(new long[] {0, 3, 0, 0}, new long[] {1, 3, 7, 4}));
    assertTrue(e.getMessage().contains("axis 1 of the box, [3, 3 + 3), is outside the axis's [0, 5)"), e.getMessage());
    Tensor rows = Tensor.zeros(DType.FLOAT32, Shape.of(1, 1, 8, 4));
    assertThrows(IndexOutOfBoundsException.class, () -> large.write(new long[4], rows));
    assertThrows(InvalidArgumentException.class, () -> large.read(new long[3], new long[3]));
  }

  @Test
  void aBoxOfAnotherTypeOrChunksOfNothingAreRefused() {
    LargeTensor large = LargeTensor.zeros(DType.HALF, SHAPE);
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> large.write(new long[4], Tensor.zeros(DType.BFLOAT16, Shape.of(1, 1, 1, 1))));
    assertTrue(e.getMessage().contains("BFLOAT16 box cannot be written to a HALF tensor"), e.getMessage());
    assertThrows(InvalidArgumentException.class, () -> LargeTensor.zeros(DType.FLOAT32, SHAPE, 0));
    assertThrows(IndexOutOfBoundsException.class, () -> large.getFlat(SHAPE.elementCount()));
    assertThrows(IndexOutOfBoundsException.class, () -> large.get(0, 5, 0, 0));
  }

  @Test
  void anEmptyTensorHasNoChunksAndReadsAsEmpty() {
    LargeTensor empty = LargeTensor.zeros(DType.FLOAT64, Shape.of(2, 0, 3, 1), 4);
    assertEquals(0, empty.size());
    assertEquals(Shape.of(2, 0, 3, 1), empty.toTensor().shape());
  }

  /** A start and a count per axis inside {@link #SHAPE}, empty now and then. */
  private static long[][] randomBox(SplittableRandom r) {
    long[] dims = SHAPE.toArray();
    long[] start = new long[4];
    long[] count = new long[4];
    for (int a = 0; a < 4; a++) {
      start[a] = r.nextLong(dims[a]);
      count[a] = r.nextInt(8) == 0 ? dims[a] - start[a] : r.nextLong(dims[a] - start[a] + 1);
      if (r.nextInt(3) == 0) { // whole trailing axes fold into long runs
        start[a] = 0;
        count[a] = dims[a];
      }
    }
    return new long[][] {start, count};
  }

  private static void unflatten(long flat, long[] dims, long[] index) {
    for (int a = dims.length - 1; a >= 0; a--) {
      index[a] = flat % dims[a];
      flat /= dims[a];
    }
  }

  private static void assertSameBits(Tensor expected, Tensor actual, String context) {
    assertEquals(expected.shape(), actual.shape(), context);
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(Double.doubleToRawLongBits(expected.getFlat(i)), Double.doubleToRawLongBits(actual.getFlat(i)),
          context + ", element " + i);
    }
  }
}
