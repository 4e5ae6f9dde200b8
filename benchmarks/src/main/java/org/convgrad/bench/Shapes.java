package org.convgrad.bench;

import java.util.List;
import org.convgrad.engine.Padding;

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

  double flops() {
    return 2.0 * n * outH() * outW() * oc * fh * fw * ic;
  }

  String describe() {
    return n + "x" + h + "x" + w + "x" + ic + ", " + fh + "x" + fw + "x" + ic + "x" + oc + ", s" + stride + " " + padding;
  }
}
