package org.convgrad.engine.testing;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/**
 * One randomly drawn, valid conv2d_backprop_input problem with its operands: the shared generator
 * of the differential, adjoint and kernel-versus-reference tests. A seed reproduces it.
 */
public final class Problem {
  public final long seed;
  public final long[] inputSizes;
  public final ConvParams params;
  public final Conv2dBackpropInput op;
  public final Tensor filter;
  public final Tensor outBackprop;

  private Problem(long seed, long[] inputSizes, ConvParams params, Conv2dBackpropInput op, Tensor filter, Tensor dy) {
    this.seed = seed;
    this.inputSizes = inputSizes;
    this.params = params;
    this.op = op;
    this.filter = filter;
    this.outBackprop = dy;
  }

  /** Draws the shape and arguments of a problem over everything the op accepts. */
  public static Problem random(long seed, DType dtype, DataFormat format, boolean allowGroups) {
    SplittableRandom r = new SplittableRandom(seed);
    while (true) {
      long n = r.nextInt(1, 4);
      long h = r.nextInt(1, 13);
      long w = r.nextInt(1, 13);
      long fh = r.nextInt(1, 6);
      long fw = r.nextInt(1, 6);
      long groups = allowGroups && r.nextInt(4) == 0 ? r.nextInt(2, 4) : 1;
      long filterIn = r.nextInt(1, 6);
      long outC = groups * r.nextInt(1, 6);
      long sh = r.nextInt(1, 5);
      long sw = r.nextInt(1, 5);
      long dh = r.nextInt(3) == 0 ? r.nextInt(2, 4) : 1;
      long dw = r.nextInt(3) == 0 ? r.nextInt(2, 4) : 1;
      Padding padding = Padding.values()[r.nextInt(3)];
      ConvParams.Builder p =
          ConvParams.builder().strides(sh, sw).dilations(dh, dw).padding(padding).dataFormat(format);
      if (padding == Padding.EXPLICIT) {
        long[] pads = new long[8];
        pads[2 * format.heightDim()] = r.nextInt(0, 4);
        pads[2 * format.heightDim() + 1] = r.nextInt(0, 4);
        pads[2 * format.widthDim()] = r.nextInt(0, 4);
        pads[2 * format.widthDim() + 1] = r.nextInt(0, 4);
        p.explicitPaddings(pads);
      }
      ConvParams params = p.build();
      long[] inputSizes =
          groups == 1 && r.nextInt(4) == 0
              ? new long[] {h, w}
              : format.order(n, h, w, filterIn * groups);
      long oh = outSize(h, fh, sh, dh, padding, params.explicitPaddings(), 2 * format.heightDim());
      long ow = outSize(w, fw, sw, dw, padding, params.explicitPaddings(), 2 * format.widthDim());
      if (oh < 0 || ow < 0) {
        continue; // TF rejects it; the rejection tests cover that
      }
      Shape filterShape = Shape.of(fh, fw, filterIn, outC);
      Shape dyShape = Shape.of(format.order(n, oh, ow, outC));
      Conv2dBackpropInput op = Conv2dBackpropInput.of(inputSizes, filterShape, dtype, dyShape, dtype, params);
      Tensor filter = randomTensor(r, dtype, filterShape);
      Tensor dy = randomTensor(r, dtype, dyShape);
      return new Problem(seed, inputSizes, params, op, filter, dy);
    }
  }

  /** Values in [-1, 1) on a grid of 1/64, exact in every dtype. */
  public static Tensor randomTensor(SplittableRandom r, DType dtype, Shape shape) {
    double[] v = new double[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (r.nextInt(128) - 64) / 64.0;
    }
    return Tensor.fromDoubles(dtype, shape, v);
  }

  private static long outSize(long i, long k, long s, long d, Padding padding, long[] pads, int padIndex) {
    long ek = (k - 1) * d + 1;
    switch (padding) {
      case VALID:
        return (i - ek + s) / s;
      case SAME:
        return (i + s - 1) / s;
      default:
        return (i + pads[padIndex] + pads[padIndex + 1] - ek + s) / s;
    }
  }

  @Override
  public String toString() {
    return "seed " + seed + ": input_sizes=" + Arrays.toString(inputSizes) + " " + op;
  }
}
