package org.convgrad.engine.kernel;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvGeometry;
import org.convgrad.engine.tensor.Tensor;

/**
 * The forward convolution with the same arguments, {@code y = conv2d(x, filter)}, of which
 * conv2d_backprop_input is the adjoint: {@code <conv2d(x, w), dy> == <x, backprop_input(dy, w)>}.
 * Plain scalar code in float64, rounded once to the problem's dtype; used to check that identity.
 */
public final class ReferenceConv2dForward {
  private ReferenceConv2dForward() {}

  /**
   * @param x the convolution's input, of shape {@code op.inputShape()}
   * @return y, of shape {@code op.outBackpropShape()}
   */
  public static Tensor forward(Conv2dBackpropInput op, Tensor x, Tensor filter) {
    ConvGeometry g = op.geometry();
    long[] xs = g.inputStrides();
    long[] ys = g.outputStrides();
    double[] xv = x.toDoubleArray();
    double[] wv = filter.toDoubleArray();
    double[] y = new double[(int) op.outBackpropShape().elementCount()];
    long cg = g.outDepthPerGroup();
    for (long b = 0; b < g.batch(); b++) {
      for (long oy = 0; oy < g.outHeight(); oy++) {
        for (long ox = 0; ox < g.outWidth(); ox++) {
          for (long co = 0; co < g.outDepth(); co++) {
            long group = co / cg;
            double acc = 0;
            for (long ky = 0; ky < g.filterHeight(); ky++) {
              long iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
              if (iy < 0 || iy >= g.inHeight()) {
                continue;
              }
              for (long kx = 0; kx < g.filterWidth(); kx++) {
                long ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                if (ix < 0 || ix >= g.inWidth()) {
                  continue;
                }
                for (long c = 0; c < g.filterInDepth(); c++) {
                  long ci = group * g.filterInDepth() + c;
                  acc += xv[(int) (b * xs[0] + iy * xs[1] + ix * xs[2] + ci * xs[3])]
                      * wv[(int) (((ky * g.filterWidth() + kx) * g.filterInDepth() + c) * g.outDepth() + co)];
                }
              }
            }
            y[(int) (b * ys[0] + oy * ys[1] + ox * ys[2] + co * ys[3])] = acc;
          }
        }
      }
    }
    return Tensor.fromDoubles(op.dtype(), op.outBackpropShape(), y);
  }
}
