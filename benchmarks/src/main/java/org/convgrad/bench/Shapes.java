package org.convgrad.bench;

import java.util.List;
import java.util.SplittableRandom;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/** The benchmark problems: NHWC input, HWIO filter, stride, padding. */
record Shapes(String name, int n, int h, int w, int ic, int fh, int fw, int oc, int stride, Padding padding) {
  static final List<Shapes> ALL =
      List.of(
          new Shapes("S1", 8, 56, 56, 64, 3, 3, 64, 1, Padding.SAME),
          new Shapes("S2", 8, 56, 56, 64, 3, 3, 128, 2, Padding.SAME),
          new Shapes("S3", 4, 224, 224, 3, 7, 7, 64, 2, Padding.SAME),
          new Shapes("S4", 16, 32, 32, 128, 4, 4, 256, 2, Padding.SAME),
          new Shapes("S5", 32, 14, 14, 256, 1, 1, 1024, 1, Padding.VALID),
          new Shapes("S6", 1, 512, 512, 32, 3, 3, 32, 1, Padding.SAME));

  int outH() {
    return padding == Padding.SAME ? (h + stride - 1) / stride : (h - fh + stride) / stride;
  }

  int outW() {
    return padding == Padding.SAME ? (w + stride - 1) / stride : (w - fw + stride) / stride;
  }

  /** TensorFlow's SAME pad before (the odd pixel goes after). */
  int padTop() {
    return padding == Padding.SAME ? Math.max(0, (outH() - 1) * stride + fh - h) / 2 : 0;
  }

  int padBottom() {
    return padding == Padding.SAME ? Math.max(0, (outH() - 1) * stride + fh - h) - padTop() : 0;
  }

  int padLeft() {
    return padding == Padding.SAME ? Math.max(0, (outW() - 1) * stride + fw - w) / 2 : 0;
  }

  int padRight() {
    return padding == Padding.SAME ? Math.max(0, (outW() - 1) * stride + fw - w) - padLeft() : 0;
  }

  /** The problem in NHWC with elements of type {@code t}. */
  Conv2dBackpropInput op(DType t) {
    return Conv2dBackpropInput.of(
        new long[] {n, h, w, ic}, Shape.of(fh, fw, ic, oc), t,
        Shape.of(n, outH(), outW(), oc), t, ConvParams.of(b -> b.strides(stride).padding(padding)));
  }

  /** The float32 filter every benchmark main uses: values uniform in [-1, 1), seed 1. */
  Tensor filter32() {
    Conv2dBackpropInput op = op(DType.FLOAT32);
    return Tensor.ofFloat32(op.filterShape(), random((int) op.filterShape().elementCount(), 1));
  }

  /** The float32 out_backprop every benchmark main uses: values uniform in [-1, 1), seed 2. */
  Tensor outBackprop32() {
    Conv2dBackpropInput op = op(DType.FLOAT32);
    return Tensor.ofFloat32(op.outBackpropShape(), random((int) op.outBackpropShape().elementCount(), 2));
  }

  /** {@code n} values uniform in [-1, 1). */
  static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextDouble(-1, 1);
    }
    return v;
  }

  double flops() {
    return 2.0 * n * outH() * outW() * oc * fh * fw * ic;
  }

  String describe() {
    return n + "x" + h + "x" + w + "x" + ic + ", " + fh + "x" + fw + "x" + ic + "x" + oc + ", s" + stride + " " + padding;
  }
}
