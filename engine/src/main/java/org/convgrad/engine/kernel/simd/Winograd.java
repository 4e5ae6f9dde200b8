package org.convgrad.engine.kernel.simd;

import static org.convgrad.engine.kernel.simd.F32Tiles.L;
import static org.convgrad.engine.kernel.simd.F32Tiles.NB;
import static org.convgrad.engine.kernel.simd.F32Tiles.S;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.convgrad.engine.DType;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Shape;
import org.jspecify.annotations.Nullable;

/**
 * Winograd's minimal filtering F(m x m, r x r) (Lavin and Gray, 2015) for float32-family problems
 * with one group, no dilation, stride s of 1 or 2 and a square filter whose stride phases have 1 to
 * 3 taps a side, phase 0 at least 2 (S1 and S6: 3x3, stride 1; S4: 4x4, stride 2; S2: 3x3 at stride
 * 2, phases of 2x2, 2x1, 1x2 and 1x1 taps; 5x5 and 6x6 at stride 2). With stride s the result
 * splits into s * s phases (pixels with the same (y + padTop) mod s and (x + padLeft) mod s); each
 * phase reads out_backprop through an ry x rx sub-filter at stride 1 ({@link #sub}; 5x5 at stride 2:
 * 3x3, 3x2, 2x3 and 2x2). Each m x m block of a phase is {@code Y = A^T [sum over co of U(ci, co) .
 * V(co)] A}, where {@code V = B^T d B} transforms the (m + ry - 1) x (m + rx - 1) window d of
 * out_backprop the block reads and {@code U = G g G^T} the rotated sub-filter g of (ci, co). The
 * block side m ({@link #side}) is 4 for 3x3 filters at stride 2 (S2: phases of 2x2, 2x1, 1x2 and 1x1
 * taps), else 2; phases of mixed sizes and side 4 take their transforms from {@link
 * WinogradSeparable}. The sum over co is
 * one independent GEMM per point of the transform, run on the block tiles: per 2x2 pixels, 16
 * multiply-adds instead of 36 for 3x3 taps, 9 instead of 16 for 2x2 (side 4: 6.25), 6 instead of 8
 * for 2x1 (side 4: 5), plus the transforms (additions, linear in the data). A 1x1 phase has no
 * transform: its GEMMs read the staged out_backprop pixels themselves.
 *
 * <p>The result differs from the direct sums by rounding only: the transforms add and scale, and
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
        // One to three taps per phase and dimension, phase 0 two or more: 3x3 at stride 2 (S2, 1.44x
        // fewer multiply-adds) ran 1.19x faster than the direct tiles, 5x5 1.75x. With one tap in
        // every phase (2x2 at stride 2, 1x1) nothing is saved.
        && p.fh == p.fw && sub(p, 0) >= 2 && sub(p, 0) <= 3
        && p.fid >= 8 && p.oc >= 8
        // Its packed filter and a worker's scratch are int-indexed arrays.
        && (long) filterBase(p, p.sh * p.sh) * ((p.fid + NB - 1) / NB) * p.oc * NB <= Shape.MAX_ELEMENTS
        && WinogradWorker.scratchFloats(p) <= Shape.MAX_ELEMENTS;
  }

  /**
   * The sub-filter size of phase row (or column) q: the taps {@code q, q + s, ...} below the filter
   * size, 1 to 3 where Winograd applies. Phase 0 has the most, 2 or 3.
   */
  static int sub(Plan p, int q) {
    return (p.fh - q + p.sh - 1) / p.sh;
  }

  /**
   * Result pixels a side of a block: 4 where phase 0, which has the most taps, has 2 a side and
   * phase 1 one (3x3 at stride 2, S2: F(4, 2) does 25 multiply-adds per 16 pixels of a 2x2 phase
   * where F(2, 2) does 36, 81 against 100 over S2's four phases), else 2. F(4, 3)'s points 2 and -2
   * would scale its rounding error past the direct kernels' tolerance. S4 (4x4 at stride 2, every
   * phase 2x2) ran no faster on side 4 with its filter packed once, and slower packing it in each
   * call: its transformed filter grows from 4.7 to 13 MB, read once per image.
   */
  static int side(Plan p) {
    return sub(p, 0) == 2 && p.sh == 2 && sub(p, 1) == 1 ? 4 : 2;
  }

  /** Points of the transform of a phase, one GEMM each: (m + ry - 1) * (m + rx - 1), m = {@link #side}. */
  static int points(Plan p, int phase) {
    int m = side(p);
    return (m + sub(p, phase / p.sh) - 1) * (m + sub(p, phase % p.sh) - 1);
  }

  /**
   * Points of a phase's transformed filter: as {@link #points}, but one for a dimension of one tap,
   * whose G repeats the tap at every point (S2's phases keep 25, 5, 5 and 1 where their GEMMs have
   * 25, 20, 20 and 16): the GEMMs of those points share it ({@link #filterPoint}).
   */
  static int filterPoints(Plan p, int phase) {
    return filterSide(p, sub(p, phase / p.sh)) * filterSide(p, sub(p, phase % p.sh));
  }

  /** The filter point of the phase's point k (its GEMM's packed filter). */
  static int filterPoint(Plan p, int phase, int k) {
    int rx = sub(p, phase % p.sh);
    int nx = side(p) + rx - 1;
    int fy = sub(p, phase / p.sh) == 1 ? 0 : k / nx;
    int fx = rx == 1 ? 0 : k % nx;
    return fy * filterSide(p, rx) + fx;
  }

  private static int filterSide(Plan p, int r) {
    return r == 1 ? 1 : side(p) + r - 1;
  }

  /** The filter points of the phases before {@code phase}: where its packed filter starts. */
  static int filterBase(Plan p, int phase) {
    int sum = 0;
    for (int q = 0; q < phase; q++) {
      sum += filterPoints(p, q);
    }
    return sum;
  }

  /**
   * The filter transformed and packed for the block tiles: for each phase, filter point ({@link
   * #filterPoints}), in-channel block cb of {@link F32Tiles#NB} and out channel co, the NB in
   * channels ({@code [phase][filter point][cb][co][NB]}, zero past fid; phase q starts at filter
   * point {@link #filterBase}); and the
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
        direct = F32Worker.pack(plan, filter, dot, false, WorkPool.singleThreaded());
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
    int side = side(p);
    float[] u = new float[filterBase(p, s * s) * blocks * p.oc * NB];
    // A task is one phase and in-channel block. Per group of CO_GROUP out channels, the sub-filter's
    // NB in channels of each tap are gathered into g, transformed as vectors and stored as whole
    // NB-float rows of u. HWIO holds a tap's in channels oc apart and their out channels side by
    // side: gathered one out channel at a time, every read touched a cache line of its own (S4's
    // filter took 2 ms to pack, a tenth of a call).
    int tasks = s * s * blocks;
    AtomicInteger next = new AtomicInteger();
    pool.parallelFor(Math.min(pool.threads(), tasks), worker -> {
      float[] g = new float[CO_GROUP * 9 * NB];
      float[] tmp = new float[points(p, 0) * L];
      for (int t = next.getAndIncrement(); t < tasks; t = next.getAndIncrement()) {
        int phase = t / blocks;
        int cb = t % blocks;
        int py = phase / s;
        int px = phase % s;
        int ry = sub(p, py);
        int rx = sub(p, px);
        int cis = Math.min(NB, p.fid - cb * NB);
        int pointStep = blocks * p.oc * NB;
        int base = filterBase(p, phase);
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
            int at = ((base * blocks + cb) * p.oc + co0 + q) * NB;
            for (int h = q * 9 * NB; h < q * 9 * NB + NB; h += L) {
              int to = at + h - q * 9 * NB;
              if (side == 2 && ry == 3 && rx == 3) {
                WinogradTransforms.filter3(g, h, u, to, pointStep);
              } else if (side == 2 && ry == 2 && rx == 2) {
                WinogradTransforms.filter2(g, h, u, to, pointStep);
              } else {
                WinogradSeparable.filter(side, ry, rx, g, h, u, to, pointStep, tmp);
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
   * The largest out_backprop magnitude Winograd takes with this filter, or a negative number when
   * the filter has a non-finite element. The transforms scale a result's terms by at most the
   * squares of their 1D matrices' largest row sums of magnitudes: side 2, 4 (B^T), 9/4 (G) and 9
   * (A^T; less for r = 2); side 4, 36, 1 and 121: below {@code MAX_VALUE / (81 * oc * max|w|)}
   * (side 4: 4356 for 81) no intermediate overflows. An out_backprop value above it, or not finite,
   * sends the call to the direct tiles.
   */
  static double limit(Plan p, Packed f) {
    if (!(f.maxAbs >= 0f)) {
      return -1;
    }
    double growth = side(p) == 4 ? 36.0 * 121 : 81.0;
    return Math.min(Float.MAX_VALUE, Float.MAX_VALUE / (growth * p.oc * f.maxAbs));
  }

  /**
   * Copies {@code a[from .. from + n)} to {@code to[at ..]} and returns {@link #maxAbs} of them: a
   * copy that finds what a scan would in the same pass.
   */
  static double copyMaxAbs(float[] a, int from, float[] to, int at, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i < S.loopBound(n); i += L) {
      FloatVector v = FloatVector.fromArray(S, a, from + i);
      if (v.getClass() != F32Tiles.VCLASS) { // the stored vector's class known: see F32Tiles.VCLASS
        throw new IllegalStateException();
      }
      v.intoArray(to, at + i);
      acc = v.abs().max(acc);
    }
    float max = acc.reduceLanes(VectorOperators.MAX);
    for (; i < n; i++) {
      to[at + i] = a[from + i];
      max = Math.max(max, Math.abs(a[from + i]));
    }
    return Float.isFinite(max) ? max : Double.NaN;
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

}
