package org.convgrad.io.npy;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.LargeTensor;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Npy#readBox} and {@link NpyRangeWriter}: .npy arrays by boxes, as bands of images too large for one array. */
class NpyBoxTest {
  @TempDir Path dir;

  /** A box: where it starts and how many elements it has, per axis. */
  record Box(long[] start, long[] count) {
    static Box of(long[] start, long... count) {
      return new Box(start, count);
    }

    @Override
    public String toString() {
      return Arrays.toString(start) + " + " + Arrays.toString(count);
    }
  }

  /** The box of {@code whole}, element by element: the reference readBox must equal. */
  static Tensor slice(Tensor whole, Box box) {
    Tensor out = Tensor.zeros(whole.dtype(), Shape.of(box.count()));
    long[] dims = whole.shape().toArray();
    for (int j = 0; j < out.size(); j++) {
      long rest = j;
      long flat = 0;
      long stride = 1;
      for (int a = dims.length - 1; a >= 0; a--) {
        flat += (box.start()[a] + rest % box.count()[a]) * stride;
        rest /= box.count()[a];
        stride *= dims[a];
      }
      copyElement(whole, (int) flat, out, j);
    }
    return out;
  }

  static void copyElement(Tensor from, int i, Tensor to, int j) {
    switch (from.dtype()) {
      case FLOAT32:
        to.float32Data()[j] = from.float32Data()[i];
        break;
      case FLOAT64:
        to.float64Data()[j] = from.float64Data()[i];
        break;
      default:
        to.bits16Data()[j] = from.bits16Data()[i];
    }
  }

  /** Boxes of {@code shape}: the whole, edge boxes, empty ones and random ones. */
  static List<Box> boxesOf(Shape shape, long seed) {
    long[] dims = shape.toArray();
    List<Box> boxes = new ArrayList<>();
    boxes.add(Box.of(new long[dims.length], dims));
    long[] first = dims.clone();
    first[0] = 1;
    boxes.add(Box.of(new long[dims.length], first));
    long[] lastStart = new long[dims.length];
    long[] one = new long[dims.length];
    Arrays.fill(one, 1);
    for (int a = 0; a < dims.length; a++) {
      lastStart[a] = dims[a] - 1;
    }
    boxes.add(Box.of(lastStart, one));
    long[] emptyAtEnd = one.clone();
    emptyAtEnd[dims.length - 1] = 0;
    boxes.add(Box.of(lastStart.clone(), emptyAtEnd));
    long[] endStart = new long[dims.length];
    endStart[0] = dims[0];
    long[] none = dims.clone();
    none[0] = 0;
    boxes.add(Box.of(endStart, none));
    Random r = new Random(seed);
    for (int k = 0; k < 25; k++) {
      long[] s = new long[dims.length];
      long[] c = new long[dims.length];
      for (int a = 0; a < dims.length; a++) {
        s[a] = r.nextInt((int) dims[a] + 1);
        c[a] = r.nextInt((int) (dims[a] - s[a]) + 1);
      }
      boxes.add(Box.of(s, c));
    }
    return boxes;
  }

  /** A channel over a file that is no FileChannel, so the reader seeks before each run: the seeks are counted. */
  static final class SeekCountingChannel implements SeekableByteChannel {
    final FileChannel file;
    int seeks;

    SeekCountingChannel(Path f) throws IOException {
      file = FileChannel.open(f);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return file.read(dst);
    }

    @Override
    public int write(ByteBuffer src) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long position() throws IOException {
      return file.position();
    }

    @Override
    public SeekableByteChannel position(long p) throws IOException {
      seeks++;
      file.position(p);
      return this;
    }

    @Override
    public long size() throws IOException {
      return file.size();
    }

    @Override
    public SeekableByteChannel truncate(long size) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean isOpen() {
      return file.isOpen();
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }

  /** The .npy header's two reads (preamble, header) before any data. */
  static final int HEADER_SEEKS = 2;

  static byte[] bigEndianData(Tensor t) {
    ByteBuffer b = ByteBuffer.allocate(t.size() * t.dtype().byteSize()).order(ByteOrder.BIG_ENDIAN);
    switch (t.dtype()) {
      case FLOAT32:
        b.asFloatBuffer().put(t.float32Data());
        break;
      case FLOAT64:
        b.asDoubleBuffer().put(t.float64Data());
        break;
      default:
        b.asShortBuffer().put(t.bits16Data());
    }
    return b.array();
  }

  static String shapeText(Shape s) {
    String dims = Arrays.toString(s.toArray()).replace('[', '(').replace(']', ')');
    return s.rank() == 1 ? dims.replace(")", ",)") : dims;
  }

  private long fileCount() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }

  // ---------------------------------------------------------------- readBox

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

  // ---------------------------------------------------------------- NpyRangeWriter

  /** Bands of {@code rows} rows along {@code rowAxis}, one per index of each axis before it. */
  static List<Box> bands(Shape shape, int rowAxis, long rows) {
    long[] dims = shape.toArray();
    List<Box> bands = new ArrayList<>();
    long outer = 1;
    for (int a = 0; a < rowAxis; a++) {
      outer *= dims[a];
    }
    for (long o = 0; o < outer; o++) {
      for (long r = 0; r < dims[rowAxis]; r += rows) {
        long[] start = new long[dims.length];
        long[] count = dims.clone();
        long rest = o;
        for (int a = rowAxis - 1; a >= 0; a--) {
          start[a] = rest % dims[a];
          rest /= dims[a];
          count[a] = 1;
        }
        start[rowAxis] = r;
        count[rowAxis] = Math.min(rows, dims[rowAxis] - r);
        bands.add(new Box(start, count));
      }
    }
    return bands;
  }

  static List<Box> scrambled(List<Box> boxes, long seed) {
    List<Box> out = new ArrayList<>(boxes);
    Collections.shuffle(out, new Random(seed));
    return out;
  }

  private void assertWrittenAsNpyWriteWrites(Tensor whole, Path target) throws IOException {
    assertSameTensor(whole, Npy.read(target));
    Path reference = dir.resolve("reference.npy");
    Npy.write(reference, whole);
    assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(target));
  }

  // ---------------------------------------------------------------- LargeTensor

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"HALF", "FLOAT32", "FLOAT64"})
  void aLargeTensorIsReadAndWrittenSlabBySlabAsNpyReadsAndWritesTheWhole(DType dtype) throws IOException {
    Shape[] shapes = {Shape.of(13), Shape.of(5, 7), Shape.of(1, 9, 7, 3), Shape.of(2, 3, 9, 7), Shape.of(2, 0, 3)};
    for (Shape shape : shapes) {
      Tensor whole = random(dtype, shape, shape.rank());
      Path f = dir.resolve("a.npy");
      Npy.write(f, whole);
      for (long slab : new long[] {1, 5, 22, 64, Npy.SLAB_ELEMENTS}) {
        LargeTensor large = Npy.readLarge(f, 7, slab); // chunks of 7: slabs cross chunks
        assertSameTensor(whole, large.toTensor());
        Path target = dir.resolve("large.npy");
        Npy.write(target, large, slab);
        assertWrittenAsNpyWriteWrites(whole, target);
      }
      assertSameTensor(whole, Npy.readLarge(f).toTensor());
    }
  }

  @Test
  void aTruncatedFileIsRefusedBeforeALargeTensorIsAllocated() throws IOException {
    Path f = dir.resolve("t.npy");
    // The header claims 2^33 float32 elements (32 GiB): refused from the file's size, nothing allocated.
    Files.write(f, Npy.headerBytes(DType.FLOAT32, Shape.of(1 << 17, 1 << 16)));
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.readLarge(f));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

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
    assertWrittenAsNpyWriteWrites(whole, target);
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
    assertWrittenAsNpyWriteWrites(whole, target);
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
    assertWrittenAsNpyWriteWrites(whole, target);
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
      assertWrittenAsNpyWriteWrites(whole, target);
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
    assertEquals(0, fileCount(), "no temporary file left behind");
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
    assertEquals(1, fileCount(), "only the old file");
  }

  @Test
  void closeWithoutCommitLeavesNoTemporaryFile() throws IOException {
    Tensor whole = random(DType.HALF, Shape.of(6, 5), 9);
    Path target = dir.resolve("aborted.npy");
    try (NpyRangeWriter out = NpyRangeWriter.begin(target, DType.HALF, whole.shape())) {
      out.write(new long[] {0, 0}, whole);
      assertEquals(1, fileCount(), "the temporary file, beside the target");
    }
    assertFalse(Files.exists(target));
    assertEquals(0, fileCount());
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
    assertEquals(0, fileCount());
  }
}
