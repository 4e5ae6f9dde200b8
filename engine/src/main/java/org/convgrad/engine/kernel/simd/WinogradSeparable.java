package org.convgrad.engine.kernel.simd;

import static org.convgrad.engine.kernel.simd.F32Tiles.L;
import static org.convgrad.engine.kernel.simd.F32Tiles.NB;
import static org.convgrad.engine.kernel.simd.F32Tiles.S;
import static org.convgrad.engine.kernel.simd.F32Tiles.VCLASS;

import jdk.incubator.vector.FloatVector;

/**
 * Winograd's transforms for a phase whose sub-filter has ry rows and rx columns of different sizes
 * (a 5x5 filter at stride 2 has phases of 3x3, 3x2, 2x3 and 2x2 taps; a 3x3 one 2x2, 2x1, 1x2 and
 * 1x1), as F(2, ry) along y times F(2, rx) along x: each dimension of a 2-pixel block has r + 1
 * points. The 2D transforms run as two passes of 1D ones through {@code tmp} (at least 16
 * vectors), in L-channel vectors, or one where a dimension has one tap. Point (k,
 * l) of a phase is {@code k * (rx + 1) + l}, as in {@link Winograd}, whose uniform 3x3 and 2x2
 * cases keep their one-pass code.
 *
 * <p>The 1D matrices (points 0, 1, -1, infinity):
 * <pre>
 *   r = 1: B^T = [d0, d1]                          A^T = [m0, m1]                   G = [g0, g0]
 *   r = 2: B^T = [d0 - d1, d1, d2 - d1]            A^T = [m0 + m1, m1 + m2]         G = [g0, g0 + g1, g1]
 *   r = 3: B^T = [d0 - d2, d1 + d2, d2 - d1, d1 - d3]  A^T = [m0 + m1 + m2, m1 - m2 - m3]
 *          G = [g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2]
 * </pre>
 */
final class WinogradSeparable {
  private WinogradSeparable() {}

  /**
   * {@code V = B_y^T d B_x}: window d(i, j) at {@code src[s0 + (i * rowStride + j) * pix]} ((ry + 1)
   * x (rx + 1) pixels), V(k, l) to {@code dst[d0 + (k * (rx + 1) + l) * pointStride]}; then the next
   * L channels, {@code count} in all.
   */
  static void input(int ry, int rx, float[] src, int s0, int rowStride, int pix, float[] dst, int d0, int pointStride,
      int count, float[] tmp) {
    int nx = rx + 1;
    if (ry == 1 || rx == 1) { // one pass: B^T of one tap is the identity
      for (int c = 0; c < count; c += L) {
        for (int e = 0; e < 2; e++) {
          if (ry == 1) { // window row e is point row e
            inputPoints(rx, src, s0 + e * rowStride * pix + c, pix, dst, d0 + c + e * nx * pointStride, pointStride);
          } else { // window column e is point column e
            inputPoints(ry, src, s0 + e * pix + c, rowStride * pix, dst, d0 + c + e * pointStride, 2 * pointStride);
          }
        }
      }
      return;
    }
    for (int c = 0; c < count; c += L) {
      for (int i = 0; i <= ry; i++) {
        inputPoints(rx, src, s0 + i * rowStride * pix + c, pix, tmp, i * nx * L, L);
      }
      for (int l = 0; l < nx; l++) {
        inputPoints(ry, tmp, l * L, nx * L, dst, d0 + c + l * pointStride, nx * pointStride);
      }
    }
  }

  /**
   * {@code Y = A_y^T M A_x}: M(k, l) at {@code m[m0 + (k * (rx + 1) + l) * pointStride]}, Y(a, b) to
   * {@code y[y0 + a * rowStride + b * pix]}; L channels.
   */
  static void output(int ry, int rx, float[] m, int m0, int pointStride, float[] y, int y0, int rowStride, int pix,
      float[] tmp) {
    int nx = rx + 1;
    if (ry == 1 || rx == 1) { // one pass: A^T of one tap is the identity
      for (int e = 0; e < 2; e++) {
        if (ry == 1) { // point row e is result row e
          outputPixels(rx, m, m0 + e * nx * pointStride, pointStride, y, y0 + e * rowStride, pix);
        } else { // point column e is result column e
          outputPixels(ry, m, m0 + e * pointStride, 2 * pointStride, y, y0 + e * pix, rowStride);
        }
      }
      return;
    }
    for (int l = 0; l < nx; l++) {
      outputPixels(ry, m, m0 + l * pointStride, nx * pointStride, tmp, l * L, nx * L);
    }
    for (int a = 0; a < 2; a++) {
      outputPixels(rx, tmp, a * nx * L, L, y, y0 + a * rowStride, pix);
    }
  }

  /**
   * {@code U = G_y g G_x^T}: tap (i, j) of the rotated sub-filter at {@code g[(i * rx + j) * NB + h]},
   * point (k, l) to {@code u[at + (k * (rx + 1) + l) * pointStep]}; L in channels.
   */
  static void filter(int ry, int rx, float[] g, int h, float[] u, int at, int pointStep, float[] tmp) {
    int nx = rx + 1;
    for (int i = 0; i < ry; i++) {
      filterPoints(rx, g, i * rx * NB + h, NB, tmp, i * nx * L, L);
    }
    for (int l = 0; l < nx; l++) {
      filterPoints(ry, tmp, l * L, nx * L, u, at + l * pointStep, nx * pointStep);
    }
  }

  // One method per size, each storing its own vectors: a vector passed to a method C2 does not inline
  // is boxed (SimdBoxingTest showed the filter transform boxing), and one method for every size was
  // too big for C2 to inline into the passes (its bounds checks then took a tenth of a call's time).

  /** B^T of size r + 1 on the vectors at {@code in[from + i * step]}, to {@code out[to + k * outStep]}. */
  private static void inputPoints(int r, float[] in, int from, int step, float[] out, int to, int outStep) {
    if (r == 1) {
      copyPoints(in, from, step, out, to, outStep);
    } else if (r == 2) {
      inputPoints2(in, from, step, out, to, outStep);
    } else {
      inputPoints3(in, from, step, out, to, outStep);
    }
  }

  private static void inputPoints2(float[] in, int from, int step, float[] out, int to, int outStep) {
    FloatVector d1 = FloatVector.fromArray(S, in, from + step);
    FloatVector v0 = FloatVector.fromArray(S, in, from).sub(d1);
    FloatVector v2 = FloatVector.fromArray(S, in, from + 2 * step).sub(d1);
    if (v0.getClass() != VCLASS || d1.getClass() != VCLASS || v2.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    v0.intoArray(out, to);
    d1.intoArray(out, to + outStep);
    v2.intoArray(out, to + 2 * outStep);
  }

  private static void inputPoints3(float[] in, int from, int step, float[] out, int to, int outStep) {
    FloatVector d1 = FloatVector.fromArray(S, in, from + step);
    FloatVector d2 = FloatVector.fromArray(S, in, from + 2 * step);
    FloatVector v0 = FloatVector.fromArray(S, in, from).sub(d2);
    FloatVector v1 = d1.add(d2);
    FloatVector v2 = d2.sub(d1);
    FloatVector v3 = d1.sub(FloatVector.fromArray(S, in, from + 3 * step));
    if (v0.getClass() != VCLASS || v1.getClass() != VCLASS || v2.getClass() != VCLASS || v3.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    v0.intoArray(out, to);
    v1.intoArray(out, to + outStep);
    v2.intoArray(out, to + 2 * outStep);
    v3.intoArray(out, to + 3 * outStep);
  }

  /** A^T of size r + 1 on the vectors at {@code in[from + k * step]}, the 2 pixels to {@code out[to + a * outStep]}. */
  private static void outputPixels(int r, float[] in, int from, int step, float[] out, int to, int outStep) {
    if (r == 1) {
      copyPoints(in, from, step, out, to, outStep);
    } else if (r == 2) {
      outputPixels2(in, from, step, out, to, outStep);
    } else {
      outputPixels3(in, from, step, out, to, outStep);
    }
  }

  private static void outputPixels2(float[] in, int from, int step, float[] out, int to, int outStep) {
    FloatVector m0 = FloatVector.fromArray(S, in, from);
    FloatVector m1 = FloatVector.fromArray(S, in, from + step);
    FloatVector y0 = m0.add(m1);
    FloatVector y1 = m1.add(FloatVector.fromArray(S, in, from + 2 * step));
    if (y0.getClass() != VCLASS || y1.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    y0.intoArray(out, to);
    y1.intoArray(out, to + outStep);
  }

  private static void outputPixels3(float[] in, int from, int step, float[] out, int to, int outStep) {
    FloatVector m0 = FloatVector.fromArray(S, in, from);
    FloatVector m1 = FloatVector.fromArray(S, in, from + step);
    FloatVector m2 = FloatVector.fromArray(S, in, from + 2 * step);
    FloatVector y0 = m0.add(m1).add(m2);
    FloatVector y1 = m1.sub(m2).sub(FloatVector.fromArray(S, in, from + 3 * step));
    if (y0.getClass() != VCLASS || y1.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    y0.intoArray(out, to);
    y1.intoArray(out, to + outStep);
  }

  /** G of r taps at {@code in[from + i * step]}, the r + 1 points to {@code out[to + k * outStep]}. */
  private static void filterPoints(int r, float[] in, int from, int step, float[] out, int to, int outStep) {
    if (r == 1) {
      filterPoints1(in, from, out, to, outStep);
    } else if (r == 2) {
      filterPoints2(in, from, step, out, to, outStep);
    } else {
      filterPoints3(in, from, step, out, to, outStep);
    }
  }

  /** B^T and A^T of one tap: the identity on 2 points. */
  private static void copyPoints(float[] in, int from, int step, float[] out, int to, int outStep) {
    FloatVector d0 = FloatVector.fromArray(S, in, from);
    FloatVector d1 = FloatVector.fromArray(S, in, from + step);
    if (d0.getClass() != VCLASS || d1.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    d0.intoArray(out, to);
    d1.intoArray(out, to + outStep);
  }

  /** G of one tap: the tap at both points. */
  private static void filterPoints1(float[] in, int from, float[] out, int to, int outStep) {
    FloatVector g0 = FloatVector.fromArray(S, in, from);
    if (g0.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    g0.intoArray(out, to);
    g0.intoArray(out, to + outStep);
  }

  private static void filterPoints2(float[] in, int from, int step, float[] out, int to, int outStep) {
    FloatVector g0 = FloatVector.fromArray(S, in, from);
    FloatVector g1 = FloatVector.fromArray(S, in, from + step);
    FloatVector u1 = g0.add(g1);
    if (g0.getClass() != VCLASS || u1.getClass() != VCLASS || g1.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    g0.intoArray(out, to);
    u1.intoArray(out, to + outStep);
    g1.intoArray(out, to + 2 * outStep);
  }

  private static void filterPoints3(float[] in, int from, int step, float[] out, int to, int outStep) {
    FloatVector g0 = FloatVector.fromArray(S, in, from);
    FloatVector g1 = FloatVector.fromArray(S, in, from + step);
    FloatVector g2 = FloatVector.fromArray(S, in, from + 2 * step);
    // A vector of halves, not mul(0.5f): see WinogradTransforms#filter3.
    FloatVector half = FloatVector.broadcast(S, 0.5f);
    FloatVector u1 = g0.add(g1).add(g2).mul(half);
    FloatVector u2 = g0.sub(g1).add(g2).mul(half);
    if (g0.getClass() != VCLASS || u1.getClass() != VCLASS || u2.getClass() != VCLASS || g2.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    g0.intoArray(out, to);
    u1.intoArray(out, to + outStep);
    u2.intoArray(out, to + 2 * outStep);
    g2.intoArray(out, to + 3 * outStep);
  }
}
