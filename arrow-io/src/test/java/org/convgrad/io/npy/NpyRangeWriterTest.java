package org.convgrad.io.npy;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.random;
import static org.convgrad.io.npy.NpyBoxes.assertWrittenAsNpyWriteWrites;
import static org.convgrad.io.npy.NpyBoxes.bands;
import static org.convgrad.io.npy.NpyBoxes.fileCount;
import static org.convgrad.io.npy.NpyBoxes.scrambled;
import static org.convgrad.io.npy.NpyBoxes.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.NpyBoxes.Box;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link NpyRangeWriter}: a .npy file written box by box, in any order, committed whole or not at all. */
class NpyRangeWriterTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"HALF", "FLOAT32", "FLOAT64"})
  void writesBandsOfNhwcRowsInAnyOrderAsNpyWriteWritesTheWhole(DType dtype) throws IOException {
    Tensor whole = random(dtype, Shape.of(2, 11, 5, 3), 4);
    Path target = dir.resolve("nhwc.npy");
    try (NpyRangeWriter out = NpyRangeWriter.begin(target, dtype, whole.shape())) {
      for (Box band : scrambled(bands(whole.shape(), 1, 3), 1)) {
        out.write(band.start(), slice(whole, band));
      }
      out.commit();
    }
    assertWrittenAsNpyWriteWrites(dir, whole, target);
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"HALF", "FLOAT32", "FLOAT64"})
  void writesBandsOfNchwRowsPerChannelInAnyOrder(DType dtype) throws IOException {
    Tensor whole = random(dtype, Shape.of(2, 3, 11, 5), 5);
    Path target = dir.resolve("nchw.npy");
    try (NpyRangeWriter out = NpyRangeWriter.begin(target, dtype, whole.shape())) {
      for (Box band : scrambled(bands(whole.shape(), 2, 4), 2)) {
        out.write(band.start(), slice(whole, band));
      }
      out.commit();
    }
    assertWrittenAsNpyWriteWrites(dir, whole, target);
  }

  @Test
  void writesBoxesFromSeveralThreads() throws Exception {
    Tensor whole = random(DType.FLOAT32, Shape.of(1, 64, 33, 4), 6);
    Path target = dir.resolve("threads.npy");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (NpyRangeWriter out = NpyRangeWriter.begin(target, DType.FLOAT32, whole.shape())) {
      List<Future<?>> done = new ArrayList<>();
      for (Box band : scrambled(bands(whole.shape(), 1, 5), 3)) {
        done.add(pool.submit(() -> {
          out.write(band.start(), slice(whole, band));
          return null;
        }));
      }
      for (Future<?> d : done) {
        d.get();
      }
      out.commit();
    } finally {
      pool.shutdown();
    }
    assertWrittenAsNpyWriteWrites(dir, whole, target);
  }

  @Test
  void writesEmptyAndScalarArrays() throws IOException {
    for (Shape shape : new Shape[] {Shape.of(0, 3), Shape.of()}) {
      Tensor whole = random(DType.FLOAT64, shape, 7);
      Path target = dir.resolve("small.npy");
      try (NpyRangeWriter out = NpyRangeWriter.begin(target, DType.FLOAT64, shape)) {
        out.write(new long[shape.rank()], whole);
        out.commit();
      }
      assertWrittenAsNpyWriteWrites(dir, whole, target);
    }
  }

  @Test
  void refusesToCommitWithABandMissingAndLeavesNoFile() throws IOException {
    Tensor whole = random(DType.FLOAT32, Shape.of(1, 10, 4, 2), 8);
    Path target = dir.resolve("missing.npy");
    List<Box> bands = bands(whole.shape(), 1, 3);
    try (NpyRangeWriter out = NpyRangeWriter.begin(target, DType.FLOAT32, whole.shape())) {
      for (Box band : bands.subList(1, bands.size())) {
        out.write(band.start(), slice(whole, band));
      }
      IllegalStateException e = assertThrows(IllegalStateException.class, out::commit);
      assertTrue(e.getMessage().contains("24 of the array's 80 elements"), e.getMessage());
      assertTrue(e.getMessage().contains("not committed"), e.getMessage());
      assertFalse(Files.exists(target));
    }
    assertFalse(Files.exists(target));
    assertEquals(0, fileCount(dir), "no temporary file left behind");
  }

  @Test
  void aRefusedCommitLeavesAnExistingTargetAsItWas() throws IOException {
    Path target = dir.resolve("keep.npy");
    Tensor old = random(DType.FLOAT32, Shape.of(3), 1);
    Npy.write(target, old);
    Tensor whole = random(DType.FLOAT32, Shape.of(4, 2), 2);
    try (NpyRangeWriter out = NpyRangeWriter.begin(target, DType.FLOAT32, whole.shape())) {
      Box half = Box.of(new long[] {0, 0}, 2, 2);
      out.write(half.start(), slice(whole, half));
      assertThrows(IllegalStateException.class, out::commit);
    }
    assertSameTensor(old, Npy.read(target));
    assertEquals(1, fileCount(dir), "only the old file");
  }

  @Test
  void closeWithoutCommitLeavesNoTemporaryFile() throws IOException {
    Tensor whole = random(DType.HALF, Shape.of(6, 5), 9);
    Path target = dir.resolve("aborted.npy");
    try (NpyRangeWriter out = NpyRangeWriter.begin(target, DType.HALF, whole.shape())) {
      out.write(new long[] {0, 0}, whole);
      assertEquals(1, fileCount(dir), "the temporary file, beside the target");
    }
    assertFalse(Files.exists(target));
    assertEquals(0, fileCount(dir));
  }

  @Test
  void refusesBoxesOfAnotherDtypeOrRankOrOutsideTheArray() throws IOException {
    Path target = dir.resolve("w.npy");
    try (NpyRangeWriter out = NpyRangeWriter.begin(target, DType.FLOAT32, Shape.of(4, 5, 6))) {
      InvalidArgumentException dtype = assertThrows(InvalidArgumentException.class,
          () -> out.write(new long[3], Tensor.zeros(DType.FLOAT64, Shape.of(1, 5, 6))));
      assertTrue(dtype.getMessage().contains("FLOAT64") && dtype.getMessage().contains("FLOAT32"), dtype.getMessage());
      InvalidArgumentException rank = assertThrows(InvalidArgumentException.class,
          () -> out.write(new long[2], Tensor.zeros(DType.FLOAT32, Shape.of(5, 6))));
      assertTrue(rank.getMessage().contains("rank 3"), rank.getMessage());
      IndexOutOfBoundsException outside = assertThrows(IndexOutOfBoundsException.class,
          () -> out.write(new long[] {0, 3, 0}, Tensor.zeros(DType.FLOAT32, Shape.of(1, 3, 6))));
      assertTrue(outside.getMessage().startsWith(target + ": "), outside.getMessage());
      assertTrue(outside.getMessage().contains("axis 1") && outside.getMessage().contains("[0, 5)"),
          outside.getMessage());
      assertEquals(0, out.writtenElements(), "refused boxes are not counted");
      out.write(new long[3], Tensor.zeros(DType.FLOAT32, Shape.of(4, 5, 6)));
      IllegalStateException overlap = assertThrows(IllegalStateException.class,
          () -> out.write(new long[3], Tensor.zeros(DType.FLOAT32, Shape.of(1, 1, 1))));
      assertTrue(overlap.getMessage().contains("overlap"), overlap.getMessage());
      out.commit();
      assertThrows(IllegalStateException.class,
          () -> out.write(new long[3], Tensor.zeros(DType.FLOAT32, Shape.of(1, 1, 1))));
      assertThrows(IllegalStateException.class, out::commit);
    }
    assertEquals(Shape.of(4, 5, 6), Npy.readHeader(target).shape());
  }

  @Test
  void refusesBfloat16BeforeCreatingAFile() {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> NpyRangeWriter.begin(dir.resolve("b.npy"), DType.BFLOAT16, Shape.of(2, 2)));
    assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
    assertEquals(0, dir.toFile().list().length);
  }

  /**
   * The writer's offsets are longs too: two rows at the far ends of a float16 image of more than
   * 2^31 elements land where readBox finds them in the (sparse) temporary file, read before the
   * writer is closed unfinished.
   */
  @Test
  void writesBoxesPastTwoToThe31ElementsOfAnArrayLargerThanATensor() throws IOException {
    long side = 46341;
    Shape shape = Shape.of(1, side, side, 1);
    Path target = dir.resolve("huge.npy");
    Tensor first = random(DType.HALF, Shape.of(1, 1, side, 1), 1);
    Tensor last = random(DType.HALF, Shape.of(1, 2, side, 1), 2);
    try (NpyRangeWriter out = NpyRangeWriter.begin(target, DType.HALF, shape)) {
      out.write(new long[] {0, 0, 0, 0}, first);
      out.write(new long[] {0, side - 2, 0, 0}, last);
      Path tmp;
      try (Stream<Path> files = Files.list(dir)) {
        tmp = files.findFirst().orElseThrow();
      }
      assertEquals(shape, Npy.readHeader(tmp).shape());
      assertSameTensor(first, Npy.readBox(tmp, new long[] {0, 0, 0, 0}, new long[] {1, 1, side, 1}));
      assertSameTensor(last, Npy.readBox(tmp, new long[] {0, side - 2, 0, 0}, new long[] {1, 2, side, 1}));
      assertThrows(IllegalStateException.class, out::commit);
    }
    assertEquals(0, fileCount(dir));
  }
}
