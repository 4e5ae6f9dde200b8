package org.convgrad.io.npy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Tensor;

/**
 * Moves runs of tensor elements between a tensor's array and a channel in bulk, through one
 * direct buffer of at most {@link #CHUNK_BYTES}, and the read-fully and write-fully loops that
 * rest on. Never an element at a time: a call per element is what makes I/O slow.
 */
final class NpyData {
  /** Large enough for the OS to stream, small enough to keep beside huge tensors. */
  static final int CHUNK_BYTES = 1 << 22;

  /** Where a chunk goes; {@code offset} is its byte offset from the start of the run. */
  @FunctionalInterface
  interface Sink {
    void write(ByteBuffer chunk, long offset) throws IOException;
  }

  private NpyData() {}

  /** A buffer for moving up to {@code elements} elements of {@code dtype}, at most a chunk. */
  static ByteBuffer buffer(DType dtype, long elements) {
    long bytes = elements > CHUNK_BYTES ? CHUNK_BYTES : elements * dtype.byteSize();
    return ByteBuffer.allocateDirect((int) Math.max(8, Math.min(CHUNK_BYTES, bytes)));
  }

  /**
   * Reads {@code count} elements of byte order {@code order} at byte {@code position} of {@code
   * ch} into {@code t} from element {@code at}.
   */
  static void read(SeekableByteChannel ch, String source, long position, ByteOrder order, Tensor t, int at,
      int count, ByteBuffer buf) throws IOException {
    int width = t.dtype().byteSize();
    int perChunk = buf.capacity() / width;
    long pos = position;
    int done = 0;
    while (done < count) {
      int n = Math.min(perChunk, count - done);
      buf.clear().limit(n * width);
      readFully(ch, buf, pos, source, "the array data");
      buf.flip();
      buf.order(order);
      switch (t.dtype()) {
        case FLOAT32:
          buf.asFloatBuffer().get(t.float32Data(), at + done, n);
          break;
        case FLOAT64:
          buf.asDoubleBuffer().get(t.float64Data(), at + done, n);
          break;
        default:
          buf.asShortBuffer().get(t.bits16Data(), at + done, n);
      }
      done += n;
      pos += (long) n * width;
    }
  }

  /** Hands {@code count} elements of {@code t} from element {@code from}, little-endian, to {@code sink}. */
  static void write(Tensor t, int from, int count, ByteBuffer buf, Sink sink) throws IOException {
    int width = t.dtype().byteSize();
    int perChunk = buf.capacity() / width;
    buf.order(ByteOrder.LITTLE_ENDIAN);
    for (int done = 0; done < count; ) {
      int n = Math.min(perChunk, count - done);
      buf.clear();
      switch (t.dtype()) {
        case FLOAT32:
          buf.asFloatBuffer().put(t.float32Data(), from + done, n);
          break;
        case FLOAT64:
          buf.asDoubleBuffer().put(t.float64Data(), from + done, n);
          break;
        default:
          buf.asShortBuffer().put(t.bits16Data(), from + done, n);
      }
      buf.limit(n * width);
      sink.write(buf, (long) done * width);
      done += n;
    }
  }

  /**
   * Fills {@code buf} from byte {@code position} of {@code ch}: positioned reads on a file, a seek
   * and reads otherwise. The end of the file before the buffer is full is a truncated file.
   */
  static void readFully(SeekableByteChannel ch, ByteBuffer buf, long position, String source, String what)
      throws IOException {
    long pos = position;
    if (!(ch instanceof FileChannel)) {
      ch.position(pos);
    }
    while (buf.hasRemaining()) {
      int r = ch instanceof FileChannel ? ((FileChannel) ch).read(buf, pos) : ch.read(buf);
      if (r < 0) {
        throw new NpyFormatException(source, "truncated: the file ended at byte " + pos + " while reading " + what);
      }
      pos += r;
    }
  }

  static void writeFully(WritableByteChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** Writes all of {@code buf} at byte {@code position} of {@code ch}, leaving its position alone. */
  static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
  }
}
