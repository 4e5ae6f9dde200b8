package org.convgrad.engine.kernel.gpu;

import org.jspecify.annotations.Nullable;

/**
 * How the GPU kernel sizes its work. The defaults are for real devices; tests shrink them to make
 * an emulated device chunk small batches, or force a strategy to test every kernel on one problem.
 *
 * @param forced the strategy to run whatever the planner would choose (tests), or null
 * @param maxChunkBatch the most samples per chunk
 * @param reserveBytes device memory left free for others (the context, other libraries)
 * @param maxChunkBytes the most bytes of out_backprop plus result per chunk: bounds the pinned host
 *     buffers (two chunks' worth) while keeping chunks large enough to overlap copies with compute
 * @param directBlockCap the most blocks of the direct kernel's grid-stride loop, 0 for 32 per
 *     multiprocessor
 * @param yieldsWhenFull whether the kernel declines a problem whose filter and one sample the
 *     device's free memory (less the reserve) cannot hold now: in an AUTO engine, which then
 *     computes it on the CPU; a GPU engine's call instead fails saying how much memory it lacked
 */
record GpuOptions(
    @Nullable Strategy forced, long maxChunkBatch, long reserveBytes, long maxChunkBytes, long directBlockCap,
    boolean yieldsWhenFull) {
  static final long MIB = 1L << 20;

  static GpuOptions defaults() {
    return new GpuOptions(null, Long.MAX_VALUE, 256 * MIB, 256 * MIB, 0, false);
  }

  GpuOptions withForced(@Nullable Strategy s) {
    return new GpuOptions(s, maxChunkBatch, reserveBytes, maxChunkBytes, directBlockCap, yieldsWhenFull);
  }

  GpuOptions withMaxChunkBatch(long n) {
    return new GpuOptions(forced, n, reserveBytes, maxChunkBytes, directBlockCap, yieldsWhenFull);
  }

  GpuOptions withReserveBytes(long bytes) {
    return new GpuOptions(forced, maxChunkBatch, bytes, maxChunkBytes, directBlockCap, yieldsWhenFull);
  }

  GpuOptions withMaxChunkBytes(long bytes) {
    return new GpuOptions(forced, maxChunkBatch, reserveBytes, bytes, directBlockCap, yieldsWhenFull);
  }

  GpuOptions withDirectBlockCap(long blocks) {
    return new GpuOptions(forced, maxChunkBatch, reserveBytes, maxChunkBytes, blocks, yieldsWhenFull);
  }

  GpuOptions yieldingWhenFull() {
    return new GpuOptions(forced, maxChunkBatch, reserveBytes, maxChunkBytes, directBlockCap, true);
  }
}
