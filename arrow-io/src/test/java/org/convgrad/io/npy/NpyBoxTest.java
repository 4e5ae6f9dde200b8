package org.convgrad.io.npy;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.random;
import static org.convgrad.io.npy.NpyBoxes.HEADER_SEEKS;
import static org.convgrad.io.npy.NpyBoxes.bands;
import static org.convgrad.io.npy.NpyBoxes.bigEndianData;
import static org.convgrad.io.npy.NpyBoxes.boxesOf;
import static org.convgrad.io.npy.NpyBoxes.shapeText;
import static org.convgrad.io.npy.NpyBoxes.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.NpyBoxes.Box;
import org.convgrad.io.npy.NpyBoxes.SeekCountingChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Npy#readBox}: any box of a .npy array by positioned reads, as bands of images too large for one array. */
class NpyBoxTest {
  @TempDir Path dir;


  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"HALF", "FLOAT32", "FLOAT64"})
  void readsEveryBoxAsTheSliceOfTheWholeArray(DType dtype) throws IOException {
    Shape[] shapes = {Shape.of(13), Shape.of(5, 7), Shape.of(4, 5, 6), Shape.of(2, 9, 7, 3), Shape.of(2, 3, 9, 7)};
    for (Shape shape : shapes) {
      Tensor whole = random(dtype, shape, shape.rank());
      Path f = dir.resolve("a.npy");
      Npy.write(f, whole);
      for (Box box : boxesOf(shape, 17)) {
        Tensor part = Npy.readBox(f, box.start(), box.count());
        assertEquals(Shape.of(box.count()), part.shape(), box.toString());
        assertSameTensor(slice(whole, box), part);
      }
    }
  }

  @Test
  void readsABoxIntoASpareTensorOfItsShapeAndIntoANewOneOtherwise() throws IOException {
    Tensor whole = random(DType.FLOAT32, Shape.of(1, 9, 7, 3), 2);
    Path f = dir.resolve("spare.npy");
    Npy.write(f, whole);
    Box rows = Box.of(new long[] {0, 2, 0, 0}, 1, 4, 7, 3);
    Tensor spare = Tensor.zeros(DType.FLOAT32, Shape.of(1, 4, 7, 3));
    try (FileChannel ch = FileChannel.open(f)) {
      Tensor read = Npy.readBox(ch, "spare", rows.start(), rows.count(), spare);
      assertSame(spare, read, "filled in place");
      assertSameTensor(slice(whole, rows), read);
      Box shorter = Box.of(new long[] {0, 6, 0, 0}, 1, 3, 7, 3);
      Tensor other = Npy.readBox(ch, "spare", shorter.start(), shorter.count(), spare);
      assertNotSame(spare, other, "a spare of another shape is left alone");
      assertSameTensor(slice(whole, shorter), other);
      Tensor wrongType = Tensor.zeros(DType.FLOAT64, Shape.of(1, 4, 7, 3));
      assertNotSame(wrongType, Npy.readBox(ch, "spare", rows.start(), rows.count(), wrongType));
    }
  }

  @Test
  void readsABandOfNhwcRowsInOneReadAndOfNchwRowsInOneReadPerChannel() throws IOException {
    Tensor nhwc = random(DType.FLOAT32, Shape.of(2, 9, 7, 3), 1);
    Path f = dir.resolve("nhwc.npy");
    Npy.write(f, nhwc);
    Box rows = Box.of(new long[] {1, 3, 0, 0}, 1, 4, 7, 3);
    try (SeekCountingChannel ch = new SeekCountingChannel(f)) {
      assertSameTensor(slice(nhwc, rows), Npy.readBox(ch, "nhwc", rows.start(), rows.count()));
      assertEquals(HEADER_SEEKS + 1, ch.seeks, "one read for the whole band");
    }
    Tensor nchw = random(DType.FLOAT32, Shape.of(2, 3, 9, 7), 2);
    Path g = dir.resolve("nchw.npy");
    Npy.write(g, nchw);
    Box channelRows = Box.of(new long[] {1, 0, 3, 0}, 1, 3, 4, 7);
    try (SeekCountingChannel ch = new SeekCountingChannel(g)) {
      assertSameTensor(slice(nchw, channelRows), Npy.readBox(ch, "nchw", channelRows.start(), channelRows.count()));
      assertEquals(HEADER_SEEKS + 3, ch.seeks, "one read per channel");
    }
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"HALF", "FLOAT32", "FLOAT64"})
  void convertsBigEndianBoxes(DType dtype) throws IOException {
    Tensor whole = random(dtype, Shape.of(3, 4, 5), 3);
    Path f = dir.resolve("be.npy");
    String descr = Npy.descr(dtype).replace('<', '>');
    Files.write(f, NpyTest.rawNpy(1, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': "
        + shapeText(whole.shape()) + ", }", bigEndianData(whole)));
    for (Box box : boxesOf(whole.shape(), 5)) {
      assertSameTensor(slice(whole, box), Npy.readBox(f, box.start(), box.count()));
    }
  }

  @Test
  void rejectsBoxesOutsideTheArrayNamingTheAxis() throws IOException {
    Path f = dir.resolve("r.npy");
    Npy.write(f, random(DType.FLOAT32, Shape.of(4, 5, 6), 1));
    long[][][] outside = {
        {{0, 0, 4}, {4, 5, 3}}, // 4 + 3 > 6
        {{0, 0, 7}, {4, 5, 0}}, // starts past the end
        {{0, 0, -1}, {4, 5, 1}},
        {{0, 0, 0}, {4, 5, -1}},
    };
    for (long[][] box : outside) {
      IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
          () -> Npy.readBox(f, box[0], box[1]));
      assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
      assertTrue(e.getMessage().contains("axis 2"), e.getMessage());
      assertTrue(e.getMessage().contains("[0, 6)"), e.getMessage());
    }
    InvalidArgumentException rank = assertThrows(InvalidArgumentException.class,
        () -> Npy.readBox(f, new long[] {0, 0}, new long[] {4, 5}));
    assertTrue(rank.getMessage().startsWith(f + ": "), rank.getMessage());
    assertTrue(rank.getMessage().contains("rank 2") && rank.getMessage().contains("rank 3"), rank.getMessage());
    assertThrows(InvalidArgumentException.class, () -> Npy.readBox(f, new long[] {0, 0, 0}, new long[] {4, 5}));
  }

  @Test
  void rejectsATruncatedFileBeforeReadingAnyData() throws IOException {
    Path f = dir.resolve("t.npy");
    Npy.write(f, random(DType.FLOAT32, Shape.of(10, 3), 1));
    byte[] all = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(all, all.length - 1));
    try (SeekCountingChannel ch = new SeekCountingChannel(f)) {
      NpyFormatException e = assertThrows(NpyFormatException.class,
          () -> Npy.readBox(ch, "t", new long[] {0, 0}, new long[] {1, 3}));
      assertTrue(e.getMessage().contains("truncated"), e.getMessage());
      assertEquals(HEADER_SEEKS, ch.seeks, "only the header was read");
    }
  }

  @Test
  void rejectsFortranOrder() throws IOException {
    Path f = dir.resolve("f.npy");
    Files.write(f, NpyTest.rawNpy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]));
    NpyFormatException e = assertThrows(NpyFormatException.class,
        () -> Npy.readBox(f, new long[] {0, 0}, new long[] {1, 2}));
    assertTrue(e.getMessage().contains("fortran_order is True"), e.getMessage());
  }

  /**
   * A float16 image of 46341 x 46341 pixels: 2^31 + 4633 elements, more than one array holds. The
   * file is sparse: the header, the file's length, and a few known values far apart.
   */
  @Test
  void readsBoxesPastTwoToThe31ElementsOfAnArrayLargerThanATensor() throws IOException {
    long side = 46341;
    Shape shape = Shape.of(1, side, side, 1);
    assertTrue(shape.elementCount() > Integer.MAX_VALUE);
    Path f = dir.resolve("huge.npy");
    byte[] header = Npy.headerBytes(DType.HALF, shape);
    long[] rows = {0, side / 2, side - 2, side - 1};
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.write(header);
      raf.setLength(header.length + shape.elementCount() * 2);
      for (long r : rows) {
        for (long c = side - 3; c < side; c++) {
          raf.seek(header.length + (r * side + c) * 2);
          raf.writeShort(Short.reverseBytes(known(r, c))); // little-endian, as .npy stores it
        }
      }
    }
    // the last three pixels of four rows: one read per row, the last two rows past 2^31 elements
    Tensor corner = Npy.readBox(f, new long[] {0, 0, side - 3, 0}, new long[] {1, side, 3, 1});
    assertEquals(Shape.of(1, side, 3, 1), corner.shape());
    for (long r : rows) {
      for (int c = 0; c < 3; c++) {
        assertEquals(known(r, side - 3 + c), corner.bits16Data()[(int) (r * 3 + c)], "row " + r);
      }
    }
    assertEquals(0, corner.bits16Data()[3], "unwritten pixels of a sparse file are zeros");
    Tensor lastRows = Npy.readBox(f, new long[] {0, side - 2, 0, 0}, new long[] {1, 2, side, 1});
    assertEquals(known(side - 1, side - 1), lastRows.bits16Data()[lastRows.size() - 1]);
    assertEquals(known(side - 2, side - 3), lastRows.bits16Data()[(int) side - 3]);
    NpyFormatException whole = assertThrows(NpyFormatException.class,
        () -> Npy.readBox(f, new long[4], shape.toArray()));
    assertTrue(whole.getMessage().contains("more than one tensor holds"), whole.getMessage());
  }

  /** A float16 bit pattern unique to the pixel, never zero. */
  static short known(long row, long col) {
    return (short) (0x3c00 + (row * 7 + col) % 1000);
  }
}
