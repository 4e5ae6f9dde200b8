package org.convgrad.engine.kernel.gpu;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvGeometry;
import org.convgrad.engine.DType;

/**
 * Kernel choice and launch geometry. The choice depends on the problem's shape without its batch,
 * its dtype, whether the filter is finite and the device: never on the batch size, so that every
 * chunk of a batch runs the kernel the whole batch would, and gives the same bits.
 */
final class LaunchPlanner {
  /** CUDA's limits on grid dimensions y and z, and x. */
  static final long MAX_GRID_YZ = 65535;
  static final long MAX_GRID_X = Integer.MAX_VALUE;
  /** The oldest compute capability the fatbin has code for (major * 10 + minor). */
  static final int MIN_COMPUTE_CAPABILITY = 80;

  private LaunchPlanner() {}

  /**
   * The strategy for a problem. The direct gather where a GEMM tile would be mostly padding (fewer
   * than 8 in channels or 4 out channels per group, as S3's 3 in channels), where the phase grid
   * would exceed CUDA's grid limits (huge strides, thousands of groups), and for a filter with a
   * non-finite value (a GEMM multiplies masked zeros by every filter value of a tap; 0 * inf is NaN
   * where the reference skips the tap); tensor cores for half and bfloat16 with 16 or more channels
   * per group each way; the CUDA-core GEMM otherwise.
   */
  static Strategy choose(ConvGeometry g, DType dtype, boolean finiteFilter, int computeCapability) {
    if (!finiteFilter || !gemmFits(g) || g.filterInDepth() < 8 || g.outDepthPerGroup() < 4) {
      return Strategy.DIRECT;
    }
    boolean sixteenBit = dtype == DType.HALF || dtype == DType.BFLOAT16;
    if (sixteenBit && computeCapability >= 80 && g.filterInDepth() >= 16 && g.outDepthPerGroup() >= 16) {
      return Strategy.TENSOR_CORE;
    }
    return Strategy.IMPLICIT_GEMM;
  }

  /**
   * {@link #choose(ConvGeometry, DType, boolean, int)} for a problem or a band of one, by the whole
   * problem: a band runs the whole call's strategy, so its sums round as the whole call's do,
   * whatever its height (a one-row band has fewer phases, and might fit a GEMM the whole does not).
   */
  static Strategy choose(Conv2dBackpropInput op, boolean finiteFilter, int computeCapability) {
    return choose(op.whole().geometry(), op.dtype(), finiteFilter, computeCapability);
  }

  /** Whether the phase GEMM's grid (phases x groups in z, column tiles in y) fits CUDA's limits. */
  static boolean gemmFits(ConvGeometry g) {
    long phases = KernelArgs.phaseRows(g) * KernelArgs.phaseCols(g);
    return phases > 0
        && phases <= MAX_GRID_YZ
        && phases * g.groups() <= MAX_GRID_YZ
        && ceilDiv(g.filterInDepth(), 64) <= MAX_GRID_YZ;
  }

  /**
   * The launch for a chunk of {@code batch} samples.
   *
   * @param directBlockCap the most blocks the direct kernel's grid-stride loop is given (a few
   *     waves of the device's multiprocessors)
   */
  static LaunchPlan plan(Strategy s, ConvGeometry g, DType dtype, long batch, long directBlockCap) {
    if (!s.accepts(dtype)) {
      throw new IllegalArgumentException(s + " does not compute " + dtype);
    }
    int[] block = {s.threads(), 1, 1};
    if (s == Strategy.DIRECT) {
      long total = batch * g.inHeight() * g.inWidth() * g.inDepth();
      long blocks = Math.max(1, Math.min(Math.min(ceilDiv(total, s.threads()), directBlockCap), MAX_GRID_X));
      return new LaunchPlan(s, s.kernel(dtype), new long[] {blocks, 1, 1}, block, 0);
    }
    if (!gemmFits(g)) {
      throw new IllegalArgumentException("the phase GEMM's grid exceeds CUDA's limits for " + g);
    }
    // The largest phase is the first: ceil(H / sH) x ceil(W / sW) pixels per sample.
    long maxRows = batch * ceilDiv(g.inHeight(), g.strideH()) * ceilDiv(g.inWidth(), g.strideW());
    long x = Math.max(1, ceilDiv(maxRows, s.tileM(dtype)));
    long y = ceilDiv(g.filterInDepth(), s.tileN());
    long z = KernelArgs.phaseRows(g) * KernelArgs.phaseCols(g) * g.groups();
    return new LaunchPlan(s, s.kernel(dtype), new long[] {x, y, z}, block, s.sharedBytes(dtype));
  }

  static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
