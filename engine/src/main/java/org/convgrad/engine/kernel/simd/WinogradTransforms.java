package org.convgrad.engine.kernel.simd;

import static org.convgrad.engine.kernel.simd.F32Tiles.L;
import static org.convgrad.engine.kernel.simd.F32Tiles.NB;
import static org.convgrad.engine.kernel.simd.F32Tiles.S;
import static org.convgrad.engine.kernel.simd.F32Tiles.VCLASS;

import jdk.incubator.vector.FloatVector;

/**
 * {@link Winograd}'s transforms for sub-filters of 3x3 taps (4x4 windows and points) and 2x2 taps
 * (3x3), in one pass each, on L-channel vectors: the filter's {@code U = G g G^T}, the window's
 * {@code V = B^T d B} and the result's {@code Y = A^T M A}. Phases whose sub-filter has 2 taps one
 * way and 3 the other take {@link WinogradSeparable}'s.
 */
final class WinogradTransforms {
  private WinogradTransforms() {}

  /**
   * {@code U = G g G^T} for r = 3 and L in channels: G's rows are g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2
   * and g2 (points 0, 1, -1, infinity); tap (i, j) at {@code g[(i * 3 + j) * NB + h]}, point k to
   * {@code u[at + k * pointStep]}.
   */
  static void filter3(float[] g, int h, float[] u, int at, int pointStep) {
    // A vector of halves from the species, not mul(0.5f): that broadcasts through a virtual call on
    // the vector it multiplies, which C2 may bind as a real one (see F32Tiles#VCLASS) and then box it.
    FloatVector half = FloatVector.broadcast(S, 0.5f);
    FloatVector g00 = FloatVector.fromArray(S, g, 0 * NB + h);
    FloatVector g01 = FloatVector.fromArray(S, g, 1 * NB + h);
    FloatVector g02 = FloatVector.fromArray(S, g, 2 * NB + h);
    FloatVector g10 = FloatVector.fromArray(S, g, 3 * NB + h);
    FloatVector g11 = FloatVector.fromArray(S, g, 4 * NB + h);
    FloatVector g12 = FloatVector.fromArray(S, g, 5 * NB + h);
    FloatVector g20 = FloatVector.fromArray(S, g, 6 * NB + h);
    FloatVector g21 = FloatVector.fromArray(S, g, 7 * NB + h);
    FloatVector g22 = FloatVector.fromArray(S, g, 8 * NB + h);
    FloatVector a00 = g00;
    FloatVector a10 = g00.add(g10).add(g20).mul(half);
    FloatVector a20 = g00.sub(g10).add(g20).mul(half);
    FloatVector a30 = g20;
    FloatVector a01 = g01;
    FloatVector a11 = g01.add(g11).add(g21).mul(half);
    FloatVector a21 = g01.sub(g11).add(g21).mul(half);
    FloatVector a31 = g21;
    FloatVector a02 = g02;
    FloatVector a12 = g02.add(g12).add(g22).mul(half);
    FloatVector a22 = g02.sub(g12).add(g22).mul(half);
    FloatVector a32 = g22;
    FloatVector v0 = a00.add(a01).add(a02).mul(half);
    FloatVector v1 = a00.sub(a01).add(a02).mul(half);
    FloatVector v2 = a10.add(a11).add(a12).mul(half);
    FloatVector v3 = a10.sub(a11).add(a12).mul(half);
    FloatVector v4 = a20.add(a21).add(a22).mul(half);
    FloatVector v5 = a20.sub(a21).add(a22).mul(half);
    FloatVector v6 = a30.add(a31).add(a32).mul(half);
    FloatVector v7 = a30.sub(a31).add(a32).mul(half);
    if (a00.getClass() != VCLASS || v0.getClass() != VCLASS || v1.getClass() != VCLASS
        || a02.getClass() != VCLASS || a10.getClass() != VCLASS || v2.getClass() != VCLASS
        || v3.getClass() != VCLASS || a12.getClass() != VCLASS || a20.getClass() != VCLASS
        || v4.getClass() != VCLASS || v5.getClass() != VCLASS || a22.getClass() != VCLASS
        || a30.getClass() != VCLASS || v6.getClass() != VCLASS || v7.getClass() != VCLASS
        || a32.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    a00.intoArray(u, at + 0 * pointStep);
    v0.intoArray(u, at + 1 * pointStep);
    v1.intoArray(u, at + 2 * pointStep);
    a02.intoArray(u, at + 3 * pointStep);
    a10.intoArray(u, at + 4 * pointStep);
    v2.intoArray(u, at + 5 * pointStep);
    v3.intoArray(u, at + 6 * pointStep);
    a12.intoArray(u, at + 7 * pointStep);
    a20.intoArray(u, at + 8 * pointStep);
    v4.intoArray(u, at + 9 * pointStep);
    v5.intoArray(u, at + 10 * pointStep);
    a22.intoArray(u, at + 11 * pointStep);
    a30.intoArray(u, at + 12 * pointStep);
    v6.intoArray(u, at + 13 * pointStep);
    v7.intoArray(u, at + 14 * pointStep);
    a32.intoArray(u, at + 15 * pointStep);
  }

  /**
   * {@code U = G g G^T} for r = 2 and L in channels: G's rows are g0, g0 + g1 and g1 (points 0, 1,
   * infinity); tap (i, j) at {@code g[(i * 2 + j) * NB + h]}, point k to {@code u[at + k * pointStep]}.
   */
  static void filter2(float[] g, int h, float[] u, int at, int pointStep) {
    FloatVector g00 = FloatVector.fromArray(S, g, 0 * NB + h);
    FloatVector g01 = FloatVector.fromArray(S, g, 1 * NB + h);
    FloatVector g10 = FloatVector.fromArray(S, g, 2 * NB + h);
    FloatVector g11 = FloatVector.fromArray(S, g, 3 * NB + h);
    FloatVector a00 = g00;
    FloatVector a10 = g00.add(g10);
    FloatVector a20 = g10;
    FloatVector a01 = g01;
    FloatVector a11 = g01.add(g11);
    FloatVector a21 = g11;
    FloatVector v0 = a00.add(a01);
    FloatVector v1 = a10.add(a11);
    FloatVector v2 = a20.add(a21);
    if (a00.getClass() != VCLASS || v0.getClass() != VCLASS || a01.getClass() != VCLASS
        || a10.getClass() != VCLASS || v1.getClass() != VCLASS || a11.getClass() != VCLASS
        || a20.getClass() != VCLASS || v2.getClass() != VCLASS || a21.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    a00.intoArray(u, at + 0 * pointStep);
    v0.intoArray(u, at + 1 * pointStep);
    a01.intoArray(u, at + 2 * pointStep);
    a10.intoArray(u, at + 3 * pointStep);
    v1.intoArray(u, at + 4 * pointStep);
    a11.intoArray(u, at + 5 * pointStep);
    a20.intoArray(u, at + 6 * pointStep);
    v2.intoArray(u, at + 7 * pointStep);
    a21.intoArray(u, at + 8 * pointStep);
  }

  /**
   * {@code V = B^T d B} for r = 3 (4x4 windows), one tile and L out channels: d(i, j) at {@code src[s0 + (i * rowStride +
   * j) * pix]}, V(k, l) to {@code dst[d0 + (k * 4 + l) * pointStride]}; then the next L channels,
   * {@code count} channels in all (in one loop, whose bounds checks C2 hoists). Row k of {@code B^T d} needs
   * two rows of d (0 and 2; 1 and 2 for rows 1 and 2; 1 and 3), so at most twelve vectors are live:
   * JDK 17's C2 boxes vectors it cannot keep in registers, and a method that takes vectors as
   * arguments and is not inlined boxes them too.
   */
  static void input4(float[] src, int s0, int rowStride, int pix, float[] dst, int d0, int pointStride, int count) {
    int r1 = s0 + rowStride * pix;
    int r2 = r1 + rowStride * pix;
    int r3 = r2 + rowStride * pix;
    for (int c = 0; c < count; c += L) {
      // Row 0 of B^T d: d0j - d2j.
      FloatVector a0 = FloatVector.fromArray(S, src, c + s0).sub(FloatVector.fromArray(S, src, c + r2));
      FloatVector a1 = FloatVector.fromArray(S, src, c + s0 + pix).sub(FloatVector.fromArray(S, src, c + r2 + pix));
      FloatVector a2 = FloatVector.fromArray(S, src, c + s0 + 2 * pix).sub(FloatVector.fromArray(S, src, c + r2 + 2 * pix));
      FloatVector a3 = FloatVector.fromArray(S, src, c + s0 + 3 * pix).sub(FloatVector.fromArray(S, src, c + r2 + 3 * pix));
      FloatVector v0 = a0.sub(a2);
      FloatVector v1 = a1.add(a2);
      FloatVector v2 = a2.sub(a1);
      FloatVector v3 = a1.sub(a3);
      if (v0.getClass() != VCLASS || v1.getClass() != VCLASS || v2.getClass() != VCLASS
          || v3.getClass() != VCLASS) {
        throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
      }
      v0.intoArray(dst, c + d0);
      v1.intoArray(dst, c + d0 + 1 * pointStride);
      v2.intoArray(dst, c + d0 + 2 * pointStride);
      v3.intoArray(dst, c + d0 + 3 * pointStride);
      // Rows 1 and 2: d1j + d2j and d2j - d1j.
      FloatVector x0 = FloatVector.fromArray(S, src, c + r1);
      FloatVector y0 = FloatVector.fromArray(S, src, c + r2);
      FloatVector b0 = x0.add(y0);
      FloatVector c0 = y0.sub(x0);
      FloatVector x1 = FloatVector.fromArray(S, src, c + r1 + pix);
      FloatVector y1 = FloatVector.fromArray(S, src, c + r2 + pix);
      FloatVector b1 = x1.add(y1);
      FloatVector c1 = y1.sub(x1);
      FloatVector x2 = FloatVector.fromArray(S, src, c + r1 + 2 * pix);
      FloatVector y2 = FloatVector.fromArray(S, src, c + r2 + 2 * pix);
      FloatVector b2 = x2.add(y2);
      FloatVector c2 = y2.sub(x2);
      FloatVector x3 = FloatVector.fromArray(S, src, c + r1 + 3 * pix);
      FloatVector y3 = FloatVector.fromArray(S, src, c + r2 + 3 * pix);
      FloatVector b3 = x3.add(y3);
      FloatVector c3 = y3.sub(x3);
      FloatVector v4 = b0.sub(b2);
      FloatVector v5 = b1.add(b2);
      FloatVector v6 = b2.sub(b1);
      FloatVector v7 = b1.sub(b3);
      FloatVector v8 = c0.sub(c2);
      FloatVector v9 = c1.add(c2);
      FloatVector v10 = c2.sub(c1);
      FloatVector v11 = c1.sub(c3);
      if (v4.getClass() != VCLASS || v5.getClass() != VCLASS || v6.getClass() != VCLASS
          || v7.getClass() != VCLASS || v8.getClass() != VCLASS || v9.getClass() != VCLASS
          || v10.getClass() != VCLASS || v11.getClass() != VCLASS) {
        throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
      }
      v4.intoArray(dst, c + d0 + 4 * pointStride);
      v5.intoArray(dst, c + d0 + 5 * pointStride);
      v6.intoArray(dst, c + d0 + 6 * pointStride);
      v7.intoArray(dst, c + d0 + 7 * pointStride);
      v8.intoArray(dst, c + d0 + 8 * pointStride);
      v9.intoArray(dst, c + d0 + 9 * pointStride);
      v10.intoArray(dst, c + d0 + 10 * pointStride);
      v11.intoArray(dst, c + d0 + 11 * pointStride);
      // Row 3: d1j - d3j.
      FloatVector e0 = FloatVector.fromArray(S, src, c + r1).sub(FloatVector.fromArray(S, src, c + r3));
      FloatVector e1 = FloatVector.fromArray(S, src, c + r1 + pix).sub(FloatVector.fromArray(S, src, c + r3 + pix));
      FloatVector e2 = FloatVector.fromArray(S, src, c + r1 + 2 * pix).sub(FloatVector.fromArray(S, src, c + r3 + 2 * pix));
      FloatVector e3 = FloatVector.fromArray(S, src, c + r1 + 3 * pix).sub(FloatVector.fromArray(S, src, c + r3 + 3 * pix));
      FloatVector v12 = e0.sub(e2);
      FloatVector v13 = e1.add(e2);
      FloatVector v14 = e2.sub(e1);
      FloatVector v15 = e1.sub(e3);
      if (v12.getClass() != VCLASS || v13.getClass() != VCLASS || v14.getClass() != VCLASS
          || v15.getClass() != VCLASS) {
        throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
      }
      v12.intoArray(dst, c + d0 + 12 * pointStride);
      v13.intoArray(dst, c + d0 + 13 * pointStride);
      v14.intoArray(dst, c + d0 + 14 * pointStride);
      v15.intoArray(dst, c + d0 + 15 * pointStride);
    }
  }

  /**
   * {@code Y = A^T M A} for r = 3 (4x4 points), one tile and L in channels: M(k, l) at {@code m[m0 + (k * 4 + l) *
   * pointStride]}; Y(a, b) to {@code y[y0 + a * rowStride + b * pix]}.
   */
  static void output4(float[] m, int m0, int pointStride, float[] y, int y0, int rowStride, int pix) {
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
    FloatVector v0 = s00.add(s01).add(s02);
    FloatVector v1 = s01.sub(s02).sub(s03);
    FloatVector v2 = s10.add(s11).add(s12);
    FloatVector v3 = s11.sub(s12).sub(s13);
    if (v0.getClass() != VCLASS || v1.getClass() != VCLASS || v2.getClass() != VCLASS
        || v3.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    v0.intoArray(y, y0);
    v1.intoArray(y, y0 + pix);
    v2.intoArray(y, y0 + rowStride);
    v3.intoArray(y, y0 + rowStride + pix);
  }

  /**
   * {@code V = B^T d B} for r = 2 (3x3 windows; {@code B^T} rows d0 - d1, d1, d2 - d1), one tile and L
   * out channels: d(i, j) at {@code src[s0 + (i * rowStride + j) * pix]}, V(k, l) to {@code dst[d0 +
   * (k * 3 + l) * pointStride]}; then the next L channels, {@code count} channels in all.
   */
  static void input3(float[] src, int s0, int rowStride, int pix, float[] dst, int d0, int pointStride, int count) {
    int r1 = s0 + rowStride * pix;
    int r2 = r1 + rowStride * pix;
    for (int c = 0; c < count; c += L) {
      FloatVector x0 = FloatVector.fromArray(S, src, c + r1);
      FloatVector x1 = FloatVector.fromArray(S, src, c + r1 + pix);
      FloatVector x2 = FloatVector.fromArray(S, src, c + r1 + 2 * pix);
      FloatVector a0 = FloatVector.fromArray(S, src, c + s0).sub(x0);
      FloatVector a1 = FloatVector.fromArray(S, src, c + s0 + pix).sub(x1);
      FloatVector a2 = FloatVector.fromArray(S, src, c + s0 + 2 * pix).sub(x2);
      FloatVector v0 = a0.sub(a1);
      FloatVector v1 = a2.sub(a1);
      FloatVector v2 = x0.sub(x1);
      FloatVector v3 = x2.sub(x1);
      if (v0.getClass() != VCLASS || a1.getClass() != VCLASS || v1.getClass() != VCLASS
          || v2.getClass() != VCLASS || x1.getClass() != VCLASS || v3.getClass() != VCLASS) {
        throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
      }
      v0.intoArray(dst, c + d0);
      a1.intoArray(dst, c + d0 + pointStride);
      v1.intoArray(dst, c + d0 + 2 * pointStride);
      v2.intoArray(dst, c + d0 + 3 * pointStride);
      x1.intoArray(dst, c + d0 + 4 * pointStride);
      v3.intoArray(dst, c + d0 + 5 * pointStride);
      FloatVector c0 = FloatVector.fromArray(S, src, c + r2).sub(x0);
      FloatVector c1 = FloatVector.fromArray(S, src, c + r2 + pix).sub(x1);
      FloatVector c2 = FloatVector.fromArray(S, src, c + r2 + 2 * pix).sub(x2);
      FloatVector v4 = c0.sub(c1);
      FloatVector v5 = c2.sub(c1);
      if (v4.getClass() != VCLASS || c1.getClass() != VCLASS || v5.getClass() != VCLASS) {
        throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
      }
      v4.intoArray(dst, c + d0 + 6 * pointStride);
      c1.intoArray(dst, c + d0 + 7 * pointStride);
      v5.intoArray(dst, c + d0 + 8 * pointStride);
    }
  }

  /**
   * {@code Y = A^T M A} for r = 2 (3x3 points; {@code A^T} rows M0 + M1, M1 + M2), one tile and L in
   * channels: M(k, l) at {@code m[m0 + (k * 3 + l) * pointStride]}; Y(a, b) to {@code y[y0 + a *
   * rowStride + b * pix]}.
   */
  static void output3(float[] m, int m0, int pointStride, float[] y, int y0, int rowStride, int pix) {
    FloatVector m00 = FloatVector.fromArray(S, m, m0);
    FloatVector m01 = FloatVector.fromArray(S, m, m0 + pointStride);
    FloatVector m02 = FloatVector.fromArray(S, m, m0 + 2 * pointStride);
    FloatVector m10 = FloatVector.fromArray(S, m, m0 + 3 * pointStride);
    FloatVector m11 = FloatVector.fromArray(S, m, m0 + 4 * pointStride);
    FloatVector m12 = FloatVector.fromArray(S, m, m0 + 5 * pointStride);
    FloatVector m20 = FloatVector.fromArray(S, m, m0 + 6 * pointStride);
    FloatVector m21 = FloatVector.fromArray(S, m, m0 + 7 * pointStride);
    FloatVector m22 = FloatVector.fromArray(S, m, m0 + 8 * pointStride);
    FloatVector s00 = m00.add(m10);
    FloatVector s01 = m01.add(m11);
    FloatVector s02 = m02.add(m12);
    FloatVector s10 = m10.add(m20);
    FloatVector s11 = m11.add(m21);
    FloatVector s12 = m12.add(m22);
    FloatVector v0 = s00.add(s01);
    FloatVector v1 = s01.add(s02);
    FloatVector v2 = s10.add(s11);
    FloatVector v3 = s11.add(s12);
    if (v0.getClass() != VCLASS || v1.getClass() != VCLASS || v2.getClass() != VCLASS
        || v3.getClass() != VCLASS) {
      throw new IllegalStateException(); // unreachable: the test tells C2 their class (F32Tiles#VCLASS)
    }
    v0.intoArray(y, y0);
    v1.intoArray(y, y0 + pix);
    v2.intoArray(y, y0 + rowStride);
    v3.intoArray(y, y0 + rowStride + pix);
  }
}
