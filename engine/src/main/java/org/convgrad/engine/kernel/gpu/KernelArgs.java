package org.convgrad.engine.kernel.gpu;

import org.convgrad.engine.ConvGeometry;
import org.convgrad.engine.DataFormat;

/**
 * The parameter block every kernel takes by value ({@code struct ConvArgs} in {@code
 * src/main/cuda/convgrad_args.cuh}): 33 64-bit words in the order of {@link #FIELDS}. The kernel
 * {@code convgrad_args_probe} writes the fields back by name, and GpuArgsLayoutTest checks the
 * two orders against each other.
 */
final class KernelArgs {
  static final String[] FIELDS = {
    "dx", "dy", "w", "n", "H", "W", "C", "OH", "OW", "K", "FH", "FW", "Cg", "Kg", "groups",
    "sH", "sW", "dH", "dW", "padT", "padL", "dxN", "dxH", "dxW", "dxC", "dyN", "dyH", "dyW", "dyC",
    "phaseRows", "phaseCols", "nchw", "total"
  };
  static final int WORDS = FIELDS.length;

  private KernelArgs() {}

  /**
   * The block for a chunk of {@code batch} samples of {@code g}, with the device addresses of the
   * chunk's result, its out_backprop and the packed filter.
   */
  static long[] of(ConvGeometry g, long batch, long dx, long dy, long w) {
    long[] xs = g.inputStrides();
    long[] ys = g.outputStrides();
    return new long[] {
      dx, dy, w, batch, g.inHeight(), g.inWidth(), g.inDepth(), g.outHeight(), g.outWidth(), g.outDepth(),
      g.filterHeight(), g.filterWidth(), g.filterInDepth(), g.outDepthPerGroup(), g.groups(),
      g.strideH(), g.strideW(), g.dilationH(), g.dilationW(), g.padTop(), g.padLeft(),
      xs[0], xs[1], xs[2], xs[3], ys[0], ys[1], ys[2], ys[3],
      phaseRows(g), phaseCols(g), g.dataFormat() == DataFormat.NCHW ? 1 : 0,
      batch * g.inHeight() * g.inWidth() * g.inDepth()
    };
  }

  /** Stride phases along the height that hold result pixels: {@code min(sH, H)}. */
  static long phaseRows(ConvGeometry g) {
    return Math.min(g.strideH(), g.inHeight());
  }

  /** Stride phases along the width that hold result pixels: {@code min(sW, W)}. */
  static long phaseCols(ConvGeometry g) {
    return Math.min(g.strideW(), g.inWidth());
  }
}
