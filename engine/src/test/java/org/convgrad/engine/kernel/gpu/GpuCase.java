package org.convgrad.engine.kernel.gpu;

import java.util.Arrays;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;

/** One problem of the GPU tests: sizes, filter, strides, dilations, padding, layout, dtype. */
record GpuCase(
    int n, int h, int w, int ic, int fh, int fw, int fid, int oc, int sh, int sw, int dh, int dw,
    Padding padding, long[] explicit, DataFormat format, DType dtype) {

  static GpuCase of(int n, int h, int w, int ic, int f, int oc, int s, Padding padding) {
    return new GpuCase(n, h, w, ic, f, f, ic, oc, s, s, 1, 1, padding, new long[0], DataFormat.NHWC, DType.FLOAT32);
  }

  static GpuCase explicit(int n, int h, int w, int ic, int fh, int fw, int oc, int sh, int sw, long... pads) {
    return new GpuCase(n, h, w, ic, fh, fw, ic, oc, sh, sw, 1, 1, Padding.EXPLICIT, pads, DataFormat.NHWC, DType.FLOAT32);
  }

  GpuCase with(DataFormat f) {
    // Explicit paddings are given in NHWC order; move them to the layout's.
    long[] pads = explicit;
    if (pads.length == 8 && f != format) {
      long[] p = new long[8];
      int[] from = {format.batchDim(), format.heightDim(), format.widthDim(), format.channelDim()};
      int[] to = {f.batchDim(), f.heightDim(), f.widthDim(), f.channelDim()};
      for (int i = 0; i < 4; i++) {
        p[2 * to[i]] = pads[2 * from[i]];
        p[2 * to[i] + 1] = pads[2 * from[i] + 1];
      }
      pads = p;
    }
    return new GpuCase(n, h, w, ic, fh, fw, fid, oc, sh, sw, dh, dw, padding, pads, f, dtype);
  }

  GpuCase with(DType t) {
    return new GpuCase(n, h, w, ic, fh, fw, fid, oc, sh, sw, dh, dw, padding, explicit, format, t);
  }

  GpuCase batch(int batch) {
    return new GpuCase(batch, h, w, ic, fh, fw, fid, oc, sh, sw, dh, dw, padding, explicit, format, dtype);
  }

  GpuCase dilated(int d) {
    return new GpuCase(n, h, w, ic, fh, fw, fid, oc, sh, sw, d, d, padding, explicit, format, dtype);
  }

  GpuCase grouped(int groups) {
    return new GpuCase(n, h, w, ic, fh, fw, ic / groups, oc, sh, sw, dh, dw, padding, explicit, format, dtype);
  }

  ConvParams params() {
    return ConvParams.of(b -> {
      b.dataFormat(format).padding(padding).strides(sh, sw).dilations(dh, dw);
      if (padding == Padding.EXPLICIT) {
        b.explicitPaddings(explicit);
      }
    });
  }

  private long outSize(long i, long k, long s, long d, int dim) {
    long ek = (k - 1) * d + 1;
    switch (padding) {
      case VALID:
        return (i - ek + s) / s;
      case EXPLICIT:
        return (i + explicit[2 * dim] + explicit[2 * dim + 1] - ek + s) / s;
      default:
        return (i + s - 1) / s;
    }
  }

  Conv2dBackpropInput op() {
    long oh = outSize(h, fh, sh, dh, format.heightDim());
    long ow = outSize(w, fw, sw, dw, format.widthDim());
    return Conv2dBackpropInput.of(format.order(n, h, w, ic), Shape.of(fh, fw, fid, oc), dtype,
        Shape.of(format.order(n, oh, ow, oc)), dtype, params());
  }

  @Override
  public String toString() {
    return n + "x" + h + "x" + w + "x" + ic + " f" + fh + "x" + fw + "x" + fid + "x" + oc + " s" + sh + "," + sw
        + " d" + dh + "," + dw + " " + padding + (explicit.length > 0 ? Arrays.toString(explicit) : "") + " " + format
        + " " + dtype;
  }
}
