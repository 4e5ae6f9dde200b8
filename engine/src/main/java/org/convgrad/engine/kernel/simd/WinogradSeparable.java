package org.convgrad.engine.kernel.simd;

import static org.convgrad.engine.kernel.simd.F32Tiles.L;
import static org.convgrad.engine.kernel.simd.F32Tiles.NB;
import static org.convgrad.engine.kernel.simd.F32Tiles.S;
import static org.convgrad.engine.kernel.simd.F32Tiles.VCLASS;

import jdk.incubator.vector.FloatVector;

/**
 * Winograd's transforms for a phase as F(m, ry) along y times F(m, rx) along x, m the block side:
 * each dimension of an m-pixel block has m + r - 1 points. Block side 2 takes sub-filters of 1 to 3
 * taps (a 5x5 filter at stride 2 has phases of 3x3, 3x2, 2x3 and 2x2 taps), side 4 of 1 or 2 (a 3x3
 * filter at stride 2: 2x2, 2x1, 1x2 and 1x1). The 2D transforms run as two passes of
 * 1D ones through {@code tmp} (at least as many vectors as the phase has points), in L-channel
 * vectors, or one where a dimension has one tap. Point (k, l) of a phase is {@code k * nx + l}, nx
 * = m + rx - 1, as in {@link Winograd}, whose uniform 3x3 and 2x2 cases of side 2 keep their
 * one-pass code.
 *
 * <p>The 1D matrices: F(m, 1) is the identity on m points (G: the tap at every point, packed once);
 * side 2 takes points 0, 1, -1 and infinity, side 4 points 0, 1, -1, 2 and infinity (with B^T's
 * rows scaled to integers and G's by the inverse, so that the fractions fall on the filter,
 * transformed once):
 * <pre>
 *   F(2, 2): B^T = [d0 - d1, d1, d2 - d1]            A^T = [m0 + m1, m1 + m2]        G = [g0, g0 + g1, g1]
 *   F(2, 3): B^T = [d0 - d2, d1 + d2, d2 - d1, d1 - d3]  A^T = [m0 + m1 + m2, m1 - m2 - m3]
 *            G = [g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2]
 *   F(4, 2): B^T = [2 d0 - d1 - 2 d2 + d3, 2 d1 + d2 - d3, 3 d2 - 2 d1 - d3, d3 - d1, 2 d1 - d2 - 2 d3 + d4]
 *            A^T = [m0 + m1 + m2 + m3, m1 - m2 + 2 m3, m1 + m2 + 4 m3, m1 - m2 + 8 m3 + m4]
 *            G = [g0 / 2, (g0 + g1) / 2, (g0 - g1) / 6, (g0 + 2 g1) / 6, g1]
 * </pre>
 * F(4, 2) does 25 multiply-adds per 4x4 pixels of a 2x2 sub-filter where F(2, 2) does 36; its
 * rounding error is about six times F(2, 2)'s (about 7e-7 of the sum of the terms' magnitudes over
 * 128 out channels), far inside the direct kernels' tolerance.
 */
final class WinogradSeparable {
  private WinogradSeparable() {}

  /**
   * {@code V = B_y^T d B_x} for block side {@code side}: window d(i, j) at {@code src[s0 + (i *
   * rowStride + j) * pix]} ((side + ry - 1) x (side + rx - 1) pixels), V(k, l) to {@code dst[d0 + (k
   * * nx + l) * pointStride]}; then the next L channels, {@code count} in all.
   */
  static void input(int side, int ry, int rx, float[] src, int s0, int rowStride, int pix, float[] dst, int d0,
      int pointStride, int count, float[] tmp) {
    int ny = side + ry - 1;
    int nx = side + rx - 1;
    if (ry == 1 || rx == 1) { // one pass: B^T of one tap is the identity
      for (int c = 0; c < count; c += L) {
        for (int e = 0; e < side; e++) {
          if (ry == 1) { // window row e is point row e
            inputPoints(side, rx, src, s0 + e * rowStride * pix + c, pix, dst, d0 + c + e * nx * pointStride, pointStride);
          } else { // window column e is point column e
            inputPoints(side, ry, src, s0 + e * pix + c, rowStride * pix, dst, d0 + c + e * pointStride, nx * pointStride);
          }
        }
      }
      return;
    }
    for (int c = 0; c < count; c += L) {
      for (int i = 0; i < ny; i++) {
        inputPoints(side, rx, src, s0 + i * rowStride * pix + c, pix, tmp, i * nx * L, L);
      }
      for (int l = 0; l < nx; l++) {
        inputPoints(side, ry, tmp, l * L, nx * L, dst, d0 + c + l * pointStride, nx * pointStride);
      }
    }
  }

  /**
   * {@code Y = A_y^T M A_x} for block side {@code side}: M(k, l) at {@code m[m0 + (k * nx + l) *
   * pointStride]}, Y(a, b) to {@code y[y0 + a * rowStride + b * pix]}; L channels.
   */
  static void output(int side, int ry, int rx, float[] m, int m0, int pointStride, float[] y, int y0, int rowStride,
      int pix, float[] tmp) {
    int nx = side + rx - 1;
    if (ry == 1 || rx == 1) { // one pass: A^T of one tap is the identity
      for (int e = 0; e < side; e++) {
        if (ry == 1) { // point row e is result row e
          outputPixels(side, rx, m, m0 + e * nx * pointStride, pointStride, y, y0 + e * rowStride, pix);
        } else { // point column e is result column e
          outputPixels(side, ry, m, m0 + e * pointStride, nx * pointStride, y, y0 + e * pix, rowStride);
        }
      }
      return;
    }
    for (int l = 0; l < nx; l++) {
      outputPixels(side, ry, m, m0 + l * pointStride, nx * pointStride, tmp, l * L, nx * L);
    }
    for (int a = 0; a < side; a++) {
      outputPixels(side, rx, tmp, a * nx * L, L, y, y0 + a * rowStride, pix);
    }
  }

  /**
   * {@code U = G_y g G_x^T} for block side {@code side}, at its distinct points: a dimension of one
   * tap has one, the tap itself, which all its points share (G of one tap repeats it). Tap (i, j) of
   * the rotated sub-filter at {@code g[(i * rx + j) * NB + h]}, filter point (k, l) to {@code u[at +
   * (k * fx + l) * pointStep]}, fx = 1 for one tap, else side + rx - 1; L in channels.
   */
  static void filter(int side, int ry, int rx, float[] g, int h, float[] u, int at, int pointStep, float[] tmp) {
    int nx = rx == 1 ? 1 : side + rx - 1;
    for (int i = 0; i < ry; i++) {
      filterPoints(side, rx, g, i * rx * NB + h, NB, tmp, i * nx * L, L);
    }
    for (int l = 0; l < nx; l++) {
      filterPoints(side, ry, tmp, l * L, nx * L, u, at + l * pointStep, nx * pointStep);
    }
  }

  // One method per size, each storing its own vectors: a vector passed to a method C2 does not inline
  // is boxed (SimdBoxingTest showed the filter transform boxing), and one method for every size was
  // too big for C2 to inline into the passes (its bounds checks then took a tenth of a call's time).

  /** B^T of F(side, r) on the vectors at {@code in[from + i * step]}, to {@code out[to + k * outStep]}. */
  private static void inputPoints(int side, int r, float[] in, int from, int step, float[] out, int to, int outStep) {
    if (r == 1) {
      copyPoints(side, in, from, step, out, to, outStep);
    } else if (side == 4) {
      inputF42(in, from, step, out, to, outStep);
    } else if (r == 2) {
      inputF22(in, from, step, out, to, outStep);
    } else {
      inputF23(in, from, step, out, to, outStep);
    }
  }

  private static void inputF22(float[] in, int from, int step, float[] out, int to, int outStep) {
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

  private static void inputF23(float[] in, int from, int step, float[] out, int to, int outStep) {
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

  private static void inputF42(float[] in, int from, int step, float[] out, int to, int outStep) {
    // Vectors of constants from the species, not mul(2f): see WinogradTransforms#filter3.
    FloatVector two = FloatVector.broadcast(S, 2f);
    FloatVector minusTwo = FloatVector.broadcast(S, -2f);
    FloatVector d1 = FloatVector.fromArray(S, in, from + step);
    FloatVector d2 = FloatVector.fromArray(S, in, from + 2 * step);
    FloatVector d3 = FloatVector.fromArray(S, in, from + 3 * step);
    FloatVector t = d3.sub(d1);
    FloatVector v0 = FloatVector.fromArray(S, in, from).sub(d2).fma(two, t);
    FloatVector v1 = d1.add(d2).sub(t);
    FloatVector v2 = d2.sub(d1).fma(two, d2.sub(d3));
    FloatVector v4 = t.fma(minusTwo, FloatVector.fromArray(S, in, from + 4 * step).sub(d2));
    if (v0.getClass() != VCLASS || v1.getClass() != VCLASS || v2.getClass() != VCLASS || t.getClass() != VCLASS
        || v4.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    v0.intoArray(out, to);
    v1.intoArray(out, to + outStep);
    v2.intoArray(out, to + 2 * outStep);
    t.intoArray(out, to + 3 * outStep);
    v4.intoArray(out, to + 4 * outStep);
  }

  /**
   * A^T of F(side, r) on the vectors at {@code in[from + k * step]}, the side pixels to {@code out[to
   * + a * outStep]}.
   */
  private static void outputPixels(int side, int r, float[] in, int from, int step, float[] out, int to, int outStep) {
    if (r == 1) {
      copyPoints(side, in, from, step, out, to, outStep);
    } else if (side == 4) {
      outputF42(in, from, step, out, to, outStep);
    } else if (r == 2) {
      outputF22(in, from, step, out, to, outStep);
    } else {
      outputF23(in, from, step, out, to, outStep);
    }
  }

  private static void outputF22(float[] in, int from, int step, float[] out, int to, int outStep) {
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

  private static void outputF23(float[] in, int from, int step, float[] out, int to, int outStep) {
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

  private static void outputF42(float[] in, int from, int step, float[] out, int to, int outStep) {
    FloatVector two = FloatVector.broadcast(S, 2f);
    FloatVector four = FloatVector.broadcast(S, 4f);
    FloatVector eight = FloatVector.broadcast(S, 8f);
    FloatVector m1 = FloatVector.fromArray(S, in, from + step);
    FloatVector m2 = FloatVector.fromArray(S, in, from + 2 * step);
    FloatVector m3 = FloatVector.fromArray(S, in, from + 3 * step);
    FloatVector sum = m1.add(m2);
    FloatVector diff = m1.sub(m2);
    FloatVector y0 = FloatVector.fromArray(S, in, from).add(sum).add(m3);
    FloatVector y1 = m3.fma(two, diff);
    FloatVector y2 = m3.fma(four, sum);
    FloatVector y3 = m3.fma(eight, diff).add(FloatVector.fromArray(S, in, from + 4 * step));
    if (y0.getClass() != VCLASS || y1.getClass() != VCLASS || y2.getClass() != VCLASS || y3.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    y0.intoArray(out, to);
    y1.intoArray(out, to + outStep);
    y2.intoArray(out, to + 2 * outStep);
    y3.intoArray(out, to + 3 * outStep);
  }

  /**
   * G of F(side, r): r taps at {@code in[from + i * step]}, the side + r - 1 points to {@code out[to
   * + k * outStep]}; for one tap, the tap alone.
   */
  private static void filterPoints(int side, int r, float[] in, int from, int step, float[] out, int to, int outStep) {
    if (r == 1) {
      copyPoints(1, in, from, step, out, to, outStep);
    } else if (side == 4) {
      filterF42(in, from, step, out, to, outStep);
    } else if (r == 2) {
      filterF22(in, from, step, out, to, outStep);
    } else {
      filterF23(in, from, step, out, to, outStep);
    }
  }

  /** B^T and A^T of one tap: the identity on side points (G of one tap: {@code side} = 1, the tap). */
  private static void copyPoints(int side, float[] in, int from, int step, float[] out, int to, int outStep) {
    for (int k = 0; k < side; k++) {
      FloatVector d = FloatVector.fromArray(S, in, from + k * step);
      if (d.getClass() != VCLASS) {
        throw new IllegalStateException(); // unreachable: the test tells C2 its class (F32Tiles#VCLASS)
      }
      d.intoArray(out, to + k * outStep);
    }
  }

  private static void filterF22(float[] in, int from, int step, float[] out, int to, int outStep) {
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

  private static void filterF23(float[] in, int from, int step, float[] out, int to, int outStep) {
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

  private static void filterF42(float[] in, int from, int step, float[] out, int to, int outStep) {
    FloatVector half = FloatVector.broadcast(S, 0.5f);
    FloatVector sixth = FloatVector.broadcast(S, 1f / 6);
    FloatVector g0 = FloatVector.fromArray(S, in, from);
    FloatVector g1 = FloatVector.fromArray(S, in, from + step);
    FloatVector u0 = g0.mul(half);
    FloatVector u1 = g0.add(g1).mul(half);
    FloatVector u2 = g0.sub(g1).mul(sixth);
    FloatVector u3 = g0.add(g1).add(g1).mul(sixth);
    if (u0.getClass() != VCLASS || u1.getClass() != VCLASS || u2.getClass() != VCLASS || u3.getClass() != VCLASS
        || g1.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    u0.intoArray(out, to);
    u1.intoArray(out, to + outStep);
    u2.intoArray(out, to + 2 * outStep);
    u3.intoArray(out, to + 3 * outStep);
    g1.intoArray(out, to + 4 * outStep);
  }
}
