package org.convgrad.spark.io;

import org.convgrad.engine.tensor.Tensor;

/** Consecutive samples of a dataset: their ids and their out_backprop, {@code [rows, sample...]}. */
public final class SampleBatch {
  private final long[] ids;
  private final Tensor samples;

  public SampleBatch(long[] ids, Tensor samples) {
    if (samples.shape().rank() == 0 || samples.shape().get(0) != ids.length) {
      throw new IllegalArgumentException(ids.length + " ids for samples of shape " + samples.shape());
    }
    this.ids = ids;
    this.samples = samples;
  }

  public long[] ids() {
    return ids;
  }

  public Tensor samples() {
    return samples;
  }

  public int rows() {
    return ids.length;
  }
}
