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
  final int[] tapDy;
  final int[] tapK;

  RowWorker(Plan p) {
    this.p = p;
    slotKy = new int[p.fh];
    slotOy = new int[p.fh];
    slotOff = new int[p.fh];
    tapDy = new int[p.fh * p.fw];
    tapK = new int[p.fh * p.fw];
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
      int nt = 0;
      for (int i = 0; i < nky; i++) {
        int rowOff = slotOff[i];
        int kyBase = slotKy[i] * p.fw;
        for (long m = mask; m != 0; m &= m - 1) {
          int kx = Long.numberOfTrailingZeros(m);
          tapDy[nt] = rowOff + p.firstOx(x0, kx) * p.oc;
          tapK[nt] = kyBase + kx;
          nt++;
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
   * Computes a run of {@code n} result pixels, {@code dxPix} apart from {@code dxOff}, whose
   * {@code nt} taps read out_backprop from {@code tapDy[t]} (first pixel; the next pixel is
   * {@code oc} further) with filter tap {@code tapK[t]} = ky * fw + kx.
   */
  abstract void run(int n, int dxOff, int dxPix, int nt);
}
