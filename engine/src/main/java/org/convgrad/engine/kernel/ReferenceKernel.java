package org.convgrad.engine.kernel;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvGeometry;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Tensor;

/**
 * The gather formula written plainly: for each result pixel, the out_backprop pixels that its
 * filter taps touched (skipping the positions a stride misses), and for each of its channels the
 * sum over those taps and the out channels of its group, in the order (ky, kx, co).
 *
 * <p>Every layout, dtype, stride, dilation, padding and group count. half and bfloat16 are widened
 * to float32, accumulated in float32 and rounded once; float32 accumulates in float32, float64 in
 * float64. This kernel is the oracle of every optimized kernel: keep it obvious.
 */
public final class ReferenceKernel implements BackpropInputKernel {
  @Override
  public String name() {
    return "reference";
  }

  @Override
  public boolean supports(Conv2dBackpropInput op) {
    return true;
  }

  @Override
  public void compute(Conv2dBackpropInput op, Tensor filter, Tensor outBackprop, Tensor result, WorkPool pool) {
    ConvGeometry g = op.geometry();
    int rows = (int) (g.batch() * g.inHeight());
    if (result.size() == 0) {
      return;
    }
    // Out_backprop and the result may be views (offsets into larger arrays), read and written in place.
    if (op.dtype() == DType.FLOAT64) {
      double[] w = filter.toDoubleArray();
      double[] dy = outBackprop.float64Storage();
      double[] dx = result.float64Storage();
      pool.parallelFor(rows, row -> new Row(g, row, outBackprop.offset(), result.offset()).gatherDouble(w, dy, dx));
      return;
    }
    float[] w = filter.toFloatArray();
    boolean f32 = op.dtype() == DType.FLOAT32;
    float[] dy = f32 ? outBackprop.float32Storage() : outBackprop.toFloatArray();
    float[] dx = f32 ? result.float32Storage() : new float[result.size()];
    int dyOff = f32 ? outBackprop.offset() : 0;
    int dxOff = f32 ? result.offset() : 0;
    pool.parallelFor(rows, row -> new Row(g, row, dyOff, dxOff).gatherFloat(w, dy, dx));
    if (!f32) {
      Tensor.storeFloats(dx, 0, result, 0, dx.length);
    }
  }

  /** One row (b, y) of the result: its taps per pixel, then the per-channel sums. */
  private static final class Row {
    private final ConvGeometry g;
    private final long b;
    private final long y;
    private final long[] dyStrides;
    private final long[] dxStrides;
    /** Where out_backprop's and the result's element 0 lie in their arrays. */
    private final long dyOff;
    private final long dxOff;
    private final long[] tapFilter;
    private final long[] tapDy;
    private int taps;

    Row(ConvGeometry g, int row, int dyOff, int dxOff) {
      this.g = g;
      this.dyOff = dyOff;
      this.dxOff = dxOff;
      this.b = row / g.inHeight();
      this.y = row % g.inHeight();
      this.dyStrides = g.outputStrides();
      this.dxStrides = g.inputStrides();
      int maxTaps = (int) (g.filterHeight() * g.filterWidth());
      this.tapFilter = new long[maxTaps];
      this.tapDy = new long[maxTaps];
    }

    /** Lists the (filter, out_backprop) offsets of the taps that reach result pixel (b, y, x). */
    private void findTaps(long x) {
      taps = 0;
      for (long ky = 0; ky < g.filterHeight(); ky++) {
        long ty = y + g.padTop() - ky * g.dilationH();
        if (ty < 0 || ty % g.strideH() != 0 || ty / g.strideH() >= g.outHeight()) {
          continue;
        }
        long oy = ty / g.strideH();
        for (long kx = 0; kx < g.filterWidth(); kx++) {
          long tx = x + g.padLeft() - kx * g.dilationW();
          if (tx < 0 || tx % g.strideW() != 0 || tx / g.strideW() >= g.outWidth()) {
            continue;
          }
          long ox = tx / g.strideW();
          tapFilter[taps] = (ky * g.filterWidth() + kx) * g.filterInDepth() * g.outDepth();
          tapDy[taps] = dyOff + b * dyStrides[0] + oy * dyStrides[1] + ox * dyStrides[2];
          taps++;
        }
      }
    }

    void gatherFloat(float[] w, float[] dy, float[] dx) {
      long cg = g.outDepthPerGroup();
      long dyC = dyStrides[3];
      for (long x = 0; x < g.inWidth(); x++) {
        findTaps(x);
        for (long ci = 0; ci < g.inDepth(); ci++) {
          long group = ci / g.filterInDepth();
          long wRow = (ci % g.filterInDepth()) * g.outDepth() + group * cg;
          long dyGroup = group * cg * dyC;
          float acc = 0f;
          for (int t = 0; t < taps; t++) {
            int wi = (int) (tapFilter[t] + wRow);
            long di = tapDy[t] + dyGroup;
            for (int co = 0; co < cg; co++) {
              acc += w[wi + co] * dy[(int) (di + co * dyC)];
            }
          }
          dx[(int) (dxOff + b * dxStrides[0] + y * dxStrides[1] + x * dxStrides[2] + ci * dxStrides[3])] = acc;
        }
      }
    }

    void gatherDouble(double[] w, double[] dy, double[] dx) {
      long cg = g.outDepthPerGroup();
      long dyC = dyStrides[3];
      for (long x = 0; x < g.inWidth(); x++) {
        findTaps(x);
        for (long ci = 0; ci < g.inDepth(); ci++) {
          long group = ci / g.filterInDepth();
          long wRow = (ci % g.filterInDepth()) * g.outDepth() + group * cg;
          long dyGroup = group * cg * dyC;
          double acc = 0;
          for (int t = 0; t < taps; t++) {
            int wi = (int) (tapFilter[t] + wRow);
            long di = tapDy[t] + dyGroup;
            for (int co = 0; co < cg; co++) {
              acc += w[wi + co] * dy[(int) (di + co * dyC)];
            }
          }
          dx[(int) (dxOff + b * dxStrides[0] + y * dxStrides[1] + x * dxStrides[2] + ci * dxStrides[3])] = acc;
        }
      }
    }
  }
}
