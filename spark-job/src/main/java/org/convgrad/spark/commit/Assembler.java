package org.convgrad.spark.commit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;
import org.convgrad.io.npy.NpyRangeWriter;
import org.convgrad.spark.io.ArrowParts;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.io.HadoopChannels;

/**
 * Writes a committed output's parts, in manifest order, as one file: {@code .npy} (streamed:
 * NumPy's header, then each part's data, never the whole array in memory) or {@code .arrow}
 * (streamed too, regrouped into the record batches that writing the whole tensor at once gives). The file appears
 * under its name only when complete: it is written under a temporary name beside it and renamed.
 */
public final class Assembler {
  private Assembler() {}

  public static void assemble(Path outputDir, Manifest manifest, String target, Configuration conf, String jobId)
      throws IOException {
    Path dst = new Path(target);
    FileSystem fs = HadoopChannels.fileSystem(dst, conf); // file: through the raw local file system: no .crc files
    dst = fs.makeQualified(dst);
    Path tmp = new Path(dst.getParent(), "." + dst.getName() + ".convgrad-" + jobId + ".tmp");
    // A driver stopped meanwhile (Ctrl-C, SIGTERM) removes the partial file on its way out.
    java.nio.file.Path localTmp = HadoopChannels.localPath(tmp, conf);
    Thread removal = new Thread(() -> {
      try {
        java.nio.file.Files.deleteIfExists(localTmp);
      } catch (IOException e) {
        // the JVM is stopping: nothing more can be done for this file
      }
    }, "convgrad-assembly-cleanup");
    if (localTmp != null) {
      Runtime.getRuntime().addShutdownHook(removal);
    }
    boolean done = false;
    try {
      String kind = target.toLowerCase(java.util.Locale.ROOT);
      if (kind.endsWith(".npy")) {
        writeNpy(outputDir, manifest, fs, tmp, conf);
      } else if (kind.endsWith(".arrow")) {
        writeArrow(outputDir, manifest, fs, tmp, conf);
      } else {
        throw new DatasetException("--assemble " + target + ": expected a .npy or .arrow file name");
      }
      replace(fs, tmp, dst, conf);
      done = true;
    } finally {
      if (!done) {
        fs.delete(tmp, false);
      }
      if (localTmp != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(removal);
        } catch (IllegalStateException stopping) {
          // the hook runs, or has run
        }
      }
    }
  }

  /**
   * One rename that replaces an older file: never a moment with neither the old file nor the new.
   * A local file is renamed by the operating system (POSIX rename replaces atomically); other file
   * systems through FileContext's overwriting rename.
   */
  private static void replace(FileSystem fs, Path tmp, Path dst, Configuration conf) throws IOException {
    java.nio.file.Path local = HadoopChannels.localPath(dst, conf);
    if (local != null) {
      // A replaced file keeps its permissions (one the user made private stays private); a new one
      // gets what the user's umask gives, as bin/convgrad's outputs do.
      org.convgrad.io.AtomicFile.givePermissions(HadoopChannels.localPath(tmp, conf), local);
      java.nio.file.Files.move(HadoopChannels.localPath(tmp, conf), local,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    FileContext.getFileContext(dst.toUri(), conf).rename(tmp, dst, Options.Rename.OVERWRITE);
  }

  private static DType dtype(Manifest m) {
    for (DType d : DType.values()) {
      if (d.tfName().equals(m.dtype)) {
        return d;
      }
    }
    throw new IllegalStateException("manifest dtype " + m.dtype);
  }

  private static void writeNpy(Path outputDir, Manifest m, FileSystem fs, Path tmp, Configuration conf)
      throws IOException {
    DType dtype = dtype(m);
    if (m.bandRows != null && DataFormat.valueOf(m.dataFormat) == DataFormat.NCHW) {
      writeNchwBands(outputDir, m, tmp, conf);
      return;
    }
    // Whole samples, and NHWC bands (sample after sample, row after row), lie in the file's order.
    try (OutputStream out = fs.create(tmp, true);
        WritableByteChannel ch = Channels.newChannel(out)) {
      ch.write(ByteBuffer.wrap(Npy.headerBytes(dtype, Shape.of(m.shape))));
      for (Manifest.Part p : m.parts) {
        ArrowParts.read(new Path(outputDir, p.file), conf, (ids, batch) -> writeData(batch, ch));
      }
    }
  }

  /**
   * NCHW bands: a band's rows are one run per channel, so each part is written where its runs go,
   * with positioned writes, on a local file system only.
   */
  private static void writeNchwBands(Path outputDir, Manifest m, Path tmp, Configuration conf) throws IOException {
    java.nio.file.Path local = HadoopChannels.localPath(tmp, conf);
    if (local == null) {
      throw new DatasetException("--assemble " + tmp.getParent() + ": NCHW bands are assembled on a local file"
          + " system only (positioned writes); assemble NHWC, or to a file: path");
    }
    try (NpyRangeWriter out = NpyRangeWriter.begin(local, dtype(m), Shape.of(m.shape))) {
      for (Manifest.Part p : m.parts) {
        long sample = p.firstSample;
        long row = p.firstRow == null ? 0 : p.firstRow;
        ArrowParts.read(new Path(outputDir, p.file), conf,
            (ids, batch) -> out.write(DataFormat.NCHW.order(sample, row, 0, 0), batch));
      }
      out.commit();
    }
  }

  /** The tensor's elements, little-endian, as .npy stores them. */
  static void writeData(Tensor t, WritableByteChannel ch) throws IOException {
    int n = t.size();
    int chunk = 1 << 18;
    ByteBuffer buf = ByteBuffer.allocate(chunk * t.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int off = 0; off < n; off += chunk) {
      int len = Math.min(chunk, n - off);
      buf.clear();
      switch (t.dtype()) {
        case FLOAT32:
          buf.asFloatBuffer().put(t.float32Data(), off, len);
          break;
        case FLOAT64:
          buf.asDoubleBuffer().put(t.float64Data(), off, len);
          break;
        default:
          buf.asShortBuffer().put(t.bits16Data(), off, len);
      }
      buf.limit(len * t.dtype().byteSize());
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }

  private static void writeArrow(Path outputDir, Manifest m, FileSystem fs, Path tmp, Configuration conf)
      throws IOException {
    DType dtype = dtype(m);
    try (OutputStream out = fs.create(tmp, true);
        ArrowParts.WholeWriter w = new ArrowParts.WholeWriter(Channels.newChannel(out), tmp.toString(), dtype,
            Shape.of(m.shape), DataFormat.valueOf(m.dataFormat))) {
      for (Manifest.Part p : m.parts) {
        ArrowParts.read(new Path(outputDir, p.file), conf, w::write);
      }
    }
  }
}
