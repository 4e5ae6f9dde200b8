package org.convgrad.io;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only {@link SeekableByteChannel} over any source with positioned reads, such as Hadoop's
 * {@code FSDataInputStream} ({@code read(long position, byte[] buffer, int offset, int length)}),
 * so that the readers of this module (which take a {@code SeekableByteChannel}) read such files:
 *
 * <pre>{@code
 * FSDataInputStream in = fs.open(path);
 * SeekableByteChannel ch = PositionedChannel.of(in::read, fs.getFileStatus(path).getLen(), in);
 * }</pre>
 */
public final class PositionedChannel implements SeekableByteChannel {
  /** Reads up to {@code length} bytes at {@code position}; returns the count, or -1 at the end. */
  @FunctionalInterface
  public interface PositionedReader {
    int read(long position, byte[] buffer, int offset, int length) throws IOException;
  }

  private static final int COPY_BYTES = 1 << 20;

  private final PositionedReader reader;
  private final long size;
  private final Closeable onClose;
  private long position;
  private boolean open = true;
  private byte[] scratch = new byte[0];

  private PositionedChannel(PositionedReader reader, long size, Closeable onClose) {
    this.reader = reader;
    this.size = size;
    this.onClose = onClose;
  }

  /** A channel of {@code size} bytes read through {@code reader}; closing it closes {@code onClose}. */
  public static PositionedChannel of(PositionedReader reader, long size, Closeable onClose) {
    if (size < 0) {
      throw new IllegalArgumentException("size " + size + " < 0");
    }
    return new PositionedChannel(reader, size, onClose);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    checkOpen();
    if (position >= size) {
      return -1;
    }
    int want = (int) Math.min(dst.remaining(), Math.min(size - position, COPY_BYTES));
    if (want == 0) {
      return 0;
    }
    int n;
    if (dst.hasArray()) {
      n = reader.read(position, dst.array(), dst.arrayOffset() + dst.position(), want);
      if (n > 0) {
        dst.position(dst.position() + n);
      }
    } else {
      if (scratch.length < want) {
        scratch = new byte[Math.max(want, Math.min(COPY_BYTES, Math.max(8192, scratch.length * 2)))];
      }
      n = reader.read(position, scratch, 0, want);
      if (n > 0) {
        dst.put(scratch, 0, n);
      }
    }
    if (n < 0) {
      throw new EOFException("the source ended at byte " + position + " of its stated " + size);
    }
    position += n;
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() throws IOException {
    checkOpen();
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) throws IOException {
    checkOpen();
    if (newPosition < 0) {
      throw new IllegalArgumentException("position " + newPosition + " < 0");
    }
    position = newPosition;
    return this;
  }

  @Override
  public long size() throws IOException {
    checkOpen();
    return size;
  }

  @Override
  public SeekableByteChannel truncate(long newSize) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    if (open) {
      open = false;
      onClose.close();
    }
  }

  private void checkOpen() throws ClosedChannelException {
    if (!open) {
      throw new ClosedChannelException();
    }
  }
}
