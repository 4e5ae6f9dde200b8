package org.convgrad.engine.tf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvGeometry;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/**
 * TensorFlow's answer to any problem convgrad accepts. TF's CPU kernel refuses NCHW, dilations
 * above 1 and grouped convolution, so those reach it rewritten without changing the arithmetic:
 * NCHW through transposes, dilations through an explicitly dilated filter (zeros between taps, the
 * same effective size and so the same pads), groups through one call per group.
 */
public final class TensorFlowReference {
  private TensorFlowReference() {}

  public static Tensor backpropInput(Conv2dBackpropInput op, long[] inputSizes, Tensor filter, Tensor dy) {
    ConvGeometry g = op.geometry();
    Tensor dyNhwc = g.dataFormat() == DataFormat.NCHW ? permute(dy, new int[] {0, 2, 3, 1}) : dy;
    Tensor w = dilate(filter, g.dilationH(), g.dilationW());
    long[] pads = op.params().explicitPaddings();
    long[] nhwcPads = new long[0];
    if (op.params().padding() == Padding.EXPLICIT) {
      DataFormat f = g.dataFormat();
      nhwcPads = new long[] {0, 0, pads[2 * f.heightDim()], pads[2 * f.heightDim() + 1],
          pads[2 * f.widthDim()], pads[2 * f.widthDim() + 1], 0, 0};
    }
    Shape nhwc = Shape.of(g.batch(), g.inHeight(), g.inWidth(), g.inDepth());
    Tensor dx;
    if (g.groups() <= 1) {
      long[] sizes = inputSizes.length == 2 ? inputSizes : nhwc.toArray();
      dx = call(op.dtype(), sizes, w, dyNhwc, g, op.params().padding(), nhwcPads);
    } else {
      double[] out = new double[(int) nhwc.elementCount()];
      long cg = g.outDepthPerGroup();
      long fin = g.filterInDepth();
      for (long group = 0; group < g.groups(); group++) {
        Tensor wg = sliceLast(w, group * cg, cg);
        Tensor dyg = sliceLast(dyNhwc, group * cg, cg);
        Tensor part = call(op.dtype(), new long[] {g.batch(), g.inHeight(), g.inWidth(), fin}, wg, dyg, g, op.params().padding(), nhwcPads);
        for (int i = 0; i < part.size(); i++) {
          long pixel = i / fin;
          out[(int) (pixel * g.inDepth() + group * fin + i % fin)] = part.getFlat(i);
        }
      }
      dx = Tensor.fromDoubles(op.dtype(), nhwc, out);
    }
    return g.dataFormat() == DataFormat.NCHW ? permute(dx, new int[] {0, 3, 1, 2}) : dx;
  }

  private static Tensor call(
      DType dtype, long[] sizes, Tensor w, Tensor dy, ConvGeometry g, Padding padding, long[] pads) {
    TensorFlowOracle.Output out =
        TensorFlowOracle.run(dtype, sizes, bytes(w), w.shape(), bytes(dy), dy.shape(),
            new long[] {1, g.strideH(), g.strideW(), 1}, padding.name(), pads, new long[] {1, 1, 1, 1}, DataFormat.NHWC);
    return tensor(dtype, out.shape, out.buffer());
  }

  /** The filter with dilation built in: tap (ky, kx) moves to (ky * dh, kx * dw). */
  public static Tensor dilate(Tensor w, long dh, long dw) {
    if (dh == 1 && dw == 1) {
      return w;
    }
    long fh = w.shape().get(0);
    long fw = w.shape().get(1);
    long inner = w.shape().get(2) * w.shape().get(3);
    long eh = (fh - 1) * dh + 1;
    long ew = (fw - 1) * dw + 1;
    double[] out = new double[(int) (eh * ew * inner)];
    for (long ky = 0; ky < fh; ky++) {
      for (long kx = 0; kx < fw; kx++) {
        for (long i = 0; i < inner; i++) {
          out[(int) (((ky * dh) * ew + kx * dw) * inner + i)] = w.getFlat((int) ((ky * fw + kx) * inner + i));
        }
      }
    }
    return Tensor.fromDoubles(w.dtype(), Shape.of(eh, ew, w.shape().get(2), w.shape().get(3)), out);
  }

  /** Channels {@code [from, from + count)} of the last dimension. */
  static Tensor sliceLast(Tensor t, long from, long count) {
    long last = t.shape().get(t.shape().rank() - 1);
    long rows = t.size() / Math.max(last, 1);
    double[] out = new double[(int) (rows * count)];
    for (long r = 0; r < rows; r++) {
      for (long c = 0; c < count; c++) {
        out[(int) (r * count + c)] = t.getFlat((int) (r * last + from + c));
      }
    }
    long[] dims = t.shape().toArray();
    dims[dims.length - 1] = count;
    return Tensor.fromDoubles(t.dtype(), Shape.of(dims), out);
  }

  /** A 4-D transpose: result dimension i is input dimension {@code perm[i]}. */
  public static Tensor permute(Tensor t, int[] perm) {
    long[] in = t.shape().toArray();
    long[] outDims = new long[4];
    for (int i = 0; i < 4; i++) {
      outDims[i] = in[perm[i]];
    }
    long[] inStrides = {in[1] * in[2] * in[3], in[2] * in[3], in[3], 1};
    double[] out = new double[t.size()];
    int k = 0;
    long[] idx = new long[4];
    for (idx[0] = 0; idx[0] < outDims[0]; idx[0]++) {
      for (idx[1] = 0; idx[1] < outDims[1]; idx[1]++) {
        for (idx[2] = 0; idx[2] < outDims[2]; idx[2]++) {
          for (idx[3] = 0; idx[3] < outDims[3]; idx[3]++) {
            long src = 0;
            for (int i = 0; i < 4; i++) {
              src += idx[i] * inStrides[perm[i]];
            }
            out[k++] = t.getFlat((int) src);
          }
        }
      }
    }
    return Tensor.fromDoubles(t.dtype(), Shape.of(outDims), out);
  }

  public static byte[] bytes(Tensor t) {
    ByteBuffer b = ByteBuffer.allocate(t.size() * t.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    switch (t.dtype()) {
      case FLOAT32:
        b.asFloatBuffer().put(t.float32Data());
        break;
      case FLOAT64:
        b.asDoubleBuffer().put(t.float64Data());
        break;
      default:
        b.asShortBuffer().put(t.bits16Data());
    }
    return b.array();
  }

  public static Tensor tensor(DType dtype, Shape shape, ByteBuffer b) {
    Tensor t = Tensor.zeros(dtype, shape);
    switch (dtype) {
      case FLOAT32:
        b.asFloatBuffer().get(t.float32Data());
        break;
      case FLOAT64:
        b.asDoubleBuffer().get(t.float64Data());
        break;
      default:
        b.asShortBuffer().get(t.bits16Data());
    }
    return t;
  }
}
