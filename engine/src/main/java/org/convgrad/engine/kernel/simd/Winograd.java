package org.convgrad.engine.kernel.simd;

import static org.convgrad.engine.kernel.simd.F32Tiles.L;
import static org.convgrad.engine.kernel.simd.F32Tiles.NB;
import static org.convgrad.engine.kernel.simd.F32Tiles.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.convgrad.engine.DType;

/**
 * Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, 2015) for float32-family problems with
 * a 3x3 filter, stride 1, no dilation and one group (S1, S6): each 2x2 block of the result is
 * {@code Y = A^T [sum over co of U(ci, co) . V(co)] A}, where {@code V = B^T d B} transforms the 4x4
 * window d of out_backprop the block reads and {@code U = G g G^T} the 180-degree-rotated 3x3 filter
 * g of (ci, co). The sum over co is 16 independent GEMMs (one per point of the 4x4 transform), which
 * run on the block tiles: 16 multiply-adds per output pair of 2x2 pixels instead of 36, so a 2.25x
 * smaller GEMM, plus the transforms (additions, linear in the data).
 *
 * <p>The result differs from the direct sums by rounding only: the transforms add and halve, and
 * the tests hold it to the same tolerance as the direct kernels. Where that is not so, Winograd is
 * not used: a non-finite filter or out_backprop value (a transform would mix it into its
 * neighbours' results: {@code inf - inf}), or values so large that a transformed sum could
 * overflow where the direct one does not ({@link #limit}).
 */
final class Winograd {
  /** Points of the 4x4 transformed tile: one GEMM each. */
  static final int POINTS = 16;

  private Winograd() {}

  /** Whether F(2x2, 3x3) computes this problem (see the class comment); in channels below 8 run the pixel tiles. */
  static boolean applies(Plan p, DType dtype) {
    return dtype != DType.FLOAT64 && p.fh == 3 && p.fw == 3 && p.sh == 1 && p.sw == 1 && p.dh == 1 && p.dw == 1
        && p.groups == 1 && p.fid >= 8 && p.oc >= 8 && p.h >= 2 && p.w >= 2;
  }

  /**
   * The filter transformed and packed for the block tiles: for each point, in-channel block cb of
   * {@link F32Tiles#NB} and out channel co, the NB in channels ({@code [point][cb][co][NB]}, zero past
   * fid), with the direct kernel's packing for the problems Winograd declines.
   */
  static final class Packed {
    final float[] u;
    final int blocks;
    final F32Worker.Packed direct;
    /** The filter's largest magnitude: NaN when an element is not finite. */
    final float maxAbs;

    Packed(float[] u, int blocks, F32Worker.Packed direct, float maxAbs) {
      this.u = u;
      this.blocks = blocks;
      this.direct = direct;
      this.maxAbs = maxAbs;
    }
  }

  /** Transforms and packs HWIO {@code w} (see {@link Packed}); each element of U is computed in double and rounded once. */
  static Packed pack(Plan p, float[] w, F32Worker.Packed direct) {
    int blocks = (p.fid + NB - 1) / NB;
    float[] u = new float[POINTS * blocks * p.oc * NB];
    double[] g = new double[9];
    double[] gg = new double[12];
    for (int ci = 0; ci < p.fid; ci++) {
      for (int co = 0; co < p.oc; co++) {
        for (int i = 0; i < 3; i++) {
          for (int j = 0; j < 3; j++) {
            // The rotated filter: the result at (y, x) reads out_backprop at (y + padTop - 2 + i, ...).
            g[i * 3 + j] = w[(((2 - i) * 3 + (2 - j)) * p.fid + ci) * p.oc + co];
          }
        }
        for (int j = 0; j < 3; j++) { // G g: rows 0..3 of column j
          gg[j] = g[j];
          gg[3 + j] = 0.5 * (g[j] + g[3 + j] + g[6 + j]);
          gg[6 + j] = 0.5 * (g[j] - g[3 + j] + g[6 + j]);
          gg[9 + j] = g[6 + j];
        }
        for (int r = 0; r < 4; r++) { // (G g) G^T
          double a = gg[r * 3];
          double b = gg[r * 3 + 1];
          double c = gg[r * 3 + 2];
          int at = ((r * 4 * blocks + ci / NB) * p.oc + co) * NB + ci % NB;
          int point = blocks * p.oc * NB; // from one point of the row to the next
          u[at] = (float) a;
          u[at + point] = (float) (0.5 * (a + b + c));
          u[at + 2 * point] = (float) (0.5 * (a - b + c));
          u[at + 3 * point] = (float) c;
        }
      }
    }
    float max = 0f;
    for (float v : w) {
      max = Float.isFinite(v) ? Math.max(max, Math.abs(v)) : Float.NaN;
      if (Float.isNaN(max)) {
        break;
      }
    }
    return new Packed(u, blocks, direct, max);
  }

  /**
   * The largest out_backprop magnitude Winograd takes with this filter, or a negative number when
   * the filter has a non-finite element. The transforms scale a result's terms by at most 4 (V),
   * 9/4 (U) and 9 (the output transform): below {@code MAX_VALUE / (81 * oc * max|w|)} no
   * intermediate overflows. An out_backprop value above it, or not finite, sends the call to the
   * direct tiles.
   */
  static double limit(Plan p, Packed f) {
    if (!(f.maxAbs >= 0f)) {
      return -1;
    }
    return Math.min(Float.MAX_VALUE, Float.MAX_VALUE / (81.0 * p.oc * f.maxAbs));
  }

  /** The largest magnitude among {@code a[0 .. n)}, or NaN when one is not finite. */
  static double maxAbs(float[] a, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i < S.loopBound(n); i += L) {
      acc = acc.max(FloatVector.fromArray(S, a, i).abs());
    }
    float max = acc.reduceLanes(VectorOperators.MAX);
    for (; i < n; i++) {
      max = Math.max(max, Math.abs(a[i]));
    }
    // An infinity or a NaN makes max infinite or NaN (max propagates NaN).
    return Float.isFinite(max) ? max : Double.NaN;
  }

  /**
   * {@code V = B^T d B} for one tile and L out channels: d(i, j) at {@code src[s0 + (i * rowStride +
   * j) * pix]}, V(k, l) to {@code dst[d0 + (k * 4 + l) * pointStride]}. Row k of {@code B^T d} needs
   * two rows of d (0 and 2; 1 and 2 for rows 1 and 2; 1 and 3), so at most twelve vectors are live:
   * JDK 17's C2 boxes vectors it cannot keep in registers, and a method that takes vectors as
   * arguments and is not inlined boxes them too.
   */
  static void inputTransform(float[] src, int s0, int rowStride, int pix, float[] dst, int d0, int pointStride) {
    int r1 = s0 + rowStride * pix;
    int r2 = r1 + rowStride * pix;
    int r3 = r2 + rowStride * pix;
    // Row 0 of B^T d: d0j - d2j.
    FloatVector a0 = FloatVector.fromArray(S, src, s0).sub(FloatVector.fromArray(S, src, r2));
    FloatVector a1 = FloatVector.fromArray(S, src, s0 + pix).sub(FloatVector.fromArray(S, src, r2 + pix));
    FloatVector a2 = FloatVector.fromArray(S, src, s0 + 2 * pix).sub(FloatVector.fromArray(S, src, r2 + 2 * pix));
    FloatVector a3 = FloatVector.fromArray(S, src, s0 + 3 * pix).sub(FloatVector.fromArray(S, src, r2 + 3 * pix));
    a0.sub(a2).intoArray(dst, d0);
    a1.add(a2).intoArray(dst, d0 + 1 * pointStride);
    a2.sub(a1).intoArray(dst, d0 + 2 * pointStride);
    a1.sub(a3).intoArray(dst, d0 + 3 * pointStride);
    // Rows 1 and 2: d1j + d2j and d2j - d1j.
    FloatVector x0 = FloatVector.fromArray(S, src, r1);
    FloatVector y0 = FloatVector.fromArray(S, src, r2);
    FloatVector b0 = x0.add(y0);
    FloatVector c0 = y0.sub(x0);
    FloatVector x1 = FloatVector.fromArray(S, src, r1 + pix);
    FloatVector y1 = FloatVector.fromArray(S, src, r2 + pix);
    FloatVector b1 = x1.add(y1);
    FloatVector c1 = y1.sub(x1);
    FloatVector x2 = FloatVector.fromArray(S, src, r1 + 2 * pix);
    FloatVector y2 = FloatVector.fromArray(S, src, r2 + 2 * pix);
    FloatVector b2 = x2.add(y2);
    FloatVector c2 = y2.sub(x2);
    FloatVector x3 = FloatVector.fromArray(S, src, r1 + 3 * pix);
    FloatVector y3 = FloatVector.fromArray(S, src, r2 + 3 * pix);
    FloatVector b3 = x3.add(y3);
    FloatVector c3 = y3.sub(x3);
    b0.sub(b2).intoArray(dst, d0 + 4 * pointStride);
    b1.add(b2).intoArray(dst, d0 + 5 * pointStride);
    b2.sub(b1).intoArray(dst, d0 + 6 * pointStride);
    b1.sub(b3).intoArray(dst, d0 + 7 * pointStride);
    c0.sub(c2).intoArray(dst, d0 + 8 * pointStride);
    c1.add(c2).intoArray(dst, d0 + 9 * pointStride);
    c2.sub(c1).intoArray(dst, d0 + 10 * pointStride);
    c1.sub(c3).intoArray(dst, d0 + 11 * pointStride);
    // Row 3: d1j - d3j.
    FloatVector e0 = FloatVector.fromArray(S, src, r1).sub(FloatVector.fromArray(S, src, r3));
    FloatVector e1 = FloatVector.fromArray(S, src, r1 + pix).sub(FloatVector.fromArray(S, src, r3 + pix));
    FloatVector e2 = FloatVector.fromArray(S, src, r1 + 2 * pix).sub(FloatVector.fromArray(S, src, r3 + 2 * pix));
    FloatVector e3 = FloatVector.fromArray(S, src, r1 + 3 * pix).sub(FloatVector.fromArray(S, src, r3 + 3 * pix));
    e0.sub(e2).intoArray(dst, d0 + 12 * pointStride);
    e1.add(e2).intoArray(dst, d0 + 13 * pointStride);
    e2.sub(e1).intoArray(dst, d0 + 14 * pointStride);
    e1.sub(e3).intoArray(dst, d0 + 15 * pointStride);
  }

  /**
   * {@code Y = A^T M A} for one tile and L in channels: M(k, l) at {@code m[m0 + (k * 4 + l) *
   * pointStride]}; Y(a, b) to {@code y[y0 + a * rowStride + b * pix]}.
   */
  static void outputTransform(float[] m, int m0, int pointStride, float[] y, int y0, int rowStride, int pix) {
    // A^T M: rows 0 and 1 of column l are M0l + M1l + M2l and M1l - M2l - M3l.
    FloatVector m00 = FloatVector.fromArray(S, m, m0 + 0 * pointStride);
    FloatVector m10 = FloatVector.fromArray(S, m, m0 + 4 * pointStride);
    FloatVector m20 = FloatVector.fromArray(S, m, m0 + 8 * pointStride);
    FloatVector m30 = FloatVector.fromArray(S, m, m0 + 12 * pointStride);
    FloatVector s00 = m00.add(m10).add(m20);
    FloatVector s10 = m10.sub(m20).sub(m30);
    FloatVector m01 = FloatVector.fromArray(S, m, m0 + 1 * pointStride);
    FloatVector m11 = FloatVector.fromArray(S, m, m0 + 5 * pointStride);
    FloatVector m21 = FloatVector.fromArray(S, m, m0 + 9 * pointStride);
    FloatVector m31 = FloatVector.fromArray(S, m, m0 + 13 * pointStride);
    FloatVector s01 = m01.add(m11).add(m21);
    FloatVector s11 = m11.sub(m21).sub(m31);
    FloatVector m02 = FloatVector.fromArray(S, m, m0 + 2 * pointStride);
    FloatVector m12 = FloatVector.fromArray(S, m, m0 + 6 * pointStride);
    FloatVector m22 = FloatVector.fromArray(S, m, m0 + 10 * pointStride);
    FloatVector m32 = FloatVector.fromArray(S, m, m0 + 14 * pointStride);
    FloatVector s02 = m02.add(m12).add(m22);
    FloatVector s12 = m12.sub(m22).sub(m32);
    FloatVector m03 = FloatVector.fromArray(S, m, m0 + 3 * pointStride);
    FloatVector m13 = FloatVector.fromArray(S, m, m0 + 7 * pointStride);
    FloatVector m23 = FloatVector.fromArray(S, m, m0 + 11 * pointStride);
    FloatVector m33 = FloatVector.fromArray(S, m, m0 + 15 * pointStride);
    FloatVector s03 = m03.add(m13).add(m23);
    FloatVector s13 = m13.sub(m23).sub(m33);
    // (A^T M) A.
    s00.add(s01).add(s02).intoArray(y, y0);
    s01.sub(s02).sub(s03).intoArray(y, y0 + pix);
    s10.add(s11).add(s12).intoArray(y, y0 + rowStride);
    s11.sub(s12).sub(s13).intoArray(y, y0 + rowStride + pix);
  }
}
