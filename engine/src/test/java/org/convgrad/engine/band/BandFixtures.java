package org.convgrad.engine.band;

import java.util.SplittableRandom;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/** The band tests' problems: square convolutions of any padding, and operands off any grid. */
final class BandFixtures {
  private BandFixtures() {}

  /** {@code n x h x w x c} (in {@code f}'s order), a {@code k x k} filter to {@code oc} channels at stride {@code s}. */
  static Conv2dBackpropInput convolution(
      DType dtype, DataFormat f, long n, long h, long w, long c, long oc, long k, long s, Padding padding) {
    long[] pads = padding == Padding.EXPLICIT ? new long[8] : new long[0];
    if (padding == Padding.EXPLICIT) {
      pads[2 * f.heightDim()] = 2;
      pads[2 * f.heightDim() + 1] = 3;
      pads[2 * f.widthDim()] = 1;
    }
    ConvParams params = ConvParams.of(b -> b.strides(s, s).padding(padding).explicitPaddings(pads).dataFormat(f));
    long oh = padding == Padding.SAME ? (h + s - 1) / s
        : (h + (padding == Padding.EXPLICIT ? 5 : 0) - k + s) / s;
    long ow = padding == Padding.SAME ? (w + s - 1) / s
        : (w + (padding == Padding.EXPLICIT ? 1 : 0) - k + s) / s;
    return Conv2dBackpropInput.of(f.order(n, h, w, c), Shape.of(k, k, c, oc), dtype, Shape.of(f.order(n, oh, ow, oc)),
        dtype, params);
  }

  /** Values in [-1, 1) off any grid, so that a different order of the same terms would round differently. */
  static Tensor random(DType dtype, Shape shape, SplittableRandom r) {
    double[] v = new double[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble(-1, 1);
    }
    return Tensor.fromDoubles(dtype, shape, v);
  }

  /** {@code op}'s filter and out_backprop, {@link #random} from {@code seed}. */
  static Tensor[] operands(Conv2dBackpropInput op, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    return new Tensor[] {random(op.dtype(), op.filterShape(), r), random(op.dtype(), op.outBackpropShape(), r)};
  }
}
