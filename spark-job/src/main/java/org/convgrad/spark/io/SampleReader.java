package org.convgrad.spark.io;

import java.io.IOException;
import org.convgrad.engine.tensor.Tensor;

/** Reads consecutive rows of one dataset file, straight from storage. */
public interface SampleReader extends AutoCloseable {
  /** Rows {@code [firstRow, firstRow + rows)} of the file. */
  SampleBatch read(long firstRow, int rows) throws IOException;

  /**
   * The box {@code [start, start + count)} of the file's array (the out_backprop rows of a band of
   * one sample's result), read without the rest.
   */
  default Tensor readBox(long[] start, long[] count) throws IOException {
    throw new DatasetException("bands of result rows read their out_backprop rows from a .npy dataset");
  }

  @Override
  void close() throws IOException;
}
