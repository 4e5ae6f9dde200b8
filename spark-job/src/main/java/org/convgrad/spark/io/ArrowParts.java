package org.convgrad.spark.io;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.arrow.FixedShapeTensorType;
import org.convgrad.io.arrow.TensorBatch;
import org.convgrad.io.arrow.TensorIpcReader;
import org.convgrad.io.arrow.TensorIpcWriter;

/**
 * The job's Arrow IPC: parts (an int64 {@code id} column and an {@code arrow.fixed_shape_tensor}
 * column of input gradients, one row per sample), the assembled {@code .arrow}, and filters
 * stored as Arrow, all through arrow-io over Hadoop file systems. One Arrow root allocator per
 * JVM; each reader and writer takes a child of it and closes it, so a leak shows as an error.
 */
public final class ArrowParts {
  private static BufferAllocator root;

  private ArrowParts() {}

  static synchronized BufferAllocator allocator(String name) {
    if (root == null) {
      root = new RootAllocator();
    }
    return root.newChildAllocator(name, 0, Long.MAX_VALUE);
  }

  /** The fixed_shape_tensor type of one sample of {@code batchShape} ([n, ...]) in {@code format}. */
  public static FixedShapeTensorType sampleType(Shape batchShape, DataFormat format) {
    if (batchShape.rank() == 4) {
      long h = batchShape.get(format.heightDim());
      long w = batchShape.get(format.widthDim());
      long c = batchShape.get(format.channelDim());
      return FixedShapeTensorType.sample(format, h, w, c);
    }
    long[] dims = batchShape.toArray();
    return FixedShapeTensorType.of(java.util.Arrays.copyOfRange(dims, 1, dims.length));
  }

  /**
   * A writer of a part at {@code path} (any Hadoop file system; a local file straight through a
   * {@link java.nio.channels.FileChannel}), for samples of {@code batchShape}. The parent
   * directory must exist; nothing is fsynced (the committer's rename is the commit).
   */
  public static PartWriter create(Path path, Configuration conf, DType dtype, Shape batchShape, DataFormat format)
      throws IOException {
    HadoopChannels.CheckedChannel out = HadoopChannels.create(path, conf);
    BufferAllocator alloc = allocator("part " + path.getName());
    TensorIpcWriter writer;
    try {
      writer = TensorIpcWriter.builder(sampleType(batchShape, format), dtype).openFile(out, path.toString(), alloc);
    } catch (RuntimeException e) {
      out.close();
      alloc.close();
      throw e;
    }
    return new PartWriter() {
      private boolean closed;

      @Override
      public void write(long[] ids, Tensor gradients) throws IOException {
        writer.write(ids, gradients);
      }

      @Override
      public long bytes() {
        return out.bytes();
      }

      @Override
      public String crc32c() {
        return out.crc32c();
      }

      @Override
      public void close() throws IOException {
        if (!closed) {
          closed = true;
          try {
            writer.close();
          } finally {
            alloc.close();
          }
        }
      }
    };
  }

  /** What receives a part's batches. */
  @FunctionalInterface
  public interface BatchConsumer {
    void accept(long[] ids, Tensor batch) throws IOException;
  }

  /** Reads the part (or any tensor IPC file) at {@code path} one record batch at a time. */
  public static void read(Path path, Configuration conf, BatchConsumer consumer) throws IOException {
    try (BufferAllocator alloc = allocator("read " + path.getName());
        TensorIpcReader r = TensorIpcReader.openFile(HadoopChannels.openRead(path, conf), path.toString(), alloc)) {
      long row = 0;
      while (r.loadNextBatch()) {
        int n = r.batchRowCount();
        long[] ids = r.batchIds();
        if (ids == null) {
          ids = new long[n];
          for (int i = 0; i < n; i++) {
            ids[i] = row + i;
          }
        }
        consumer.accept(ids, r.batchTensor());
        row += n;
      }
    }
  }

  /**
   * A filter stored in an .arrow file: one row whose {@code fixed_shape_tensor} value is the whole
   * {@code [fh, fw, in_c, out_c]} filter (dimension names {@code H,W,I,O} or none).
   */
  public static Tensor readFilter(Path path, Configuration conf) throws IOException {
    try (BufferAllocator alloc = allocator("read " + path.getName());
        TensorIpcReader r = TensorIpcReader.openFile(HadoopChannels.openRead(path, conf), path.toString(), alloc)) {
      r.column().requireHonouredMetadata(path.toString(), true);
      TensorBatch all = r.readAll();
      if (all.size() != 1) {
        throw new DatasetException("filter " + path + " has " + all.size()
            + " rows; an Arrow filter file holds the whole [fh, fw, in_c, out_c] filter in one row");
      }
      Tensor t = all.samples();
      Shape sample = r.column().sampleShape();
      switch (t.dtype()) {
        case FLOAT32:
          return Tensor.ofFloat32(sample, t.float32Data());
        case FLOAT64:
          return Tensor.ofFloat64(sample, t.float64Data());
        default:
          return Tensor.ofBits16(t.dtype(), sample, t.bits16Data());
      }
    }
  }

  /**
   * A streaming writer of one whole .arrow result: rows are regrouped into record batches of the
   * writer's own size, so the file is byte for byte what writing the whole tensor at once gives.
   */
  public static final class WholeWriter implements AutoCloseable {
    private final BufferAllocator alloc;
    private final TensorIpcWriter writer;
    private final Tensor buffer;
    private final long[] ids;
    private final int rowElements;
    private int rows;

    public WholeWriter(WritableByteChannel out, String target, DType dtype, Shape wholeShape, DataFormat format) {
      alloc = allocator("assemble");
      try {
        writer = TensorIpcWriter.builder(sampleType(wholeShape, format), dtype).openFile(out, target, alloc);
      } catch (RuntimeException e) {
        alloc.close();
        throw e;
      }
      long[] dims = wholeShape.toArray();
      int chunk = (int) Math.max(1, Math.min(writer.maxBatchRows(), dims[0]));
      dims[0] = chunk;
      buffer = Tensor.zeros(dtype, Shape.of(dims));
      ids = new long[chunk];
      rowElements = buffer.size() / chunk;
    }

    public void write(long[] batchIds, Tensor batch) throws IOException {
      int n = batchIds.length;
      int done = 0;
      while (done < n) {
        int take = Math.min(n - done, ids.length - rows);
        System.arraycopy(batchIds, done, ids, rows, take);
        System.arraycopy(data(batch), done * rowElements, data(buffer), rows * rowElements, take * rowElements);
        rows += take;
        done += take;
        if (rows == ids.length) {
          flush();
        }
      }
    }

    private void flush() throws IOException {
      if (rows == 0) {
        return;
      }
      if (rows == ids.length) {
        writer.write(ids, buffer);
      } else {
        long[] dims = buffer.shape().toArray();
        dims[0] = rows;
        Tensor part = Tensor.zeros(buffer.dtype(), Shape.of(dims));
        System.arraycopy(data(buffer), 0, data(part), 0, part.size());
        writer.write(java.util.Arrays.copyOf(ids, rows), part);
      }
      rows = 0;
    }

    private static Object data(Tensor t) {
      return t.dtype() == DType.FLOAT32 ? t.float32Data() : t.dtype() == DType.FLOAT64 ? t.float64Data()
          : t.bits16Data();
    }

    @Override
    public void close() throws IOException {
      try {
        flush();
        writer.close();
      } finally {
        alloc.close();
      }
    }
  }

  /** Writes {@code samples} ([n, ...]) as one local .arrow file with ids from {@code firstId} (demo data). */
  public static void writeSamples(java.nio.file.Path file, long firstId, Tensor samples, DataFormat format)
      throws IOException {
    try (BufferAllocator alloc = allocator("samples");
        TensorIpcWriter w = TensorIpcWriter.builder(sampleType(samples.shape(), format), samples.dtype())
            .openFile(file, alloc)) {
      w.write(firstId, samples);
    }
  }
}
