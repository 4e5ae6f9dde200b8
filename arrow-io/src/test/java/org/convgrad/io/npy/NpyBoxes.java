package org.convgrad.io.npy;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
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
import java.util.stream.Stream;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/** Boxes of .npy arrays and the references the range I/O tests hold them to. */
final class NpyBoxes {
  private NpyBoxes() {}

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

  /** The files in {@code dir}. */
  static long fileCount(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }

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

  /** {@code target} holds {@code whole}, byte for byte as {@link Npy#write} writes it (beside it, in {@code dir}). */
  static void assertWrittenAsNpyWriteWrites(Path dir, Tensor whole, Path target) throws IOException {
    assertSameTensor(whole, Npy.read(target));
    Path reference = dir.resolve("reference.npy");
    Npy.write(reference, whole);
    assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(target));
  }
}
