package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Bitwise determinism of the GPU path: the same bits for every batch chunking (chunks of 1, 2, 3
 * samples and the whole batch; chunks forced by a small device memory, with one and two buffer
 * slots), for every grid size of the direct kernel, and under every emulated thread order
 * (forward, reverse, shuffled, one or three workers).
 */
class GpuChunkingDeterminismTest {
  private static final WorkPool POOL = WorkPool.singleThreaded();

  /** One problem per strategy and a few dtypes and layouts, with a batch of 5. */
  static List<GpuCase> problems() {
    return List.of(
        GpuCase.of(5, 9, 8, 3, 7, 16, 2, Padding.SAME), // direct
        GpuCase.of(5, 11, 9, 20, 3, 24, 2, Padding.SAME), // implicit GEMM, 4 phases
        GpuCase.of(5, 7, 9, 16, 3, 17, 1, Padding.SAME).with(DataFormat.NCHW).with(DType.FLOAT64),
        GpuCase.of(5, 8, 7, 32, 3, 16, 2, Padding.SAME).with(DType.HALF), // tensor cores
        GpuCase.of(5, 6, 6, 32, 3, 32, 1, Padding.SAME).grouped(2).with(DataFormat.NCHW).with(DType.BFLOAT16));
  }

  private static Tensor run(GpuBackpropInputKernel k, Conv2dBackpropInput op, PackedFilter w, Tensor dy) {
    Tensor out = Tensor.zeros(op.dtype(), op.inputShape());
    k.compute(op, w, dy, out, POOL);
    return out;
  }

  @Test
  void everyChunkingGivesTheSameBitsAsOneLaunch() {
    for (GpuCase c : problems()) {
      Conv2dBackpropInput op = c.op();
      Tensor[] wdy = EmulatedGpu.operands(op, 5);
      long[] whole;
      try (EmulatedGpu gpu = EmulatedGpu.start()) {
        GpuBackpropInputKernel k = gpu.kernel(null);
        assertEquals(1, k.chunking(op).chunks(op.geometry().batch()), "the default chunking is one chunk");
        whole = GpuAsserts.bits(run(k, op, k.pack(op, wdy[0]), wdy[1]));
        GpuAsserts.assertMatchesReference(op, wdy[0], wdy[1], run(k, op, k.pack(op, wdy[0]), wdy[1]), c.toString());
      }
      for (long chunk : new long[] {1, 2, 3}) {
        GpuOptions o = GpuOptions.defaults().withReserveBytes(0).withMaxChunkBatch(chunk);
        try (EmulatedGpu gpu = new EmulatedGpu(1L << 30, o)) {
          GpuBackpropInputKernel k = gpu.kernel(null);
          Chunking ch = k.chunking(op);
          assertEquals(chunk, ch.batch());
          assertEquals(2, ch.slots(), "two buffer slots: copies overlap compute");
          assertArrayEquals(whole, GpuAsserts.bits(run(k, op, k.pack(op, wdy[0]), wdy[1])), c + " in chunks of " + chunk);
        }
      }
      // A device whose free memory holds the filter and 2.5 samples: 1 sample per chunk, 2 slots;
      // then 1.5 samples: one slot.
      long filter = PackedLayout.bytes(op.geometry(), op.dtype());
      long sample = new ChunkedRun(null, null, op.geometry(), op.dtype(), Strategy.DIRECT, 0, 1).sampleBytes();
      for (double samples : new double[] {2.5, 1.5}) {
        long memory = roundUp(filter) + (long) (samples * sample);
        try (EmulatedGpu gpu = new EmulatedGpu(memory, GpuOptions.defaults().withReserveBytes(0))) {
          GpuBackpropInputKernel k = gpu.kernel(null);
          PackedFilter p = k.pack(op, wdy[0]);
          Chunking ch = k.chunking(op);
          assertEquals(samples > 2 ? 2 : 1, ch.slots(), c + " with memory for " + samples + " samples");
          assertTrue(ch.batch() <= 2, ch.toString());
          assertArrayEquals(whole, GpuAsserts.bits(run(k, op, p, wdy[1])), c + " in " + ch);
        }
      }
    }
  }

  private static long roundUp(long bytes) {
    return (Math.max(bytes, 1) + 255) / 256 * 256;
  }

  @Test
  void tooLittleMemoryForOneSampleIsAClearError() {
    Conv2dBackpropInput op = GpuCase.of(2, 16, 16, 16, 3, 16, 1, Padding.SAME).op();
    Tensor[] wdy = EmulatedGpu.operands(op, 1);
    try (EmulatedGpu gpu = new EmulatedGpu(32 * 1024, GpuOptions.defaults().withReserveBytes(0))) {
      GpuBackpropInputKernel k = gpu.kernel(null);
      PackedFilter p = k.pack(op, wdy[0]);
      GpuException e = assertThrows(GpuException.class, () -> run(k, op, p, wdy[1]));
      assertTrue(e.getMessage().contains("one sample needs 32768 bytes of device memory"), e.getMessage());
    }
  }

  @Test
  void theSameBitsUnderEveryThreadOrderAndGridSize() {
    for (GpuCase c : problems()) {
      Conv2dBackpropInput op = c.op();
      Tensor[] wdy = EmulatedGpu.operands(op, 8);
      List<long[]> results = new ArrayList<>();
      List<String> runs = new ArrayList<>();
      try (EmulatedGpu gpu = EmulatedGpu.start()) {
        for (EmulatedDevice.Order order : EmulatedDevice.Order.values()) {
          for (int workers : new int[] {1, 3}) {
            gpu.device.schedule(order, 17 + workers, workers);
            for (int repeat = 0; repeat < (order == EmulatedDevice.Order.SHUFFLE ? 2 : 1); repeat++) {
              gpu.device.schedule(order, 17 + workers + 1000L * repeat, workers);
              GpuBackpropInputKernel k = gpu.kernel(null);
              results.add(GpuAsserts.bits(run(k, op, k.pack(op, wdy[0]), wdy[1])));
              runs.add(order + " workers " + workers + " seed " + repeat);
            }
          }
        }
      }
      // The direct kernel's grid-stride loop with 1, 3 and many blocks.
      for (long cap : new long[] {1, 3, 1000}) {
        GpuOptions o = GpuOptions.defaults().withReserveBytes(0).withDirectBlockCap(cap).withForced(Strategy.DIRECT);
        try (EmulatedGpu gpu = new EmulatedGpu(1L << 30, o)) {
          GpuBackpropInputKernel k = gpu.kernel(null);
          long[] direct = GpuAsserts.bits(run(k, op, k.pack(op, wdy[0]), wdy[1]));
          if (cap == 1) {
            results.add(direct);
            runs.add("direct kernel, grid of 1 block");
          } else {
            assertArrayEquals(results.get(results.size() - 1), direct, c + ": direct kernel, grid of " + cap + " blocks");
          }
        }
      }
      for (int i = 1; i < results.size() - 1; i++) {
        assertArrayEquals(results.get(0), results.get(i), c + ": " + runs.get(i) + " differs from " + runs.get(0));
      }
    }
  }
}
