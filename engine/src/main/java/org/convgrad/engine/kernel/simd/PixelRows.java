package org.convgrad.engine.kernel.simd;

import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.BFloat16;
import org.convgrad.engine.tensor.Float16;
import org.convgrad.engine.tensor.Tensor;

/**
 * Moves one image row between a float32-family tensor of any layout and a pixel-major float row
 * ({@code [x][channel]}): the staging of out_backprop rows and result rows for the workers that
 * compute in float32 on pixel-major data (half and bfloat16 widened and rounded once, NCHW
 * transposed).
 */
final class PixelRows {
  private PixelRows() {}

  /** Out_backprop row (b, oy) into {@code dst} from {@code off}: {@code ow * oc} floats. */
  static void load(Plan p, Tensor dyT, int b, int oy, float[] dst, int off) {
    int rowLen = p.ow * p.oc;
    DType dtype = dyT.dtype();
    if (p.nhwc) {
      if (dtype == DType.FLOAT32) {
        System.arraycopy(dyT.float32Storage(), dyT.offset() + (b * p.oh + oy) * rowLen, dst, off, rowLen);
      } else {
        Tensor.loadFloats(dyT, (b * p.oh + oy) * rowLen, dst, off, rowLen);
      }
    } else if (dtype == DType.FLOAT32) {
      float[] src = dyT.float32Storage();
      int base = dyT.offset();
      int plane = p.oh * p.ow;
      int co = 0;
      // Four channels at a time: four sequential reads, four neighbouring writes per pixel (a
      // channel at a time writes one float per cache line).
      for (; co + 4 <= p.oc; co += 4) {
        int s = base + ((b * p.oc + co) * p.oh + oy) * p.ow;
        for (int ox = 0, d = off + co; ox < p.ow; ox++, d += p.oc) {
          dst[d] = src[s + ox];
          dst[d + 1] = src[s + plane + ox];
          dst[d + 2] = src[s + 2 * plane + ox];
          dst[d + 3] = src[s + 3 * plane + ox];
        }
      }
      for (; co < p.oc; co++) {
        int s = base + ((b * p.oc + co) * p.oh + oy) * p.ow;
        for (int ox = 0; ox < p.ow; ox++) {
          dst[off + ox * p.oc + co] = src[s + ox];
        }
      }
    } else {
      short[] src = dyT.bits16Storage();
      boolean half = dtype == DType.HALF;
      for (int co = 0; co < p.oc; co++) {
        int s = dyT.offset() + ((b * p.oc + co) * p.oh + oy) * p.ow;
        for (int ox = 0; ox < p.ow; ox++) {
          short v = src[s + ox];
          dst[off + ox * p.oc + co] = half ? Float16.toFloat(v) : BFloat16.toFloat(v);
        }
      }
    }
  }

  /** Result row (b, y), {@code w * ic} floats of {@code src} from {@code from}, into {@code dxT}. */
  static void store(Plan p, float[] src, int from, Tensor dxT, int b, int y) {
    int rowLen = p.w * p.ic;
    DType dtype = dxT.dtype();
    if (p.nhwc) {
      if (dtype == DType.FLOAT32) {
        System.arraycopy(src, from, dxT.float32Storage(), dxT.offset() + (b * p.h + y) * rowLen, rowLen);
      } else {
        Tensor.storeFloats(src, from, dxT, (b * p.h + y) * rowLen, rowLen);
      }
    } else if (dtype == DType.FLOAT32) {
      float[] out = dxT.float32Storage();
      int base = dxT.offset();
      int plane = p.h * p.w;
      int ci = 0;
      for (; ci + 4 <= p.ic; ci += 4) { // as in load: four neighbouring reads, four sequential writes
        int d = base + ((b * p.ic + ci) * p.h + y) * p.w;
        for (int x = 0, f = from + ci; x < p.w; x++, f += p.ic) {
          out[d + x] = src[f];
          out[d + plane + x] = src[f + 1];
          out[d + 2 * plane + x] = src[f + 2];
          out[d + 3 * plane + x] = src[f + 3];
        }
      }
      for (; ci < p.ic; ci++) {
        int d = base + ((b * p.ic + ci) * p.h + y) * p.w;
        for (int x = 0; x < p.w; x++) {
          out[d + x] = src[from + x * p.ic + ci];
        }
      }
    } else {
      short[] out = dxT.bits16Storage();
      boolean half = dtype == DType.HALF;
      for (int ci = 0; ci < p.ic; ci++) {
        int d = dxT.offset() + ((b * p.ic + ci) * p.h + y) * p.w;
        for (int x = 0; x < p.w; x++) {
          float v = src[from + x * p.ic + ci];
          out[d + x] = half ? Float16.fromFloat(v) : BFloat16.fromFloat(v);
        }
      }
    }
  }
}
