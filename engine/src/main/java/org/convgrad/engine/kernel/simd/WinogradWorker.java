package org.convgrad.engine.kernel.simd;

import static org.convgrad.engine.kernel.simd.F32Tiles.ACC;
import static org.convgrad.engine.kernel.simd.F32Tiles.L;
import static org.convgrad.engine.kernel.simd.F32Tiles.NB;

import java.util.Arrays;
import org.convgrad.engine.tensor.Tensor;

/**
 * Computes result rows two at a time with {@link Winograd} F(2x2, 3x3): stages the four
 * out_backprop rows a pair of result rows reads (zero outside the image, out channels padded to a
 * whole vector), transforms the windows of up to {@link #GROUP} 2x2 tiles, runs the 16 GEMMs per
 * in-channel block on the block tiles, and transforms each tile's 2x2 pixels back into a staged
 * pair of result rows, written out at the end. One per worker thread per call.
 *
 * <p>Scratch, in floats: four staged rows ({@code 4 * (2 * ceil(w / 2) + 2) * roundUp(oc, L)}),
 * the transformed windows of a group ({@code 16 * GROUP * roundUp(oc, L)}), its 16 GEMM results
 * ({@code 16 * GROUP * NB}), a row of out_backprop as read ({@code ow * oc}) and two result rows
 * ({@code 2 * w * ic}).
 */
final class WinogradWorker {
  /** Tiles transformed and multiplied together: four block tiles of 6 per GEMM. */
  static final int GROUP = 24;

  private final Plan p;
  private final Winograd.Packed f;
  private final Tensor dyT;
  private final Tensor dxT;
  /** Tiles per row pair. */
  private final int tilesX;
  /** Staged pixels per out_backprop row: the windows of every tile, 2 * tilesX + 2. */
  private final int stageW;
  /** Out channels per staged pixel and transformed window: oc rounded up to a vector. */
  private final int ocp;
  private final float[] stage;
  private final float[] row;
  private final float[] v;
  private final float[] m;
  private final float[] out;
  private final float[] block = new float[4 * L];
  private final int[] ao = new int[RowWorker.TILE];

  WinogradWorker(Plan p, Winograd.Packed f, Tensor dyT, Tensor dxT) {
    this.p = p;
    this.f = f;
    this.dyT = dyT;
    this.dxT = dxT;
    this.tilesX = (p.w + 1) / 2;
    this.stageW = 2 * tilesX + 2;
    this.ocp = roundUp(p.oc);
    this.stage = new float[4 * stageW * ocp];
    this.row = new float[p.ow * p.oc];
    this.v = new float[Winograd.POINTS * GROUP * ocp];
    this.m = new float[Winograd.POINTS * GROUP * NB];
    this.out = new float[2 * p.w * p.ic];
  }

  /** Scratch floats of one worker (see the class comment). */
  static long scratchFloats(Plan p) {
    long tilesX = (p.w + 1) / 2;
    long ocp = roundUp(p.oc);
    return 4 * (2 * tilesX + 2) * ocp + (long) Winograd.POINTS * GROUP * ocp + (long) Winograd.POINTS * GROUP * NB
        + (long) p.ow * p.oc + 2L * p.w * p.ic + 4L * L;
  }

  private static int roundUp(int oc) {
    return (oc + L - 1) / L * L;
  }

  /**
   * Computes result rows {@code 2 * ty} and {@code 2 * ty + 1} (if inside) of image {@code b}; false,
   * with nothing written, when an out_backprop value they read exceeds {@code limit} or is not
   * finite ({@link Winograd#limit}).
   */
  boolean tileRow(int b, int ty, double limit) {
    int y0 = 2 * ty;
    if (!stageRows(b, y0 + p.padTop - 2, limit)) {
      return false;
    }
    int pointStride = GROUP * ocp;
    for (int t0 = 0; t0 < tilesX; t0 += GROUP) {
      int nt = Math.min(GROUP, tilesX - t0);
      for (int t = 0; t < nt; t++) {
        for (int c = 0; c < ocp; c += L) {
          Winograd.inputTransform(stage, (2 * (t0 + t)) * ocp + c, stageW, ocp, v, t * ocp + c, pointStride);
        }
      }
      for (int cb = 0; cb < f.blocks; cb++) {
        multiply(nt, cb);
        int width = Math.min(NB, p.fid - cb * NB);
        for (int t = 0; t < nt; t++) {
          int x0 = 2 * (t0 + t);
          for (int h = 0; h < width; h += L) {
            int c = cb * NB + h;
            if (width - h >= L && y0 + 1 < p.h && x0 + 1 < p.w) {
              Winograd.outputTransform(m, t * NB + h, GROUP * NB, out, x0 * p.ic + c, p.w * p.ic, p.ic);
            } else {
              Winograd.outputTransform(m, t * NB + h, GROUP * NB, block, 0, 2 * L, L);
              writeBlock(y0, x0, c, Math.min(L, width - h));
            }
          }
        }
      }
    }
    for (int a = 0; a < 2 && y0 + a < p.h; a++) {
      PixelRows.store(p, out, a * p.w * p.ic, dxT, b, y0 + a);
    }
    return true;
  }

  /**
   * The 16 GEMMs of in-channel block {@code cb} for {@code nt} tiles: point k's transformed windows
   * (tile rows of {@code v}) times its packed filter, over all out channels in ascending order, into
   * {@code m} (point k, tile t at {@code (k * GROUP + t) * NB}).
   */
  private void multiply(int nt, int cb) {
    Arrays.fill(m, 0f);
    int kc = 256; // out channels per tile call: 16 KiB of packed filter, as the direct block tiles
    for (int k = 0; k < Winograd.POINTS; k++) {
      int bo = (k * f.blocks + cb) * p.oc * NB;
      for (int c0 = 0; c0 < p.oc; c0 += kc) {
        int kl = Math.min(kc, p.oc - c0);
        for (int t = 0; t < nt; t += RowWorker.TILE) {
          int rows = Math.min(RowWorker.TILE, nt - t);
          for (int r = 0; r < RowWorker.TILE; r++) {
            ao[r] = (k * GROUP + t + Math.min(r, rows - 1)) * ocp + c0;
          }
          int accOff = (k * GROUP + t) * NB;
          if (rows > 3) {
            F32Tiles.tile6(v, ao, rows, kl, f.u, bo + c0 * NB, m, accOff);
          } else {
            F32Tiles.tile3(v, ao, rows, kl, f.u, bo + c0 * NB, m, accOff);
          }
        }
      }
    }
  }

  /** Copies the pixels of {@link #block} inside the image ({@code width} channels from {@code c}) to the staged result rows. */
  private void writeBlock(int y0, int x0, int c, int width) {
    for (int a = 0; a < 2 && y0 + a < p.h; a++) {
      for (int bx = 0; bx < 2 && x0 + bx < p.w; bx++) {
        System.arraycopy(block, (a * 2 + bx) * L, out, (a * p.w + x0 + bx) * p.ic + c, width);
      }
    }
  }

  /**
   * Stages out_backprop rows {@code oy0 .. oy0 + 3} (zeros outside the image): staged pixel s of a
   * row is column {@code s + padLeft - 2}, its out channels padded with zeros to {@link #ocp}; false
   * when a value exceeds {@code limit} or is not finite.
   */
  private boolean stageRows(int b, int oy0, double limit) {
    Arrays.fill(stage, 0f);
    int x0 = p.padLeft - 2;
    int sFirst = Math.max(0, -x0);
    int sEnd = Math.min(stageW, p.ow - x0);
    for (int i = 0; i < 4; i++) {
      int oy = oy0 + i;
      if (oy < 0 || oy >= p.oh || sFirst >= sEnd) {
        continue;
      }
      PixelRows.load(p, dyT, b, oy, row, 0);
      if (!(Winograd.maxAbs(row, row.length) <= limit)) {
        return false;
      }
      for (int s = sFirst; s < sEnd; s++) {
        System.arraycopy(row, (s + x0) * p.oc, stage, (i * stageW + s) * ocp, p.oc);
      }
    }
    return true;
  }
}
