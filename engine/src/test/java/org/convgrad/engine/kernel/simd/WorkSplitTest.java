package org.convgrad.engine.kernel.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Shape;
import org.junit.jupiter.api.Test;

/**
 * How the SIMD kernel shares a call out among threads: on 1 to 16 threads the benchmark problems
 * S1-S6 are cut into tasks that keep at least {@link WorkPool#MIN_BALANCE} of the threads' time busy
 * (for tasks of equal cost), and on one thread into the largest tasks. That the results do not
 * depend on the cut: SimdKernelTest's bitwise comparison across thread counts.
 */
class WorkSplitTest {
  /** name, n, h, w, in channels, filter side, out channels, stride, padding (benchmarks' Shapes). */
  private record Problem(String name, int n, int h, int w, int ic, int f, int oc, int s, Padding padding) {
    Conv2dBackpropInput op() {
      int oh = padding == Padding.SAME ? (h + s - 1) / s : (h - f + s) / s;
      int ow = padding == Padding.SAME ? (w + s - 1) / s : (w - f + s) / s;
      return Conv2dBackpropInput.of(new long[] {n, h, w, ic}, Shape.of(f, f, ic, oc), DType.FLOAT32,
          Shape.of(n, oh, ow, oc), DType.FLOAT32, ConvParams.of(b -> b.strides(s).padding(padding)));
    }
  }

  private static final List<Problem> BENCHMARKS = List.of(
      new Problem("S1", 8, 56, 56, 64, 3, 64, 1, Padding.SAME),
      new Problem("S2", 8, 56, 56, 64, 3, 128, 2, Padding.SAME),
      new Problem("S3", 4, 224, 224, 3, 7, 64, 2, Padding.SAME),
      new Problem("S4", 16, 32, 32, 128, 4, 256, 2, Padding.SAME),
      new Problem("S5", 32, 14, 14, 256, 1, 1024, 1, Padding.VALID),
      new Problem("S6", 1, 512, 512, 32, 3, 32, 1, Padding.SAME));

  @Test
  void theDirectTilesKeepUpToSixteenThreadsBusy() {
    for (Problem b : BENCHMARKS) {
      Conv2dBackpropInput op = b.op();
      Plan p = new Plan(op);
      for (int threads = 1; threads <= 16; threads++) {
        SimdBackpropInputKernel.DirectSplit split = SimdBackpropInputKernel.DirectSplit.of(op, p, threads);
        double balance = WorkPool.balance(split.tasks(), threads);
        assertTrue(balance >= WorkPool.MIN_BALANCE, b.name() + " on " + threads + " threads: " + split + ", balance " + balance);
      }
    }
  }

  @Test
  void winogradKeepsUpToSixteenThreadsBusy() {
    for (Problem b : BENCHMARKS) {
      Plan p = new Plan(b.op());
      if (!Winograd.applies(p, DType.FLOAT32)) {
        continue;
      }
      for (int threads = 1; threads <= 16; threads++) {
        WinogradWorker.Split split = WinogradWorker.split(p, threads);
        int perBands = (WinogradWorker.bands(p) + split.bands() - 1) / split.bands();
        assertEquals((long) p.batch * perBands * (split.phaseRows() ? p.sh : 1), split.tasks(), b.name());
        double balance = WorkPool.balance(split.tasks(), threads);
        assertTrue(balance >= WorkPool.MIN_BALANCE, b.name() + " on " + threads + " threads: " + split + ", balance " + balance);
      }
    }
  }

  @Test
  void oneThreadTakesTheLargestTasks() {
    for (Problem b : BENCHMARKS) {
      Conv2dBackpropInput op = b.op();
      Plan p = new Plan(op);
      assertEquals(new WinogradWorker.Split(WinogradWorker.maxBandsPerTask(p), false,
          (long) b.n() * ((WinogradWorker.bands(p) + WinogradWorker.maxBandsPerTask(p) - 1) / WinogradWorker.maxBandsPerTask(p))),
          WinogradWorker.split(p, 1), b.name());
      SimdBackpropInputKernel.DirectSplit one = SimdBackpropInputKernel.DirectSplit.of(op, p, 1);
      assertEquals(RowWorker.TILE * RowWorker.BATCH_TILES, one.pixels(), b.name());
      int maxRows = b.ic() <= 4 ? SimdBackpropInputKernel.MAX_PIXEL_BLOCK_ROWS : SimdBackpropInputKernel.MAX_BLOCK_ROWS;
      assertEquals(Math.max(1, Math.min(maxRows, b.n() * b.h() / 4)), one.blockRows(), b.name());
    }
  }
}
