package org.convgrad.engine.kernel.simd;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvGeometry;
import org.convgrad.engine.DataFormat;

/**
 * One problem's geometry as ints, and the stride-phase decomposition of a result row that every
 * row shares: the result pixels of one row are split by phase ({@code (x + padLeft) mod
 * strideW}), and each phase into runs of consecutive same-phase pixels that the same filter
 * columns reach. Along a run, each tap's out_backprop pixel advances by one, so a run is the row
 * block of a small GEMM whose A rows are read in place (an implicit GEMM).
 */
final class Plan {
  final int batch;
  final int h;
  final int w;
  final int ic;
  final int oh;
  final int ow;
  final int oc;
  final int fh;
  final int fw;
  final int fid;
  final int groups;
  final int cg;
  final int sh;
  final int sw;
  final int dh;
  final int dw;
  final int padTop;
  final int padLeft;
  final boolean nhwc;
  /** 1x1 filter, stride 1, no padding: result pixel i reads out_backprop pixel i only. */
  final boolean pointwise;

  /**
   * The order of the filter columns in the packed filter and in every tap list: by {@code kx mod
   * strideW}, then descending. Along that order the taps of a run read consecutive out_backprop
   * pixels (with dilation 1), so consecutive taps of one filter row merge into one longer
   * reduction over contiguous memory (see {@link RowWorker}). {@code kxOrder[pos] = kx}, {@code
   * kxPos[kx] = pos}.
   */
  final int[] kxOrder;
  final int[] kxPos;

  /** The runs of a result row whose every tap reads out_backprop inside the image. */
  final Runs exact;
  /**
   * One run per stride phase with every filter column of the phase: a pixel near the image edge
   * also reads the out_backprop columns its taps miss, {@link Runs#marginLeft} left of column 0 and
   * {@link Runs#marginRight} right of the last, which the reader keeps at zero. Adding {@code 0 * w}
   * leaves every accumulator's bits as they are (it starts at +0 and is never -0) when the filter
   * is finite, and edge pixels then share the wide tiles of the phase instead of filling one each.
   */
  final Runs padded;

  /** A result row cut into runs: first pixel, pixel count, bit kx set of the filter columns it reads. */
  static final class Runs {
    final int[] x0;
    final int[] n;
    final long[] mask;
    final int count;
    final int marginLeft;
    final int marginRight;

    Runs(int[] x0, int[] n, long[] mask, int count, int marginLeft, int marginRight) {
      this.x0 = x0;
      this.n = n;
      this.mask = mask;
      this.count = count;
      this.marginLeft = marginLeft;
      this.marginRight = marginRight;
    }

    /** Tiles of {@code span} pixels times taps per filter row: the work of a row cut this way, for pixel tiles. */
    long tileTaps(int span) {
      long sum = 0;
      for (int r = 0; r < count; r++) {
        sum += (long) ((n[r] + span - 1) / span) * Long.bitCount(mask[r]);
      }
      return sum;
    }
  }

  Plan(Conv2dBackpropInput op) {
    ConvGeometry g = op.geometry();
    batch = (int) g.batch();
    h = (int) g.inHeight();
    w = (int) g.inWidth();
    ic = (int) g.inDepth();
    oh = (int) g.outHeight();
    ow = (int) g.outWidth();
    oc = (int) g.outDepth();
    fh = (int) g.filterHeight();
    fw = (int) g.filterWidth();
    fid = (int) g.filterInDepth();
    groups = (int) g.groups();
    cg = (int) g.outDepthPerGroup();
    sh = (int) g.strideH();
    sw = (int) g.strideW();
    dh = (int) g.dilationH();
    dw = (int) g.dilationW();
    padTop = (int) g.padTop();
    padLeft = (int) g.padLeft();
    nhwc = g.dataFormat() == DataFormat.NHWC;
    // A band decides as the problem it was cut from, so that it computes the same bits.
    ConvGeometry whole = op.whole().geometry();
    pointwise =
        fh == 1 && fw == 1 && sh == 1 && sw == 1 && whole.padTop() == 0 && whole.padBottom() == 0
            && whole.padLeft() == 0 && whole.padRight() == 0;

    kxOrder = new int[fw];
    kxPos = new int[fw];
    int pos = 0;
    for (int c = 0; c < Math.min(sw, fw); c++) {
      for (int kx = fw - 1; kx >= 0; kx--) {
        if (kx % sw == c) {
          kxOrder[pos] = kx;
          kxPos[kx] = pos;
          pos++;
        }
      }
    }

    exact = exactRuns();
    padded = phaseRuns();
  }

  private Runs exactRuns() {
    int[] x0 = new int[Math.max(1, w)];
    int[] n = new int[x0.length];
    long[] m = new long[x0.length];
    int count = 0;
    for (int phase = 0; phase < Math.min(sw, w); phase++) {
      int x = phase;
      while (x < w) {
        long mask = columns(x);
        int start = x;
        int len = 1;
        x += sw;
        while (x < w && columns(x) == mask) {
          len++;
          x += sw;
        }
        x0[count] = start;
        n[count] = len;
        m[count] = mask;
        count++;
      }
    }
    return new Runs(x0, n, m, count, 0, 0);
  }

  private Runs phaseRuns() {
    int phases = Math.min(sw, w);
    int[] x0 = new int[Math.max(1, phases)];
    int[] n = new int[x0.length];
    long[] m = new long[x0.length];
    long left = 0;
    long right = 0;
    for (int phase = 0; phase < phases; phase++) {
      x0[phase] = phase;
      n[phase] = (w - phase + sw - 1) / sw;
      for (int kx = 0; kx < fw; kx++) {
        long tx = (long) phase + padLeft - (long) kx * dw;
        if (Math.floorMod(tx, sw) == 0) {
          m[phase] |= 1L << kx;
          long first = tx / sw;
          left = Math.max(left, -first);
          right = Math.max(right, first + n[phase] - 1 - (ow - 1));
        }
      }
    }
    return new Runs(x0, n, m, phases, (int) Math.min(left, Integer.MAX_VALUE), (int) Math.min(right, Integer.MAX_VALUE));
  }

  /** The filter columns kx (as bits) whose taps reach result column x. */
  private long columns(int x) {
    long mask = 0;
    for (int kx = 0; kx < fw; kx++) {
      long tx = (long) x + padLeft - (long) kx * dw;
      if (tx >= 0 && tx % sw == 0 && tx / sw < ow) {
        mask |= 1L << kx;
      }
    }
    return mask;
  }

  /** The packed tap index of filter tap (ky, kx). */
  int packedTap(int ky, int kx) {
    return ky * fw + kxPos[kx];
  }

  /** The out_backprop column of the first pixel of a run starting at x0, for filter column kx. */
  int firstOx(int x0, int kx) {
    return (x0 + padLeft - kx * dw) / sw;
  }
}
