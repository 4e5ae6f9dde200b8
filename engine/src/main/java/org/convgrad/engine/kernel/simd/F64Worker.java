package org.convgrad.engine.kernel.simd;

import java.util.Arrays;
import org.convgrad.engine.tensor.Tensor;

/**
 * A worker for float64 problems: NHWC in place; NCHW staged (out_backprop rows transposed into
 * {@code stage}, {@code fh * ow * oc} doubles; the result row computed into {@code rowBuf}, {@code
 * w * ic} doubles, and transposed out).
 */
final class F64Worker extends RowWorker {
  private static final int NB = F64Tiles.NB;
  private static final int ACC = F64Tiles.ACC;
  /** Out channels per chunk of packed filter (KC * NB elements, 8 KiB with 256-bit vectors). */
  private static final int KC = 128;
  /** Tiles whose accumulators are kept at once. */
  static final int GROUP_TILES = 16;

  private final Packed f;
  private final boolean staged;
  private final Tensor dyT;
  private final Tensor dxT;
  private final double[] dy;
  private final double[] dx;
  private final double[] stage;
  /** The out_backprop offsets of a tile's pixels (see {@link F64Tiles#tile6}). */
  private final int[] ao = new int[TILE];
  private final double[] acc;

  F64Worker(Plan p, Packed f, Tensor dyT, Tensor dxT) {
    super(p);
    this.f = f;
    this.dyT = dyT;
    this.dxT = dxT;
    this.staged = !p.nhwc;
    this.stage = staged ? new double[p.fh * p.ow * p.oc] : new double[0];
    this.dy = staged ? stage : dyT.float64Data();
    this.dx = staged ? new double[p.w * p.ic] : dxT.float64Data();
    this.acc = new double[Math.max(2 * GROUP_TILES, f.blocks) * ACC];
  }

  /** The float64 filter layout, as {@link F32Worker.Packed}'s with {@link F64Tiles#NB}. */
  static final class Packed {
    final boolean dot;
    final int blocks;
    final double[] data;

    Packed(boolean dot, int blocks, double[] data) {
      this.dot = dot;
      this.blocks = blocks;
      this.data = data;
    }
  }

  static Packed pack(Plan p, double[] w, boolean dot) {
    int taps = p.fh * p.fw;
    if (dot) {
      // [g][c][packed tap][co of the group]
      double[] out = new double[p.groups * p.fid * taps * p.cg];
      for (int g = 0; g < p.groups; g++) {
        for (int c = 0; c < p.fid; c++) {
          for (int ky = 0; ky < p.fh; ky++) {
            for (int kx = 0; kx < p.fw; kx++) {
              int base = ((g * p.fid + c) * taps + p.packedTap(ky, kx)) * p.cg;
              int src = ((ky * p.fw + kx) * p.fid + c) * p.oc + g * p.cg;
              System.arraycopy(w, src, out, base, p.cg);
            }
          }
        }
      }
      return new Packed(true, 0, out);
    }
    int blocks = (p.fid + NB - 1) / NB;
    double[] out = new double[p.groups * blocks * taps * p.cg * NB];
    for (int g = 0; g < p.groups; g++) {
      for (int cb = 0; cb < blocks; cb++) {
        for (int ky = 0; ky < p.fh; ky++) {
          for (int kx = 0; kx < p.fw; kx++) {
            int t = ky * p.fw + kx;
            int base = ((g * blocks + cb) * taps + p.packedTap(ky, kx)) * p.cg * NB;
            for (int co = 0; co < p.cg; co++) {
              for (int j = 0; j < NB && cb * NB + j < p.fid; j++) {
                out[base + co * NB + j] = w[(t * p.fid + cb * NB + j) * p.oc + g * p.cg + co];
              }
            }
          }
        }
      }
    }
    return new Packed(false, blocks, out);
  }

  @Override
  void stageRows(int b, int nky) {
    int rowLen = p.ow * p.oc;
    for (int i = 0; i < nky; i++) {
      int oy = slotOy[i];
      if (!staged) {
        slotOff[i] = (b * p.oh + oy) * rowLen;
        continue;
      }
      int off = i * rowLen;
      slotOff[i] = off;
      double[] src = dyT.float64Data();
      for (int co = 0; co < p.oc; co++) {
        int s = ((b * p.oc + co) * p.oh + oy) * p.ow;
        for (int ox = 0; ox < p.ow; ox++) {
          stage[off + ox * p.oc + co] = src[s + ox];
        }
      }
    }
  }

  @Override
  int beginRow(int b, int y) {
    return staged ? 0 : (b * p.h + y) * p.w * p.ic;
  }

  @Override
  void endRow(int b, int y) {
    if (!staged) {
      return;
    }
    double[] out = dxT.float64Data();
    for (int ci = 0; ci < p.ic; ci++) {
      int d = ((b * p.ic + ci) * p.h + y) * p.w;
      for (int x = 0; x < p.w; x++) {
        out[d + x] = dx[x * p.ic + ci];
      }
    }
  }

  @Override
  void zero(int off, int n, int pix) {
    for (int q = 0; q < n; q++) {
      Arrays.fill(dx, off + q * pix, off + q * pix + p.ic, 0.0);
    }
  }

  @Override
  void run(int n, int dxOff, int dxPix, int nt) {
    if (f.dot) {
      runDot(n, dxOff, dxPix, nt);
    } else {
      runBlocks(n, dxOff, dxPix, nt);
    }
  }

  /**
   * Block tiles. Loop order: tap segment, chunk of KC out channels, in-channel block, tile. A chunk
   * of out_backprop (up to 6 * groupTiles pixels x KC out channels) stays in L1 while every
   * block's packed filter chunk (KC x NB) is swept over its tiles; the accumulators of all blocks
   * and tiles of the group ({@code blocks * tiles * ACC}, at most {@code max(2 * GROUP_TILES,
   * blocks) * ACC}) wait in {@code acc}. Per element the order is still: segments in order, out
   * channels ascending.
   */
  private void runBlocks(int n, int dxOff, int dxPix, int nt) {
    int aPix = p.oc;
    int taps = p.fh * p.fw;
    int blocks = f.blocks;
    // At most max(1, 2 * GROUP_TILES / blocks) tiles per group, the run split into equal groups
    // (a run of 9 tiles with room for 8 becomes 5 + 4, not 8 + 1).
    int maxTiles = Math.max(1, GROUP_TILES * 2 / blocks);
    int runTiles = (n + 5) / 6;
    int nGroups = (runTiles + maxTiles - 1) / maxTiles;
    int groupTiles = (runTiles + nGroups - 1) / nGroups;
    for (int g = 0; g < p.groups; g++) {
      for (int q0 = 0; q0 < n; q0 += 6 * groupTiles) {
        int m = Math.min(n - q0, 6 * groupTiles);
        int tiles = (m + 5) / 6;
        Arrays.fill(acc, 0, blocks * tiles * ACC, 0.0);
        for (int t = 0; t < nt; t++) {
          int aT = tapDy[t] + g * p.cg + q0 * aPix;
          int kt = tapLen[t] * p.cg;
          for (int kc = 0; kc < kt; kc += KC) {
            int kl = Math.min(KC, kt - kc);
            for (int cb = 0; cb < blocks; cb++) {
              int bT = ((g * blocks + cb) * taps + tapK[t]) * p.cg * NB + kc * NB;
              for (int i = 0; i < tiles; i++) {
                int a0 = aT + TILE * i * aPix + kc;
                for (int r = 0; r < TILE; r++) {
                  ao[r] = a0 + r * aPix;
                }
                tile(Math.min(TILE, m - TILE * i), kl, bT, (cb * tiles + i) * ACC);
              }
            }
          }
        }
        for (int cb = 0; cb < blocks; cb++) {
          int width = Math.min(NB, p.fid - cb * NB);
          int cOff = dxOff + g * p.fid + cb * NB;
          for (int q = 0; q < m; q++) {
            System.arraycopy(acc, (cb * tiles + q / 6) * ACC + (q % 6) * NB, dx, cOff + (q0 + q) * dxPix, width);
          }
        }
      }
    }
  }

  /** One register tile of {@code rows} pixels at {@link #ao}. */
  private void tile(int rows, int k, int bo, int accOff) {
    if (rows > 3) {
      F64Tiles.tile6(dy, ao, rows, k, f.data, bo, acc, accOff);
    } else {
      F64Tiles.tile3(dy, ao, rows, k, f.data, bo, acc, accOff);
    }
  }

  @Override
  boolean batches() {
    return !f.dot;
  }

  @Override
  boolean batchesAcrossRows() {
    return !staged;
  }

  /** A batch's pixels as one tile, in the same order per element as {@link #runBlocks}. */
  @Override
  void runBatch(Batch bt) {
    int m = bt.count;
    int taps = p.fh * p.fw;
    int blocks = f.blocks;
    for (int g = 0; g < p.groups; g++) {
      Arrays.fill(acc, 0, blocks * ACC, 0.0);
      for (int t = 0; t < bt.nt; t++) {
        int kt = bt.tapLen[t] * p.cg;
        for (int kc = 0; kc < kt; kc += KC) {
          int kl = Math.min(KC, kt - kc);
          for (int r = 0; r < TILE; r++) {
            ao[r] = bt.dy[Math.min(r, m - 1) * taps + t] + g * p.cg + kc;
          }
          for (int cb = 0; cb < blocks; cb++) {
            tile(m, kl, ((g * blocks + cb) * taps + bt.tapK[t]) * p.cg * NB + kc * NB, cb * ACC);
          }
        }
      }
      for (int cb = 0; cb < blocks; cb++) {
        int width = Math.min(NB, p.fid - cb * NB);
        for (int q = 0; q < m; q++) {
          System.arraycopy(acc, cb * ACC + q * NB, dx, bt.dx[q] + g * p.fid + cb * NB, width);
        }
      }
    }
  }

  private void runDot(int n, int dxOff, int dxPix, int nt) {
    int aPix = p.oc;
    int taps = p.fh * p.fw;
    int L = F64Tiles.L;
    for (int g = 0; g < p.groups; g++) {
      for (int c0 = 0; c0 < p.fid; c0 += 3) {
        int cis = Math.min(3, p.fid - c0);
        int cOff = dxOff + g * p.fid + c0;
        for (int q0 = 0; q0 < n; q0 += 4 * GROUP_TILES) {
          int m = Math.min(n - q0, 4 * GROUP_TILES);
          int tiles = (m + 3) / 4;
          Arrays.fill(acc, 0, tiles * ACC, 0.0);
          for (int t = 0; t < nt; t++) {
            int aT = tapDy[t] + g * p.cg + q0 * aPix;
            int wT = ((g * p.fid + c0) * taps + tapK[t]) * p.cg;
            int kt = tapLen[t] * p.cg;
            for (int i = 0; i < tiles; i++) {
              F64Tiles.dot4x3(dy, aT + 4 * i * aPix, aPix, Math.min(4, m - 4 * i), kt, f.data, wT, taps * p.cg, cis, acc,
                  i * ACC);
            }
          }
          for (int q = 0; q < m; q++) {
            for (int j = 0; j < cis; j++) {
              dx[cOff + (q0 + q) * dxPix + j] = F64Tiles.sum(acc, (q / 4) * ACC + ((q % 4) * 3 + j) * L);
            }
          }
        }
      }
    }
  }
}
