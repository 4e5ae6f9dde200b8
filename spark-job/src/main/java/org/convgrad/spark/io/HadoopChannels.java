package org.convgrad.spark.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Channels over Hadoop file systems ({@code file:}, {@code hdfs:}, {@code s3a:} ...), so that the
 * readers of arrow-io, which take a {@link SeekableByteChannel}, read straight from storage.
 */
public final class HadoopChannels {
  private HadoopChannels() {}

  /** A read-only, seekable channel over {@code path}. */
  public static SeekableByteChannel openRead(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    long size = fs.getFileStatus(path).getLen();
    return new ReadChannel(fs.open(path), size);
  }

  private static final class ReadChannel implements SeekableByteChannel {
    private final FSDataInputStream in;
    private final long size;
    private final byte[] scratch = new byte[1 << 16];
    private long position;
    private boolean open = true;

    ReadChannel(FSDataInputStream in, long size) {
      this.in = in;
      this.size = size;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      ensureOpen();
      if (position >= size) {
        return dst.hasRemaining() ? -1 : 0;
      }
      int total = 0;
      while (dst.hasRemaining() && position < size) {
        int want = (int) Math.min(Math.min(dst.remaining(), scratch.length), size - position);
        int n = in.read(position, scratch, 0, want);
        if (n < 0) {
          break;
        }
        dst.put(scratch, 0, n);
        position += n;
        total += n;
      }
      return total == 0 && position >= size ? -1 : total;
    }

    @Override
    public int write(ByteBuffer src) {
      throw new NonWritableChannelException();
    }

    @Override
    public long position() throws IOException {
      ensureOpen();
      return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
      ensureOpen();
      if (newPosition < 0) {
        throw new IllegalArgumentException("negative position " + newPosition);
      }
      position = newPosition;
      return this;
    }

    @Override
    public long size() throws IOException {
      ensureOpen();
      return size;
    }

    @Override
    public SeekableByteChannel truncate(long s) {
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
        in.close();
      }
    }

    private void ensureOpen() throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
    }
  }

  /** An output stream that counts and checksums (CRC-32C) what passes through it. */
  public static final class CheckedOutput extends OutputStream {
    private final OutputStream out;
    private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    private long bytes;

    public CheckedOutput(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      crc.update(b);
      bytes++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      crc.update(b, off, len);
      bytes += len;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }

    public long bytes() {
      return bytes;
    }

    /** The CRC-32C of the bytes written, as 8 hex digits. */
    public String crc32c() {
      return String.format("%08x", crc.getValue());
    }
  }
}
