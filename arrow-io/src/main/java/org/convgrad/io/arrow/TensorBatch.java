package org.convgrad.io.arrow;

import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * Consecutive samples read from a tensor dataset or file.
 *
 * @param firstSample the position of the first sample in the dataset (file name order, then row
 *     order), counted from 0
 * @param ids the samples' {@code id} column values, or null when the data has no id column
 * @param samples the samples as one batch tensor {@code [n, ...sample shape]}
 */
public record TensorBatch(long firstSample, long @Nullable [] ids, Tensor samples) {
  /** The number of samples. */
  public int size() {
    return Math.toIntExact(samples.shape().get(0));
  }
}
