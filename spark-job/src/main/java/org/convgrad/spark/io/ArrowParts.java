package org.convgrad.spark.io;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Shape;

/** The job's parts: Arrow IPC files of (id, input gradient) rows, through arrow-io. */
public final class ArrowParts {
  private ArrowParts() {}

  /** A writer of a part at {@code path}; {@code batchShape} is the op's input shape of one sample, [1, ...]. */
  public static PartWriter create(Path path, Configuration conf, DType dtype, Shape batchShape) throws IOException {
    throw new UnsupportedOperationException("Arrow parts need arrow-io's IPC writer");
  }

  /** What receives a part's batches. */
  @FunctionalInterface
  public interface BatchConsumer {
    void accept(long[] ids, org.convgrad.engine.tensor.Tensor batch) throws IOException;
  }

  /** Reads the part at {@code path} batch by batch. */
  public static void read(Path path, Configuration conf, BatchConsumer consumer) throws IOException {
    throw new UnsupportedOperationException("Arrow parts need arrow-io's IPC reader");
  }

  /** A tensor (a filter) stored in an .arrow file. */
  public static org.convgrad.engine.tensor.Tensor readTensor(Path path, Configuration conf) throws IOException {
    throw new UnsupportedOperationException("Arrow tensors need arrow-io's IPC reader");
  }

  /** Writes {@code tensor} (rows = samples, ids 0..n-1) as one .arrow file, as the single-process CLI does. */
  public static void writeTensor(org.convgrad.engine.tensor.Tensor tensor, java.nio.channels.WritableByteChannel out)
      throws IOException {
    throw new UnsupportedOperationException("Arrow tensors need arrow-io's IPC writer");
  }
}
