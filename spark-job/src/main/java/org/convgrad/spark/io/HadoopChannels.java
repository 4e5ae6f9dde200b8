package org.convgrad.spark.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.convgrad.io.PositionedChannel;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Channels over Hadoop file systems ({@code file:}, {@code hdfs:}, {@code s3a:} ...), so that the
 * readers of arrow-io, which take a {@link SeekableByteChannel}, read straight from storage, and
 * its writers write straight to it.
 *
 * <p>{@code file:} paths skip Hadoop's checksummed {@link LocalFileSystem}: the job reads and
 * writes them through {@link RawLocalFileSystem} ({@link #fileSystem}), so no {@code .NAME.crc}
 * files are written beside parts and no CRC-32 is computed per 512 bytes, and its channels are
 * plain {@link FileChannel}s on the local file (one kernel copy per read or write, straight
 * to or from Arrow's off-heap buffers). The parts keep their own end-to-end CRC-32C (in the
 * manifest), which the committer and readers check instead.
 */
public final class HadoopChannels {
  /** Bytes per write to a non-local Hadoop stream. */
  static final int WRITE_CHUNK = 1 << 20;

  private HadoopChannels() {}

  /**
   * The file system of {@code path}: for {@code file:} paths the raw local file system (no
   * {@code .crc} files, no checksumming), otherwise {@code path.getFileSystem(conf)}. The result
   * is Hadoop's cached instance (or part of it): do not close it.
   */
  public static FileSystem fileSystem(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    if (fs instanceof LocalFileSystem) {
      return ((LocalFileSystem) fs).getRawFileSystem();
    }
    return fs;
  }

  /** The local file behind {@code path}, when its file system is the (raw) local one, else null. */
  static java.io.@org.jspecify.annotations.Nullable File localFile(FileSystem fs, Path path) {
    if (fs instanceof RawLocalFileSystem) {
      return ((RawLocalFileSystem) fs).pathToFile(fs.makeQualified(path));
    }
    return null;
  }

  /**
   * The local file behind a Hadoop path on the local file system ({@code file:} or a scheme-less
   * path there), or null for other file systems: what the driver checks output paths on.
   */
  public static java.nio.file.@org.jspecify.annotations.Nullable Path localPath(Path path, Configuration conf)
      throws IOException {
    java.io.File f = localFile(fileSystem(path, conf), path);
    return f == null ? null : f.toPath();
  }

  /** A read-only, seekable channel over {@code path} (a {@link FileChannel} for a local file). */
  public static SeekableByteChannel openRead(Path path, Configuration conf) throws IOException {
    FileSystem fs = fileSystem(path, conf);
    java.io.File local = localFile(fs, path);
    if (local != null) {
      try {
        return org.convgrad.io.InputFiles.open(local.toPath()); // a FIFO or a directory is refused, not read as empty
      } catch (java.nio.file.NoSuchFileException e) {
        throw new java.io.FileNotFoundException("File " + path + " does not exist");
      }
    }
    long size = fs.getFileStatus(path).getLen();
    FSDataInputStream in = fs.open(path);
    return PositionedChannel.of(in::read, size, in);
  }

  /**
   * A new file at {@code path} for writing, whose parent directory must exist (as {@link
   * FileSystem#createNonRecursive}): a {@link FileChannel} for a local file, else a channel
   * writing the Hadoop stream in chunks of {@value #WRITE_CHUNK} bytes. Counts and checksums
   * (CRC-32C) what is written. No fsync: the commit is the rename of the finished file.
   */
  public static CheckedChannel create(Path path, Configuration conf) throws IOException {
    FileSystem fs = fileSystem(path, conf);
    java.io.File local = localFile(fs, path);
    if (local != null) {
      java.io.File parent = local.getParentFile();
      if (parent == null || !parent.isDirectory()) {
        throw new java.io.FileNotFoundException("cannot create " + path + ": parent directory " + parent
            + " does not exist");
      }
      return new CheckedChannel(FileChannel.open(local.toPath(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING), null);
    }
    // Not recursive: an attempt that outlives its job (whose _temporary is gone) fails instead of
    // recreating the directory.
    OutputStream out = fs.createNonRecursive(path, true, 1 << 16, fs.getDefaultReplication(path),
        fs.getDefaultBlockSize(path), null);
    return new CheckedChannel(null, out);
  }

  /**
   * A channel that writes to a local {@link FileChannel} or a Hadoop stream, counting and
   * checksumming (CRC-32C) the bytes. Direct buffers (Arrow's) go to a file channel without a
   * copy; to a stream they are copied in chunks of {@value #WRITE_CHUNK} bytes.
   */
  public static final class CheckedChannel implements WritableByteChannel {
    private final @org.jspecify.annotations.Nullable FileChannel file;
    private final @org.jspecify.annotations.Nullable OutputStream stream;
    private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    private byte @org.jspecify.annotations.Nullable [] chunk;
    private long bytes;
    private boolean open = true;

    CheckedChannel(@org.jspecify.annotations.Nullable FileChannel file,
        @org.jspecify.annotations.Nullable OutputStream stream) {
      this.file = file;
      this.stream = stream;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      int n = src.remaining();
      crc.update(src.duplicate());
      if (file != null) {
        while (src.hasRemaining()) {
          file.write(src);
        }
      } else if (src.hasArray()) {
        stream.write(src.array(), src.arrayOffset() + src.position(), n);
        src.position(src.limit());
      } else {
        if (chunk == null) {
          chunk = new byte[WRITE_CHUNK];
        }
        while (src.hasRemaining()) {
          int k = Math.min(chunk.length, src.remaining());
          src.get(chunk, 0, k);
          stream.write(chunk, 0, k);
        }
      }
      bytes += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() throws IOException {
      if (open) {
        open = false;
        if (file != null) {
          file.close();
        } else {
          stream.close();
        }
      }
    }

    /** Bytes written so far. */
    public long bytes() {
      return bytes;
    }

    /** The CRC-32C of the bytes written, as 8 hex digits. */
    public String crc32c() {
      return String.format("%08x", crc.getValue());
    }
  }
}
