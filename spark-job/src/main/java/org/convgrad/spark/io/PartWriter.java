package org.convgrad.spark.io;

import java.io.IOException;
import org.convgrad.engine.tensor.Tensor;

/** Writes a task's input gradients, batch after batch, with their sample ids. */
public interface PartWriter extends AutoCloseable {
  /** Appends {@code gradients} ({@code [ids.length, ...]}) with their ids. */
  void write(long[] ids, Tensor gradients) throws IOException;

  /** Bytes written so far (all of them after {@link #close()}). */
  long bytes();

  /** The CRC-32C of the bytes written, as 8 hex digits; valid after {@link #close()}. */
  String crc32c();

  @Override
  void close() throws IOException;
}
