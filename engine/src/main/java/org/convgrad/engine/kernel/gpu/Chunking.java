package org.convgrad.engine.kernel.gpu;

/**
 * How a batch is split: {@code batch} samples per chunk, and {@code slots} sets of device buffers
 * (two: a chunk's copies overlap the previous chunk's kernels; one where memory holds only one).
 */
record Chunking(long batch, int slots) {
  /**
   * @param n samples in the problem (at least 1)
   * @param sampleBytes out_backprop plus result bytes of one sample
   * @param freeBytes free device memory now (the packed filter already in it)
   */
  static Chunking of(long n, long sampleBytes, long freeBytes, GpuOptions o, String device) {
    long per = Math.max(sampleBytes, 1);
    long usable = freeBytes - o.reserveBytes();
    if (usable < per) {
      throw new GpuException("one sample needs " + per + " bytes of device memory (out_backprop and result), and "
          + device + " has " + freeBytes + " bytes free, " + o.reserveBytes() + " of them kept in reserve");
    }
    long byBytes = Math.max(1, o.maxChunkBytes() / per);
    long cap = Math.min(Math.min(n, byBytes), Math.max(1, o.maxChunkBatch()));
    long twoSlots = usable / (2 * per);
    if (twoSlots >= 1) {
      long batch = Math.min(cap, twoSlots);
      return new Chunking(batch, LaunchPlanner.ceilDiv(n, batch) > 1 ? 2 : 1);
    }
    return new Chunking(1, 1);
  }

  long chunks(long n) {
    return LaunchPlanner.ceilDiv(n, batch);
  }
}
