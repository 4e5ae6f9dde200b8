package org.convgrad.engine.kernel.simd;

/**
 * Walks the result one row (or, for pointwise problems, one block of pixels) at a time: finds the
 * filter rows that reach the row, makes the out_backprop rows they read available (in place, or
 * staged: converted or transposed into per-thread scratch), lists each run's taps and hands the
 * run to the dtype's tiles. One per worker thread per call; its arrays are that thread's scratch.
 *
 * <p>Every result element is computed by exactly one run, by one thread, as one chain of FMAs over
 * its taps in (ky, kx) order and, per tap, its out channels in ascending order: no reduction is
 * split, so results do not depend on the thread count or on how runs are cut into tiles.
 */
abstract class RowWorker {
  final Plan p;
  final int[] slotKy;
  final int[] slotOy;
  /** Offset, in the out_backprop source, of out_backprop row {@code slotOy[i]}'s first pixel. */
  final int[] slotOff;
  /**
   * The run's taps, merged into segments: segment i reads {@code tapLen[i]} taps of out_backprop
   * from {@code tapDy[i]} on (contiguous: {@code tapLen[i] * oc} elements for the first pixel; the
   * next pixel is {@code oc} further) and the packed filter from packed tap {@code tapK[i]} on.
   */
  final int[] tapDy;
  final int[] tapK;
  final int[] tapLen;

  RowWorker(Plan p) {
    this.p = p;
    slotKy = new int[p.fh];
    slotOy = new int[p.fh];
    slotOff = new int[p.fh];
    tapDy = new int[p.fh * p.fw];
    tapK = new int[p.fh * p.fw];
    tapLen = new int[p.fh * p.fw];
  }

  /** Computes result row {@code r} = (b, y). */
  final void row(int r) {
    int b = r / p.h;
    int y = r % p.h;
    int nky = 0;
    for (int ky = 0; ky < p.fh; ky++) {
      int ty = y + p.padTop - ky * p.dh;
      if (ty >= 0 && ty % p.sh == 0 && ty / p.sh < p.oh) {
        slotKy[nky] = ky;
        slotOy[nky] = ty / p.sh;
        nky++;
      }
    }
    if (nky > 0) {
      stageRows(b, nky);
    }
    int dxBase = beginRow(b, y);
    int dxPix = p.sw * p.ic;
    for (int run = 0; run < p.runs; run++) {
      int x0 = p.runX0[run];
      int n = p.runN[run];
      long mask = p.runMask[run];
      int dxOff = dxBase + x0 * p.ic;
      if (nky == 0 || mask == 0) {
        zero(dxOff, n, dxPix);
        continue;
      }
      // Taps in packed order; a tap that continues the previous one in both out_backprop and the
      // packed filter extends its segment (only without groups: a group's channels are a slice).
      int nt = 0;
      boolean merge = p.groups == 1;
      for (int i = 0; i < nky; i++) {
        int rowOff = slotOff[i];
        int kyBase = slotKy[i] * p.fw;
        for (int pos = 0; pos < p.fw; pos++) {
          int kx = p.kxOrder[pos];
          if ((mask & (1L << kx)) == 0) {
            continue;
          }
          int dyOff = rowOff + p.firstOx(x0, kx) * p.oc;
          int k = kyBase + pos;
          if (merge && nt > 0 && dyOff == tapDy[nt - 1] + tapLen[nt - 1] * p.oc && k == tapK[nt - 1] + tapLen[nt - 1]) {
            tapLen[nt - 1]++;
          } else {
            tapDy[nt] = dyOff;
            tapK[nt] = k;
            tapLen[nt] = 1;
            nt++;
          }
        }
      }
      run(n, dxOff, dxPix, nt);
    }
    endRow(b, y);
  }

  /** Computes {@code n} consecutive result pixels from pixel {@code p0} of a pointwise problem (in place only). */
  final void pixels(int p0, int n) {
    tapDy[0] = p0 * p.oc;
    tapK[0] = 0;
    tapLen[0] = 1;
    run(n, p0 * p.ic, p.ic, 1);
  }

  /** Fills {@code slotOff[0..nky)} for out_backprop rows {@code (b, slotOy[i])}, staging them if needed. */
  abstract void stageRows(int b, int nky);

  /** The offset of result pixel (b, y, 0) in the destination the runs write. */
  abstract int beginRow(int b, int y);

  /** Writes a staged row out to the result; nothing when the runs wrote the result in place. */
  abstract void endRow(int b, int y);

  /** Zeros {@code n} result pixels (all in channels) from {@code off}, {@code pix} apart. */
  abstract void zero(int off, int n, int pix);

  /**
   * Computes a run of {@code n} result pixels, {@code dxPix} apart from {@code dxOff}, over its
   * {@code nt} tap segments ({@link #tapDy}, {@link #tapK}, {@link #tapLen}) in order.
   */
  abstract void run(int n, int dxOff, int dxPix, int nt);
}
