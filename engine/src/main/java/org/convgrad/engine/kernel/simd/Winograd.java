package org.convgrad.engine.kernel.simd;

import static org.convgrad.engine.kernel.simd.F32Tiles.L;
import static org.convgrad.engine.kernel.simd.F32Tiles.NB;
import static org.convgrad.engine.kernel.simd.F32Tiles.S;
import static org.convgrad.engine.kernel.simd.F32Tiles.VCLASS;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.convgrad.engine.DType;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Shape;
import org.jspecify.annotations.Nullable;

/**
 * Winograd's minimal filtering F(2x2, r x r) (Lavin and Gray, 2015) for float32-family problems
 * with one group, no dilation, stride s of 1 or 2 and a square filter whose every stride phase has
 * 2 or 3 taps a side (S1 and S6: 3x3, stride 1; S4: 4x4, stride 2; 5x5 and 6x6 at stride 2). With
 * stride s the result splits into s * s phases (pixels with the same (y + padTop) mod s and (x +
 * padLeft) mod s); each phase reads out_backprop through an ry x rx sub-filter at stride 1 ({@link
 * #sub}; 5x5 at stride 2: 3x3, 3x2, 2x3 and 2x2). Each 2x2 block of a phase is {@code Y = A^T [sum
 * over co of U(ci, co) . V(co)] A}, where {@code V = B^T d B} transforms the (ry+1) x (rx+1) window
 * d of out_backprop the block reads and {@code U = G g G^T} the rotated sub-filter g of (ci, co);
 * phases of mixed sizes take their transforms from {@link WinogradSeparable}. The sum over co is
 * (ry+1) (rx+1) independent GEMMs, one per point of the transform, run on the block tiles: 16
 * multiply-adds per 2x2 pixels instead of 36 for 3x3 taps, 9 instead of 16 for 2x2, plus the
 * transforms (additions, linear in the data).
 *
 * <p>The result differs from the direct sums by rounding only: the transforms add and halve, and
 * the tests hold it to the same tolerance as the direct kernels. Where that is not so, Winograd is
 * not used: a non-finite filter or out_backprop value (a transform would mix it into its
 * neighbours' results: {@code inf - inf}), or values so large that a transformed sum could
 * overflow where the direct one does not ({@link #limit}).
 */
final class Winograd {
  private Winograd() {}

  /** Out channels whose filter values {@link #pack} gathers together. */
  private static final int CO_GROUP = 8;

  /**
   * Whether Winograd computes this problem (see the class comment); in channels below 8 run the pixel
   * tiles. Nothing a packed filter may differ in ({@link org.convgrad.engine.kernel.PackedFilter})
   * counts: a packed and a plain filter give the same bits.
   */
  static boolean applies(Plan p, DType dtype) {
    int s = p.sh;
    return dtype != DType.FLOAT64 && p.groups == 1 && p.dh == 1 && p.dw == 1 && p.sw == s && (s == 1 || s == 2)
        // Two or three taps per phase and dimension. With one (3x3 at stride 2, S2: phases of 2x2,
        // 2x1, 1x2 and 1x1 taps, 1.44x fewer multiply-adds in all) the transforms cost what the
        // GEMMs save: 0.98-1.03x the direct tiles on S2. A 5x5 filter at stride 2 ran 1.6x faster.
        && p.fh == p.fw && p.fh <= 3 * s && sub(p, s - 1) >= 2
        && p.fid >= 8 && p.oc >= 8
        // Its packed filter and a worker's scratch are int-indexed arrays.
        && (long) totalPoints(p) * ((p.fid + NB - 1) / NB) * p.oc * NB <= Shape.MAX_ELEMENTS
        && WinogradWorker.scratchFloats(p) <= Shape.MAX_ELEMENTS;
  }

  /**
   * The sub-filter size of phase row (or column) q: the taps {@code q, q + s, ...} below the filter
   * size, 2 or 3 where Winograd applies. Phase 0 has the most.
   */
  static int sub(Plan p, int q) {
    return (p.fh - q + p.sh - 1) / p.sh;
  }

  /** Points of the transform of a phase, one GEMM each: (ry + 1) * (rx + 1). */
  static int points(Plan p, int phase) {
    return (sub(p, phase / p.sh) + 1) * (sub(p, phase % p.sh) + 1);
  }

  /** The points of the phases before {@code phase}: where its packed filter starts. */
  static int pointBase(Plan p, int phase) {
    int sum = 0;
    for (int q = 0; q < phase; q++) {
      sum += points(p, q);
    }
    return sum;
  }

  static int totalPoints(Plan p) {
    return pointBase(p, p.sh * p.sh);
  }

  /**
   * The filter transformed and packed for the block tiles: for each phase, point, in-channel block
   * cb of {@link F32Tiles#NB} and out channel co, the NB in channels ({@code
   * [phase][point][cb][co][NB]}, zero past fid; phase q starts at point {@link #pointBase}); and the
   * filter itself, from which the direct kernel's packing is made the first time a call needs it (a
   * call Winograd declines).
   */
  static final class Packed {
    final float[] u;
    final int blocks;
    /** The filter's largest magnitude: NaN when an element is not finite. */
    final float maxAbs;
    private final Plan plan;
    private final float[] filter;
    private final boolean dot;
    private F32Worker.@Nullable Packed direct;

    Packed(float[] u, int blocks, float maxAbs, Plan plan, float[] filter, boolean dot) {
      this.u = u;
      this.blocks = blocks;
      this.maxAbs = maxAbs;
      this.plan = plan;
      this.filter = filter;
      this.dot = dot;
    }

    /** The direct kernel's packing of the filter. */
    synchronized F32Worker.Packed direct() {
      if (direct == null) {
        direct = F32Worker.pack(plan, filter, dot, false);
      }
      return direct;
    }
  }

  /**
   * Transforms and packs HWIO {@code w}, which the result keeps (see {@link Packed}: the caller
   * passes a copy it will not change), in float32 vectors of in channels; the phases and in-channel
   * blocks are shared out on {@code pool} (a large filter, S4's, took a fifth of a call to transform
   * on one thread, element by element).
   */
  static Packed pack(Plan p, float[] w, boolean dot, WorkPool pool) {
    int s = p.sh;
    int blocks = (p.fid + NB - 1) / NB;
    float[] u = new float[totalPoints(p) * blocks * p.oc * NB];
    // A task is one phase and in-channel block. Per group of CO_GROUP out channels, the sub-filter's
    // NB in channels of each tap are gathered into g, transformed as vectors and stored as whole
    // NB-float rows of u. HWIO holds a tap's in channels oc apart and their out channels side by
    // side: gathered one out channel at a time, every read touched a cache line of its own (S4's
    // filter took 2 ms to pack, a tenth of a call).
    int tasks = s * s * blocks;
    AtomicInteger next = new AtomicInteger();
    pool.parallelFor(Math.min(pool.threads(), tasks), worker -> {
      float[] g = new float[CO_GROUP * 9 * NB];
      float[] tmp = new float[16 * L];
      for (int t = next.getAndIncrement(); t < tasks; t = next.getAndIncrement()) {
        int phase = t / blocks;
        int cb = t % blocks;
        int py = phase / s;
        int px = phase % s;
        int ry = sub(p, py);
        int rx = sub(p, px);
        int cis = Math.min(NB, p.fid - cb * NB);
        int pointStep = blocks * p.oc * NB;
        Arrays.fill(g, 0f); // in channels past fid stay zero
        for (int co0 = 0; co0 < p.oc; co0 += CO_GROUP) {
          int n = Math.min(CO_GROUP, p.oc - co0);
          for (int i = 0; i < ry; i++) {
            for (int j = 0; j < rx; j++) {
              // The phase's rotated sub-filter: window row i of the block at out_backprop row Y
              // is Y - (ry - 1) + i, which tap ky = py + s * (ry - 1 - i) reaches.
              int ky = py + s * (ry - 1 - i);
              int kx = px + s * (rx - 1 - j);
              int src = ((ky * p.fw + kx) * p.fid + cb * NB) * p.oc + co0;
              int dst = (i * rx + j) * NB;
              for (int c = 0; c < cis; c++) {
                for (int q = 0; q < n; q++) {
                  g[q * 9 * NB + dst + c] = w[src + c * p.oc + q];
                }
              }
            }
          }
          for (int q = 0; q < n; q++) {
            int at = ((pointBase(p, phase) * blocks + cb) * p.oc + co0 + q) * NB;
            for (int h = q * 9 * NB; h < q * 9 * NB + NB; h += L) {
              int to = at + h - q * 9 * NB;
              if (ry == 3 && rx == 3) {
                transformFilter3(g, h, u, to, pointStep);
              } else if (ry == 2 && rx == 2) {
                transformFilter2(g, h, u, to, pointStep);
              } else {
                WinogradSeparable.filter(ry, rx, g, h, u, to, pointStep, tmp);
              }
            }
          }
        }
      }
    });
    // The filter's largest magnitude, NaN when an element is not finite.
    float max = (float) maxAbs(w, 0, w.length);
    return new Packed(u, blocks, max, p, w, dot);
  }

  /**
   * {@code U = G g G^T} for r = 3 and L in channels: G's rows are g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2
   * and g2 (points 0, 1, -1, infinity); tap (i, j) at {@code g[(i * 3 + j) * NB + h]}, point k to
   * {@code u[at + k * pointStep]}.
   */
  private static void transformFilter3(float[] g, int h, float[] u, int at, int pointStep) {
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
  private static void transformFilter2(float[] g, int h, float[] u, int at, int pointStep) {
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
   * The largest out_backprop magnitude Winograd takes with this filter, or a negative number when
   * the filter has a non-finite element. The transforms scale a result's terms by at most 4 (V),
   * 9/4 (U) and 9 (the output transform; less for r = 2): below {@code MAX_VALUE / (81 * oc *
   * max|w|)} no intermediate overflows. An out_backprop value above it, or not finite, sends the call to the
   * direct tiles.
   */
  static double limit(Plan p, Packed f) {
    if (!(f.maxAbs >= 0f)) {
      return -1;
    }
    return Math.min(Float.MAX_VALUE, Float.MAX_VALUE / (81.0 * p.oc * f.maxAbs));
  }

  /** The largest magnitude among {@code a[from .. from + n)}, or NaN when one is not finite. */
  static double maxAbs(float[] a, int from, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i < S.loopBound(n); i += L) {
      // The loaded vector is the receiver, not acc: a call on a loop-carried vector is what C2 may
      // bind through a real virtual call (see F32Tiles#VCLASS), and acc would then be boxed every iteration.
      acc = FloatVector.fromArray(S, a, from + i).abs().max(acc);
    }
    float max = acc.reduceLanes(VectorOperators.MAX);
    for (; i < n; i++) {
      max = Math.max(max, Math.abs(a[from + i]));
    }
    // An infinity or a NaN makes max infinite or NaN (max propagates NaN).
    return Float.isFinite(max) ? max : Double.NaN;
  }

  /**
   * {@code V = B^T d B} for r = 3 (4x4 windows), one tile and L out channels: d(i, j) at {@code src[s0 + (i * rowStride +
   * j) * pix]}, V(k, l) to {@code dst[d0 + (k * 4 + l) * pointStride]}; then the next L channels,
   * {@code count} channels in all (in one loop, whose bounds checks C2 hoists). Row k of {@code B^T d} needs
   * two rows of d (0 and 2; 1 and 2 for rows 1 and 2; 1 and 3), so at most twelve vectors are live:
   * JDK 17's C2 boxes vectors it cannot keep in registers, and a method that takes vectors as
   * arguments and is not inlined boxes them too.
   */
  static void inputTransform4(float[] src, int s0, int rowStride, int pix, float[] dst, int d0, int pointStride, int count) {
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
  static void outputTransform4(float[] m, int m0, int pointStride, float[] y, int y0, int rowStride, int pix) {
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
  static void inputTransform3(float[] src, int s0, int rowStride, int pix, float[] dst, int d0, int pointStride, int count) {
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
  static void outputTransform3(float[] m, int m0, int pointStride, float[] y, int y0, int rowStride, int pix) {
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
