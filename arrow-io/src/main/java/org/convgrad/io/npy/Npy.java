package org.convgrad.io.npy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Box;
import org.convgrad.engine.tensor.LargeTensor;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.AtomicFile;
import org.convgrad.io.InputFiles;
import org.jspecify.annotations.Nullable;

/**
 * NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) of float16 ({@code <f2}, read as
 * {@link DType#HALF}), float32 ({@code <f4}) and float64 ({@code <f8}) in C order.
 *
 * <p>Reading: little-endian type strings ({@code <}, {@code |}, {@code =}) are read as they are;
 * big-endian ones ({@code >f4}) are converted while reading. Fortran-order files, other element
 * types, and files that are truncated, lie about their shape or are not {@code .npy} files are
 * rejected with an {@link NpyFormatException} that names the file and the problem. The data's size
 * is checked against the file's size before anything is allocated.
 *
 * <p>Writing: {@code <f2}, {@code <f4} or {@code <f8}, C order, a version 1.0 header padded to a
 * multiple of 64 bytes as NumPy writes it (2.0 only when the header does not fit 1.0), written to a
 * temporary name and renamed into place ({@link AtomicFile}). bfloat16 has no NumPy type and is
 * rejected; widen it to float32 first.
 *
 * <p>Parts of arrays larger than one tensor (2^31 - 9 elements): {@link #readBox} reads any box of
 * the array (a band of rows of one image, NHWC or NCHW) with positioned reads, and {@link
 * NpyRangeWriter} writes a file box by box, so neither side ever holds the whole array; {@link
 * #readLarge} and {@link #write(Path, LargeTensor)} move a whole {@link LargeTensor} by such ranges.
 *
 * <p>All data moves in bulk through a direct buffer (a few MiB), never an element at a time.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int PREAMBLE_V1 = 10;
  private static final int PREAMBLE_V2 = 12;
  private static final int ALIGN = 64;
  /** NumPy refuses headers over 10000 bytes by default; this reader allows more, up to 1 MiB. */
  private static final int MAX_HEADER_BYTES = 1 << 20;
  /** NumPy's spare room after the header so the first dimension can grow in place. */
  private static final int GROWTH_AXIS_MAX_DIGITS = 21;
  /** Elements per slab when a {@link LargeTensor} moves: 2^22, a 16 MiB float32 tensor at a time. */
  public static final long SLAB_ELEMENTS = 1 << 22;

  private Npy() {}

  // ---------------------------------------------------------------- reading

  /** The header of {@code file}, without reading its data. */
  public static NpyHeader readHeader(Path file) throws IOException {
    try (FileChannel ch = InputFiles.open(file)) {
      return readHeader(ch, file.toString());
    }
  }

  /**
   * The header of the {@code .npy} data in {@code channel} (from position 0, whatever the
   * channel's position), checked against the channel's size. {@code source} names it in errors.
   */
  public static NpyHeader readHeader(SeekableByteChannel channel, String source) throws IOException {
    long size = channel.size();
    if (size == 0) {
      throw new NpyFormatException(source, "empty file (0 bytes), not a .npy file");
    }
    ByteBuffer pre = ByteBuffer.allocate((int) Math.min(size, PREAMBLE_V2)).order(ByteOrder.LITTLE_ENDIAN);
    NpyData.readFully(channel, pre, 0, source, "the .npy preamble");
    int magicSeen = Math.min(pre.limit(), MAGIC.length);
    for (int i = 0; i < magicSeen; i++) {
      if (pre.get(i) != MAGIC[i]) {
        throw new NpyFormatException(source, "not a .npy file: it starts with "
            + hex(pre, magicSeen) + ", not the .npy magic 93 4e 55 4d 50 59 (\\x93NUMPY)");
      }
    }
    if (size < PREAMBLE_V1) {
      throw new NpyFormatException(source, "truncated: " + size
          + " bytes, shorter than the 10-byte .npy preamble");
    }
    int major = pre.get(6) & 0xff;
    int minor = pre.get(7) & 0xff;
    long headerLength;
    int preamble;
    if (major == 1 && minor == 0) {
      headerLength = pre.getShort(8) & 0xffff;
      preamble = PREAMBLE_V1;
    } else if ((major == 2 || major == 3) && minor == 0) {
      if (size < PREAMBLE_V2) {
        throw new NpyFormatException(source, "truncated: " + size
            + " bytes, shorter than the 12-byte preamble of .npy version " + major + ".0");
      }
      headerLength = pre.getInt(8) & 0xffff_ffffL;
      preamble = PREAMBLE_V2;
    } else {
      throw new NpyFormatException(source, "unsupported .npy format version " + major + "." + minor
          + " (convgrad reads 1.0, 2.0 and 3.0)");
    }
    if (headerLength > MAX_HEADER_BYTES) {
      throw new NpyFormatException(source, "header length " + headerLength
          + " bytes is over the limit of " + MAX_HEADER_BYTES + " bytes");
    }
    long dataOffset = preamble + headerLength;
    if (dataOffset > size) {
      throw new NpyFormatException(source, "truncated: the header needs " + headerLength
          + " bytes after the " + preamble + "-byte preamble but the file has " + size + " bytes in all");
    }
    ByteBuffer hb = ByteBuffer.allocate((int) headerLength);
    NpyData.readFully(channel, hb, preamble, source, "the .npy header");
    String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    NpyHeader header = NpyHeaderText.parse(text, major, minor, dataOffset, source);
    long dataBytes;
    try {
      dataBytes = header.dataBytes();
    } catch (ArithmeticException | InvalidArgumentException e) {
      throw new NpyFormatException(source, "shape " + header.shape() + " has more elements than a long counts");
    }
    if (dataBytes > size - dataOffset) {
      throw new NpyFormatException(source, "truncated or the header lies: shape " + header.shape()
          + " of '" + header.descr() + "' needs " + dataBytes + " data bytes after the header but the file has "
          + (size - dataOffset));
    }
    return header;
  }

  /** The whole array in {@code file}. */
  public static Tensor read(Path file) throws IOException {
    try (FileChannel ch = InputFiles.open(file)) {
      return read(ch, file.toString());
    }
  }

  /** The whole array in {@code channel}; {@code source} names it in errors. */
  public static Tensor read(SeekableByteChannel channel, String source) throws IOException {
    NpyHeader h = readHeader(channel, source);
    requireReadable(h, source);
    return readNew(channel, source, h, Box.whole(h.shape()));
  }

  /**
   * Rows {@code [firstRow, firstRow + rowCount)} along axis 0 of the array in {@code file}, read
   * with positioned reads without touching the rest of the file. The result has shape {@code
   * [rowCount, d1, d2, ...]}.
   */
  public static Tensor readRange(Path file, long firstRow, long rowCount) throws IOException {
    try (FileChannel ch = InputFiles.open(file)) {
      return readRange(ch, file.toString(), firstRow, rowCount);
    }
  }

  /** {@link #readRange(Path, long, long)} over a channel; {@code source} names it in errors. */
  public static Tensor readRange(SeekableByteChannel channel, String source, long firstRow, long rowCount)
      throws IOException {
    NpyHeader h = readHeader(channel, source);
    if (h.shape().rank() == 0) {
      throw new NpyFormatException(source, "a scalar (shape ()) has no rows to read a range of");
    }
    requireReadable(h, source);
    long rows = h.shape().get(0);
    if (firstRow < 0 || rowCount < 0 || firstRow > rows || rowCount > rows - firstRow) {
      throw new IndexOutOfBoundsException(source + ": rows [" + firstRow + ", " + firstRow + " + " + rowCount
          + ") are outside the file's " + rows + " rows");
    }
    long[] start = new long[h.shape().rank()];
    start[0] = firstRow;
    long[] count = h.shape().toArray();
    count[0] = rowCount;
    return readNew(channel, source, h, Box.of(source, h.shape(), start, count));
  }

  /**
   * The box {@code [start[i], start[i] + count[i])} of every axis of the array in {@code file}, a
   * tensor of shape {@code count}, read with positioned reads without touching the rest of the
   * file: one read per contiguous run, so a band of NHWC rows {@code [b, r0..r1, all W, all C]} is
   * one read and a band of NCHW rows {@code [b, all C, r0..r1, all W]} is one read per channel.
   * The file may hold more elements than a tensor; the box may not.
   *
   * @throws InvalidArgumentException when the box's rank is not the file's
   * @throws IndexOutOfBoundsException when the box leaves an axis of the file (the message names
   *     the file, the axis and its bounds)
   * @throws NpyFormatException when the file is not a readable {@code .npy} file, is truncated, or
   *     the box has more elements than one tensor holds
   */
  public static Tensor readBox(Path file, long[] start, long[] count) throws IOException {
    try (FileChannel ch = InputFiles.open(file)) {
      return readBox(ch, file.toString(), start, count);
    }
  }

  /** {@link #readBox(Path, long[], long[])} over a channel; {@code source} names it in errors. */
  public static Tensor readBox(SeekableByteChannel channel, String source, long[] start, long[] count)
      throws IOException {
    return readBox(channel, source, start, count, null);
  }

  /**
   * As {@link #readBox(SeekableByteChannel, String, long[], long[])}, into {@code into} when it is a
   * tensor (not a view) of the box's shape and the file's dtype (a banded run's spare rows: no new
   * array per band), else into a new tensor.
   */
  public static Tensor readBox(
      SeekableByteChannel channel, String source, long[] start, long[] count, @Nullable Tensor into)
      throws IOException {
    NpyHeader h = readHeader(channel, source);
    requireReadable(h, source);
    Box box = Box.of(source, h.shape(), start, count);
    boolean fits = into != null && !into.isView() && into.dtype() == h.dtype() && into.shape().equals(box.shape());
    return fits ? readBox(channel, source, h, box, into) : readNew(channel, source, h, box);
  }

  /**
   * The array in {@code file} into a {@link LargeTensor}, for arrays of any size: the header is
   * checked against the file's size before anything is allocated, then the data is read by ranges,
   * a slab of at most {@link #SLAB_ELEMENTS} at a time, never as one whole buffer.
   */
  public static LargeTensor readLarge(Path file) throws IOException {
    return readLarge(file, LargeTensor.DEFAULT_CHUNK_ELEMENTS, SLAB_ELEMENTS);
  }

  static LargeTensor readLarge(Path file, int chunkElements, long slabElements) throws IOException {
    String source = file.toString();
    try (FileChannel ch = InputFiles.open(file)) {
      NpyHeader h = readHeader(ch, source);
      requireReadable(h, source);
      LargeTensor t = LargeTensor.zeros(h.dtype(), h.shape(), chunkElements);
      for (Box slab : Box.slabs(h.shape(), slabElements)) {
        t.write(slab.start(), readNew(ch, source, h, slab));
      }
      return t;
    }
  }

  private static Tensor readNew(SeekableByteChannel ch, String source, NpyHeader h, Box box) throws IOException {
    return readBox(ch, source, h, box, allocate(h.dtype(), box.shape(), source));
  }

  /** Box {@code box} of the file into {@code t}, which has its shape and dtype. */
  private static Tensor readBox(SeekableByteChannel ch, String source, NpyHeader h, Box box, Tensor t)
      throws IOException {
    int width = h.dtype().byteSize();
    ByteBuffer buf = NpyData.buffer(h.dtype(), t.size());
    box.forEachRun((element, at, length) ->
        NpyData.read(ch, source, h.dataOffset() + element * width, h.byteOrder(), t, at, length, buf));
    return t;
  }

  private static void requireReadable(NpyHeader h, String source) throws NpyFormatException {
    if (h.fortranOrder()) {
      throw new NpyFormatException(source, "fortran_order is True (column-major data); convgrad reads"
          + " C-order arrays only: save it with np.save(path, np.ascontiguousarray(a))");
    }
  }

  private static Tensor allocate(DType dtype, Shape shape, String source) throws NpyFormatException {
    long count = shape.elementCount();
    if (count > Shape.MAX_ELEMENTS) {
      throw new NpyFormatException(source, "shape " + shape + " has " + count
          + " elements, more than one tensor holds (" + Shape.MAX_ELEMENTS
          + "); read it in parts with Npy.readRange or Npy.readBox");
    }
    return Tensor.zeros(dtype, shape);
  }

  // ---------------------------------------------------------------- writing

  /**
   * Writes {@code tensor} to {@code file} as NumPy writes it ({@code np.save}): through a
   * temporary file in the same directory, renamed onto {@code file} only when complete.
   *
   * @throws InvalidArgumentException for bfloat16, which has no NumPy type
   */
  public static void write(Path file, Tensor tensor) throws IOException {
    byte[] header = headerBytes(tensor.dtype(), tensor.shape());
    AtomicFile.write(file, ch -> writeBody(ch, header, tensor));
  }

  /**
   * Writes a {@link LargeTensor} to {@code file} as {@code np.save} writes it, by ranges, a slab at
   * a time; the file appears, complete, only at the end ({@link NpyRangeWriter}).
   */
  public static void write(Path file, LargeTensor tensor) throws IOException {
    write(file, tensor, SLAB_ELEMENTS);
  }

  static void write(Path file, LargeTensor tensor, long slabElements) throws IOException {
    try (NpyRangeWriter out = NpyRangeWriter.begin(file, tensor.dtype(), tensor.shape())) {
      for (Box slab : Box.slabs(tensor.shape(), slabElements)) {
        out.write(slab.start(), tensor.read(slab.start(), slab.shape().toArray()));
      }
      out.commit();
    }
  }

  /** Writes {@code tensor} in {@code .npy} format to {@code channel} (not closed). */
  public static void write(WritableByteChannel channel, Tensor tensor) throws IOException {
    writeBody(channel, headerBytes(tensor.dtype(), tensor.shape()), tensor);
  }

  private static void writeBody(WritableByteChannel ch, byte[] header, Tensor t) throws IOException {
    NpyData.writeFully(ch, ByteBuffer.wrap(header));
    ByteBuffer buf = NpyData.buffer(t.dtype(), t.size());
    NpyData.write(t, 0, t.size(), buf, (chunk, offset) -> NpyData.writeFully(ch, chunk));
  }

  /** NumPy's type string for {@code dtype}: {@code <f2}, {@code <f4} or {@code <f8}. */
  public static String descr(DType dtype) {
    switch (dtype) {
      case HALF:
        return "<f2";
      case FLOAT32:
        return "<f4";
      case FLOAT64:
        return "<f8";
      default:
        throw new InvalidArgumentException("bfloat16 has no NumPy dtype and cannot be written to .npy;"
            + " widen it to float32 first, or write an .arrow file");
    }
  }

  /**
   * The preamble and header NumPy writes for a C-order array of {@code dtype} and {@code shape}:
   * version 1.0 unless the header needs 2.0, total length a multiple of 64.
   */
  public static byte[] headerBytes(DType dtype, Shape shape) {
    StringBuilder dict = new StringBuilder("{'descr': '").append(descr(dtype))
        .append("', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < shape.rank(); i++) {
      dict.append(i == 0 ? "" : ", ").append(shape.get(i));
    }
    dict.append(shape.rank() == 1 ? ",), }" : "), }");
    if (shape.rank() > 0) {
      dict.append(" ".repeat(GROWTH_AXIS_MAX_DIGITS - Long.toString(shape.get(0)).length()));
    }
    byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
    int hlen = text.length + 1; // the closing newline
    int preamble = PREAMBLE_V1;
    int pad = ALIGN - (preamble + hlen) % ALIGN;
    if (hlen + pad > 0xffff) {
      preamble = PREAMBLE_V2;
      pad = ALIGN - (preamble + hlen) % ALIGN;
    }
    int total = preamble + hlen + pad;
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC);
    if (preamble == PREAMBLE_V1) {
      out.put((byte) 1).put((byte) 0).putShort((short) (hlen + pad));
    } else {
      out.put((byte) 2).put((byte) 0).putInt(hlen + pad);
    }
    out.put(text);
    for (int i = 0; i < pad; i++) {
      out.put((byte) ' ');
    }
    out.put((byte) '\n');
    return out.array();
  }

  private static String hex(ByteBuffer b, int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append(i == 0 ? "" : " ").append(String.format("%02x", b.get(i) & 0xff));
    }
    return s.toString();
  }
}
