package org.convgrad.engine.testing;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvGeometry;
import org.convgrad.engine.tensor.Tensor;

/**
 * An independent formulation of conv2d_backprop_input for testing the reference kernel: the
 * scatter form (every out_backprop element adds to the input pixels its filter taps read), in
 * float64, written from the forward convolution's definition rather than the gather formula.
 * Also returns, per result element, the sum of its terms' magnitudes (the error scale).
 */
public final class ScatterOracle {
  public final double[] values;
  public final double[] magnitude;

  private ScatterOracle(double[] values, double[] magnitude) {
    this.values = values;
    this.magnitude = magnitude;
  }

  public static ScatterOracle compute(Conv2dBackpropInput op, Tensor filter, Tensor outBackprop) {
    ConvGeometry g = op.geometry();
    long[] xs = g.inputStrides();
    long[] ys = g.outputStrides();
    double[] w = filter.toDoubleArray();
    double[] dy = outBackprop.toDoubleArray();
    int size = (int) op.inputShape().elementCount();
    double[] dx = new double[size];
    double[] mag = new double[size];
    long cg = g.outDepthPerGroup();
    for (long b = 0; b < g.batch(); b++) {
      for (long oy = 0; oy < g.outHeight(); oy++) {
        for (long ox = 0; ox < g.outWidth(); ox++) {
          for (long co = 0; co < g.outDepth(); co++) {
            double d = dy[(int) (b * ys[0] + oy * ys[1] + ox * ys[2] + co * ys[3])];
            long group = co / cg;
            for (long ky = 0; ky < g.filterHeight(); ky++) {
              long iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
              for (long kx = 0; kx < g.filterWidth(); kx++) {
                long ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                if (iy < 0 || iy >= g.inHeight() || ix < 0 || ix >= g.inWidth()) {
                  continue;
                }
                for (long c = 0; c < g.filterInDepth(); c++) {
                  long ci = group * g.filterInDepth() + c;
                  double term = w[(int) (((ky * g.filterWidth() + kx) * g.filterInDepth() + c) * g.outDepth() + co)] * d;
                  int at = (int) (b * xs[0] + iy * xs[1] + ix * xs[2] + ci * xs[3]);
                  dx[at] += term;
                  mag[at] += Math.abs(term);
                }
              }
            }
          }
        }
      }
    }
    return new ScatterOracle(dx, mag);
  }

  public Tensor asTensor(Conv2dBackpropInput op) {
    return Tensor.fromDoubles(op.dtype(), op.inputShape(), values);
  }
}
