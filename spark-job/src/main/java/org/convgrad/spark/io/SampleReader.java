package org.convgrad.spark.io;

import java.io.IOException;

/** Reads consecutive rows of one dataset file, straight from storage. */
public interface SampleReader extends AutoCloseable {
  /** Rows {@code [firstRow, firstRow + rows)} of the file. */
  SampleBatch read(long firstRow, int rows) throws IOException;

  @Override
  void close() throws IOException;
}
