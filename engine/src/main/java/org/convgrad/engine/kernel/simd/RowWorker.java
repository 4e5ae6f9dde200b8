package org.convgrad.engine.kernel.simd;

/**
 * Walks the result one row (or, for pointwise problems, one block of pixels) at a time: finds the
 * filter rows that reach the row, makes the out_backprop rows they read available (in place, or
 * staged: converted or transposed into per-thread scratch) and lists each run's taps. One per
 * worker thread per call; its arrays are that thread's scratch.
 *
 * <p>For the block tiles, pixels are not computed run by run: each waits in a {@link Batch} with
 * the pixels of other runs and rows that have the same taps, and a batch is computed when it is
 * full (up to 16 tiles) or the block of rows ends. A batch is one GEMM whose every chunk of packed
 * filter is swept over all its tiles while it is in L1, however short the runs are (S4's are 15
 * pixels; image edges are one), and a tile is only partly filled once per batch, not once per run.
 * The dot and pixel tiles take runs whole.
 *
 * <p>Every result element is computed by exactly one tile, by one thread, as one chain of FMAs over
 * its taps in (ky, kx) order and, per tap, its out channels in ascending order: no reduction is
 * split, so results do not depend on the thread count, on how runs are cut into tiles or on which
 * pixels share a tile.
 */
abstract class RowWorker {
  /** Pixels per register tile. */
  static final int TILE = 6;
  /** Tiles per batch at most. */
  static final int BATCH_TILES = 16;
  /** Out_backprop offsets a batch holds at most (pixels x taps): batches of large filters are shorter. */
  static final int BATCH_OFFSETS = 4096;
  /** Tap signatures whose pixels can wait at once; a new one beyond these flushes the oldest. */
  static final int BATCHES = 8;
  /** Tiles whose accumulators are kept at once (16 * 12 vectors: 6 KiB of floats with 256-bit vectors): a batch or a dot group. */
  static final int GROUP_TILES = 16;

  /**
   * The register tiles of a worker's dtype: in channels per packed panel ({@code nb}), accumulator
   * elements per tile ({@code acc}), out channels per chunk of packed filter ({@code kc}) and lanes.
   */
  record TileShape(int nb, int acc, int kc, int lanes) {}

  final Plan p;
  final TileShape shape;
  /** In-channel blocks of the packed filter (block tiles). */
  private final int blocks;
  /** The out_backprop offsets of a tile's pixels (see {@link F32Tiles#tile6}). */
  final int[] ao = new int[TILE];
  /** How result rows are cut into runs: {@link Plan#exact}, or {@link Plan#padded} for a reader that keeps its margins at zero. */
  final Plan.Runs runs;
  final int[] slotKy;
  final int[] slotOy;
  /** Offset, in the out_backprop source, of out_backprop row {@code slotOy[i]}'s first pixel. */
  final int[] slotOff;
  /**
   * The run's taps, merged into segments: segment i reads {@code tapLen[i]} taps of out_backprop
   * from {@code tapDy[i]} on (pixel-major rows: contiguous, {@code tapLen[i] * oc} elements for the
   * first pixel, the next pixel {@code oc} further; channel-major rows: the first pixel of out
   * channel 0 for the first tap, the next tap one pixel further) and the packed filter from packed
   * tap {@code tapK[i]} on.
   */
  final int[] tapDy;
  final int[] tapK;
  final int[] tapLen;

  /** Pixels per batch: a multiple of {@link #TILE}. */
  final int batchPixels;
  private final Batch[] batches = new Batch[BATCHES];
  private int nBatches;
  /** The block being computed, for {@link #stagesBlocks}: image, rows {@code [blockY, blockY1)}, first staged out_backprop row. */
  private int blockB;
  private int blockY;
  private int blockY1;
  private int blockOy;
  /**
   * Where out_backprop's and the result's element 0 lie in the arrays read and written in place (0
   * when staged): a tensor may be a view into a larger array, the rows of a band inside a large
   * tensor's chunk.
   */
  private int dyBase;
  private int dxBase;

  /**
   * Result pixels of one tap signature (segment count, and each segment's packed tap and length)
   * waiting to fill a tile: pixel q writes the result at {@code dx[q]} and reads segment t's
   * out_backprop from {@code dy[q * taps + t]}.
   */
  static final class Batch {
    int nt;
    int count;
    final int[] tapK;
    final int[] tapLen;
    final int[] dx;
    final int[] dy;

    Batch(int taps, int pixels) {
      tapK = new int[taps];
      tapLen = new int[taps];
      dx = new int[pixels];
      dy = new int[pixels * taps];
    }
  }

  RowWorker(Plan p, Plan.Runs runs, TileShape shape, int blocks) {
    this.p = p;
    this.runs = runs;
    this.shape = shape;
    this.blocks = blocks;
    slotKy = new int[p.fh];
    slotOy = new int[p.fh];
    slotOff = new int[p.fh];
    tapDy = new int[p.fh * p.fw];
    tapK = new int[p.fh * p.fw];
    tapLen = new int[p.fh * p.fw];
    batchPixels = batchPixels(p.fh * p.fw);
    for (int i = 0; i < BATCHES; i++) {
      batches[i] = new Batch(p.fh * p.fw, batchPixels);
    }
  }

  static int batchPixels(int taps) {
    return TILE * Math.max(1, Math.min(BATCH_TILES, BATCH_OFFSETS / (TILE * taps)));
  }

  /** The int scratch of one worker: tap lists, row slots and batches. */
  static long scratchInts(int fh, int fw) {
    int taps = fh * fw;
    long pixels = batchPixels(taps);
    return 3L * taps + 3L * fh + BATCHES * (2L * taps + pixels + pixels * taps);
  }

  /** Computes result rows {@code [r0, r1)} (rows of one image, in order) and the pixels left waiting. */
  final void rows(int r0, int r1) {
    beginBlock(r0 / p.h, r0 % p.h, r0 % p.h + (r1 - r0));
    for (int r = r0; r < r1; r++) {
      row(r);
    }
    flushAll();
    endBlock();
  }

  /** Computes result row {@code r} = (b, y). */
  private void row(int r) {
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
    for (int run = 0; run < runs.count; run++) {
      int x0 = runs.x0[run];
      int n = runs.n[run];
      long mask = runs.mask[run];
      int dxOff = dxBase + x0 * p.ic;
      if (nky == 0 || mask == 0) {
        zero(dxOff, n, dxPix);
        continue;
      }
      // Taps in packed order; a tap that continues the previous one in both out_backprop and the
      // packed filter extends its segment: pixel-major rows only without groups (a group's channels
      // are a slice); channel-major rows when the next tap reads the next pixel.
      int nt = 0;
      boolean merge = p.groups == 1 || channelMajorRows();
      int dyPix = channelMajorRows() ? 1 : p.oc;
      for (int i = 0; i < nky; i++) {
        int rowOff = slotOff[i];
        int kyBase = slotKy[i] * p.fw;
        for (int pos = 0; pos < p.fw; pos++) {
          int kx = p.kxOrder[pos];
          if ((mask & (1L << kx)) == 0) {
            continue;
          }
          int dyOff = rowOff + p.firstOx(x0, kx) * dyPix;
          int k = kyBase + pos;
          if (merge && nt > 0 && dyOff == tapDy[nt - 1] + tapLen[nt - 1] * dyPix && k == tapK[nt - 1] + tapLen[nt - 1]) {
            tapLen[nt - 1]++;
          } else {
            tapDy[nt] = dyOff;
            tapK[nt] = k;
            tapLen[nt] = 1;
            nt++;
          }
        }
      }
      if (!batches()) {
        run(n, dxOff, dxPix, nt);
        continue;
      }
      Batch bt = batchFor(nt);
      for (int j = 0; j < n; j++) {
        add(bt, dxOff + j * dxPix, j * p.oc);
      }
    }
    endRow(b, y);
  }

  /** The batch of the current taps ({@link #tapK}, {@link #tapLen}), started if there is none. */
  private Batch batchFor(int nt) {
    for (int i = 0; i < nBatches; i++) {
      if (sameTaps(batches[i], nt)) {
        return batches[i];
      }
    }
    if (nBatches == BATCHES) {
      flush(batches[0]);
      Batch oldest = batches[0];
      System.arraycopy(batches, 1, batches, 0, BATCHES - 1);
      batches[BATCHES - 1] = oldest;
      nBatches--;
    }
    Batch bt = batches[nBatches++];
    bt.nt = nt;
    bt.count = 0;
    System.arraycopy(tapK, 0, bt.tapK, 0, nt);
    System.arraycopy(tapLen, 0, bt.tapLen, 0, nt);
    return bt;
  }

  /** Adds a result pixel, reading the current taps shifted by {@code shift}, to its batch. */
  private void add(Batch bt, int dx, int shift) {
    int taps = p.fh * p.fw;
    int q = bt.count;
    bt.dx[q] = dx;
    for (int t = 0; t < bt.nt; t++) {
      bt.dy[q * taps + t] = tapDy[t] + shift;
    }
    if (++bt.count == batchPixels) {
      flush(bt);
    }
  }

  private boolean sameTaps(Batch bt, int nt) {
    if (bt.nt != nt) {
      return false;
    }
    for (int t = 0; t < nt; t++) {
      if (bt.tapK[t] != tapK[t] || bt.tapLen[t] != tapLen[t]) {
        return false;
      }
    }
    return true;
  }

  private void flush(Batch bt) {
    if (bt.count > 0) {
      runBatch(bt);
      bt.count = 0;
    }
  }

  private void flushAll() {
    for (int i = 0; i < nBatches; i++) {
      flush(batches[i]);
    }
    nBatches = 0;
  }

  /** Sets where element 0 of out_backprop and of the result lie in the arrays read and written in place. */
  final void readsInPlace(int dyBase, int dxBase) {
    this.dyBase = dyBase;
    this.dxBase = dxBase;
  }

  /** Computes {@code n} consecutive result pixels from pixel {@code p0} of a pointwise problem (in place only). */
  final void pixels(int p0, int n) {
    tapDy[0] = dyBase + p0 * p.oc;
    tapK[0] = 0;
    tapLen[0] = 1;
    if (!batches()) {
      run(n, dxBase + p0 * p.ic, p.ic, 1);
      return;
    }
    Batch bt = batchFor(1);
    for (int j = 0; j < n; j++) {
      add(bt, dxBase + (p0 + j) * p.ic, j * p.oc);
    }
    flushAll();
  }

  /**
   * Whether {@link #stageRows} provides out_backprop rows channel-major ({@code [co][ox]}: tap
   * offsets count pixels, and a segment's taps read neighbouring pixels) rather than pixel-major
   * ({@code [ox][co]}: a segment is one contiguous reduction).
   */
  boolean channelMajorRows() {
    return false;
  }

  /** Whether pixels go through batches (the block tiles) or each run is computed whole (the dot tiles). */
  abstract boolean batches();

  /**
   * Whether the worker stages whole blocks: every out_backprop row a block of rows reads is staged
   * ({@link #stageRow}) when the block starts, and its result rows, computed into scratch from
   * {@link #beginRow}, are written out ({@link #writeRow}) when it ends, since waiting pixels read
   * and write rows of the whole block.
   */
  boolean stagesBlocks() {
    return false;
  }

  /** Stages out_backprop row (b, oy) pixel-major at {@code off} of the worker's staging rows. */
  void stageRow(int b, int oy, int off) {
    throw new UnsupportedOperationException();
  }

  /** Writes result row (b, y), computed pixel-major at {@code from} of the worker's scratch, out. */
  void writeRow(int b, int y, int from) {
    throw new UnsupportedOperationException();
  }

  /** Out_backprop rows a block of {@code blockRows} result rows reads at most. */
  static int blockDyRows(Plan p, int blockRows) {
    return Math.max(1, Math.min(p.oh, (blockRows - 1 + (p.fh - 1) * p.dh) / p.sh + 2));
  }

  private void beginBlock(int b, int y0, int y1) {
    if (!stagesBlocks()) {
      return;
    }
    int lo = y0 + p.padTop - (p.fh - 1) * p.dh;
    int hi = y1 - 1 + p.padTop;
    blockB = b;
    blockY = y0;
    blockY1 = y1;
    blockOy = lo <= 0 ? 0 : (lo + p.sh - 1) / p.sh;
    int oyHi = hi < 0 ? -1 : Math.min(p.oh - 1, hi / p.sh);
    for (int oy = blockOy; oy <= oyHi; oy++) {
      stageRow(b, oy, (oy - blockOy) * p.ow * p.oc);
    }
  }

  private void endBlock() {
    if (stagesBlocks()) {
      for (int y = blockY; y < blockY1; y++) {
        writeRow(blockB, y, (y - blockY) * p.w * p.ic);
      }
    }
  }

  /**
   * Sets {@code slotOff[0..nky)} for pixel-major rows: in place in the out_backprop tensor, in the
   * block's staged rows, or (when {@code staged} without blocks) staged here, row by row.
   */
  final void pixelMajorRows(int b, int nky, boolean staged) {
    int rowLen = p.ow * p.oc;
    for (int i = 0; i < nky; i++) {
      int oy = slotOy[i];
      if (!staged) {
        slotOff[i] = dyBase + (b * p.oh + oy) * rowLen;
      } else if (stagesBlocks()) {
        slotOff[i] = (oy - blockOy) * rowLen;
      } else {
        slotOff[i] = i * rowLen;
        stageRow(b, oy, i * rowLen);
      }
    }
  }

  /** The offset of result row (b, y) in the destination: in place, the block's scratch, or a row's scratch. */
  final int resultRow(int b, int y, boolean staged) {
    return stagesBlocks() ? (y - blockY) * p.w * p.ic : staged ? 0 : dxBase + (b * p.h + y) * p.w * p.ic;
  }

  /**
   * A batch's pixels with the block tiles. Loop order: group, in-channel block, tap segment, chunk
   * of kc out channels, tile: each chunk of packed filter (kc x nb) is swept over every tile of the
   * batch while it is in L1, and only one block's accumulators ({@code tiles * acc}) wait between
   * segments. Per element the order is: segments in order, out channels ascending.
   */
  private void runBatch(Batch bt) {
    int nb = shape.nb();
    int accLen = shape.acc();
    int m = bt.count;
    int taps = p.fh * p.fw;
    int tiles = (m + TILE - 1) / TILE;
    for (int g = 0; g < p.groups; g++) {
      for (int cb = 0; cb < blocks; cb++) {
        clearAcc(tiles * accLen);
        int panel = (g * blocks + cb) * taps;
        for (int t = 0; t < bt.nt; t++) {
          int kt = bt.tapLen[t] * p.cg;
          for (int kc = 0; kc < kt; kc += shape.kc()) {
            int kl = Math.min(shape.kc(), kt - kc);
            int bo = ((panel + bt.tapK[t]) * p.cg + kc) * nb;
            int shift = g * p.cg + kc;
            for (int i = 0; i < tiles; i++) {
              int q0 = i * TILE;
              int rows = Math.min(TILE, m - q0);
              for (int r = 0; r < TILE; r++) {
                ao[r] = bt.dy[(q0 + Math.min(r, rows - 1)) * taps + t] + shift;
              }
              tile(rows, kl, bo, i * accLen);
            }
          }
        }
        int width = Math.min(nb, p.fid - cb * nb);
        int cOff = g * p.fid + cb * nb;
        for (int q = 0; q < m; q++) {
          writeBlock((q / TILE) * accLen + (q % TILE) * nb, bt.dx[q] + cOff, width);
        }
      }
    }
  }

  /**
   * A run with the dot tiles: groups of up to 16 tiles of 4 pixels x 3 in channels, each over the
   * run's segments in order; then each result element is its accumulator's lanes added in order.
   */
  final void runDot(int n, int dxOff, int dxPix, int nt) {
    int accLen = shape.acc();
    int aPix = p.oc;
    int taps = p.fh * p.fw;
    for (int g = 0; g < p.groups; g++) {
      for (int c0 = 0; c0 < p.fid; c0 += 3) {
        int cis = Math.min(3, p.fid - c0);
        int cOff = dxOff + g * p.fid + c0;
        for (int q0 = 0; q0 < n; q0 += 4 * GROUP_TILES) {
          int m = Math.min(n - q0, 4 * GROUP_TILES);
          int tiles = (m + 3) / 4;
          clearAcc(tiles * accLen);
          for (int t = 0; t < nt; t++) {
            int aT = tapDy[t] + g * p.cg + q0 * aPix;
            int wT = ((g * p.fid + c0) * taps + tapK[t]) * p.cg;
            int kt = tapLen[t] * p.cg;
            for (int i = 0; i < tiles; i++) {
              dot(aT + 4 * i * aPix, aPix, Math.min(4, m - 4 * i), kt, wT, taps * p.cg, cis, i * accLen);
            }
          }
          for (int q = 0; q < m; q++) {
            for (int j = 0; j < cis; j++) {
              writeSum(cOff + (q0 + q) * dxPix + j, (q / 4) * accLen + ((q % 4) * 3 + j) * shape.lanes());
            }
          }
        }
      }
    }
  }

  /** Zeros the first {@code n} accumulator elements. */
  abstract void clearAcc(int n);

  /** One block tile of {@code rows} pixels at {@link #ao}, {@code k} reduction elements from packed offset {@code bo}. */
  abstract void tile(int rows, int k, int bo, int accOff);

  /** Writes {@code width} in channels of one pixel's accumulators from {@code from} to the destination at {@code to}. */
  abstract void writeBlock(int from, int to, int width);

  /** One dot tile (see {@link F32Tiles#dot4x3}) over the worker's out_backprop and packed filter. */
  abstract void dot(int a0, int aPix, int rows, int k, int w0, int wStride, int cis, int accOff);

  /** Writes the sum of the lanes of the accumulator at {@code from} to the destination at {@code to}. */
  abstract void writeSum(int to, int from);

  /** Fills {@code slotOff[0..nky)} for out_backprop rows {@code (b, slotOy[i])}, staging them if needed. */
  abstract void stageRows(int b, int nky);

  /** The offset of result pixel (b, y, 0) in the destination the runs write. */
  abstract int beginRow(int b, int y);

  /** Writes a staged row out to the result; nothing when the runs wrote the result in place. */
  abstract void endRow(int b, int y);

  /** Zeros {@code n} result pixels (all in channels) from {@code off}, {@code pix} apart. */
  abstract void zero(int off, int n, int pix);

  /**
   * Computes a run of {@code n} result pixels with the dot tiles, {@code dxPix} apart from {@code dxOff}, over its
   * {@code nt} tap segments ({@link #tapDy}, {@link #tapK}, {@link #tapLen}) in order.
   */
  abstract void run(int n, int dxOff, int dxPix, int nt);
}
