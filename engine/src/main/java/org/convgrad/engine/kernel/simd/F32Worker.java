package org.convgrad.engine.kernel.simd;

import java.util.Arrays;
import org.convgrad.engine.DType;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.BFloat16;
import org.convgrad.engine.tensor.Float16;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/**
 * A worker for float32, half and bfloat16 problems. float32 NHWC is computed in place; half and
 * bfloat16 (widened to float32, rounded once at the end, as the reference does) and NCHW are staged:
 * the out_backprop rows a result row reads are converted or transposed into {@code stage}
 * ({@code fh * ow * oc} floats), and the result row is computed into {@code rowBuf} ({@code w *
 * ic} floats) and written out.
 */
final class F32Worker extends RowWorker {
  private static final int NB = F32Tiles.NB;
  private static final int ACC = F32Tiles.ACC;
  /**
   * Reduction elements (taps x out channels of a segment) per tile call, here and in Winograd's
   * GEMMs: KC * NB elements of packed filter, 64 KiB with 256-bit vectors and 128 KiB with
   * 512-bit, swept over a batch's tiles from L2. A chunk that fits L1 (256: S5's 32 KiB with
   * 512-bit vectors) was slower: a tile's six out_backprop rows come from memory, each read in one
   * stream of up to 64 lines the prefetchers follow rather than four of 16, and there are a quarter
   * of the tile calls. S5, 1024 against 256 in alternating JVMs: 0.96 (JDK 17) and 0.95 (JDK 25)
   * of the time, faster in 20 pairs of 20; 0.97 with 256-bit vectors. Winograd with 512 and 1024
   * out channels: 0.97-0.98, faster in 15 pairs of 20 (benchmarks/README.md).
   */
  static final int KC = 1024;
  /** Pixels of the widest pixel tile (12 vectors); staged rows have this margin to read past a run's end. */
  static final int PIXEL_SPAN = 12 * F32Tiles.L;

  private final Packed f;
  private final boolean staged;
  /** Staged block tiles: stages whole blocks of rows ({@link #stagesBlocks}) into {@code stage} and {@code dx}. */
  private final boolean blockStaged;
  private final DType dtype;
  private final Tensor dyT;
  private final Tensor dxT;
  private final float[] dy;
  private final float[] dx;
  private final float[] stage;
  private final float[] acc;
  /** Pixel tiles: the length of a staged channel row ({@link #pixelRow(Plan, Plan.Runs)}). */
  private final int pixelRow;
  /** Pixel tiles: the out_backprop row (b * oh + oy) each stage slot holds, or -1. */
  private final long[] slotKey;

  F32Worker(Plan p, Packed f, Tensor dyT, Tensor dxT, int blockRows) {
    super(p, f.pixel && f.finite && padsRuns(p) ? p.padded : p.exact, new TileShape(NB, ACC, KC, F32Tiles.L), f.blocks);
    this.f = f;
    this.dtype = dyT.dtype();
    this.dyT = dyT;
    this.dxT = dxT;
    this.staged = !(dtype == DType.FLOAT32 && p.nhwc);
    this.blockStaged = staged && !f.dot && !f.pixel;
    this.pixelRow = pixelRow(p, runs);
    this.stage = Scratch.floats(Scratch.Slot.STAGE, f.pixel ? p.fh * p.oc * pixelRow
        : blockStaged ? blockDyRows(p, blockRows) * p.ow * p.oc
        : staged ? p.fh * p.ow * p.oc : 0);
    this.slotKey = new long[f.pixel ? p.fh : 0];
    Arrays.fill(slotKey, -1);
    this.dy = f.pixel || staged ? stage : dyT.float32Storage();
    this.dx = staged ? Scratch.floats(Scratch.Slot.RESULT, (blockStaged ? blockRows : 1) * p.w * p.ic)
        : dxT.float32Storage();
    readsInPlace(f.pixel || staged ? 0 : dyT.offset(), staged ? 0 : dxT.offset());
    this.acc = new float[GROUP_TILES * ACC];
  }

  /**
   * Pixel tiles: whether result rows are cut into {@link Plan#padded} runs, when the filter is
   * finite ({@code 0 * w} must be a zero): when that needs fewer tile calls per filter row than the
   * exact runs (S3: 35 instead of 47, the image edges' one-pixel runs no longer filling a tile each)
   * and the margins keep the staging rows within {@code 2 (ow + PIXEL_SPAN)} and an int array.
   */
  static boolean padsRuns(Plan p) {
    int span = Math.max(1, F32PixelTiles.VECTORS[Math.min(p.fid, 4)] * F32Tiles.L);
    long margins = (long) p.padded.marginLeft + p.padded.marginRight;
    return p.padded.tileTaps(span) < p.exact.tileTaps(span)
        && margins <= p.ow + PIXEL_SPAN
        && (long) p.fh * p.oc * (p.ow + PIXEL_SPAN + margins) <= Shape.MAX_ELEMENTS;
  }

  /** Pixel tiles: the length of a staged channel row for {@code runs}: margins, columns and a zero margin to read past a run's end. */
  static int pixelRow(Plan p, Plan.Runs runs) {
    return runs.marginLeft + p.ow + runs.marginRight + PIXEL_SPAN;
  }

  /**
   * The float32 filter layout: block panels; for few in channels, per in channel (dot tiles) or
   * with the in channels innermost (pixel tiles).
   */
  static final class Packed {
    final boolean dot;
    final boolean pixel;
    /** Pixel layout whose every element is finite: padded runs may multiply it by zero. */
    final boolean finite;
    final int blocks;
    final float[] data;

    Packed(boolean dot, boolean pixel, int blocks, float[] data) {
      this.dot = dot;
      this.pixel = pixel;
      this.blocks = blocks;
      this.data = data;
      boolean all = pixel;
      for (int i = 0; i < data.length && all; i++) {
        all = Float.isFinite(data[i]);
      }
      this.finite = all;
    }
  }

  /**
   * Packs HWIO {@code w} ({@code w[((ky * fw + kx) * fid + c) * oc + co]}). Taps t are in packed
   * order ({@link Plan#packedTap}). Block layout: for each group g, in-channel block cb of {@link
   * F32Tiles#NB}, tap t and out channel co of the group, the NB in channels {@code cb * NB + j}
   * (zero past fid): {@code [g][cb][t][co][j]}. Dot layout: {@code [g][c][t][co]}. Pixel layout:
   * {@code [g][t][co][c]}. The block layout's panels are shared out on {@code pool}.
   */
  static Packed pack(Plan p, float[] w, boolean dot, boolean pixel, WorkPool pool) {
    int taps = p.fh * p.fw;
    if (pixel) {
      float[] out = new float[p.groups * taps * p.cg * p.fid];
      for (int g = 0; g < p.groups; g++) {
        for (int ky = 0; ky < p.fh; ky++) {
          for (int kx = 0; kx < p.fw; kx++) {
            int base = (g * taps + p.packedTap(ky, kx)) * p.cg * p.fid;
            for (int co = 0; co < p.cg; co++) {
              for (int c = 0; c < p.fid; c++) {
                out[base + co * p.fid + c] = w[((ky * p.fw + kx) * p.fid + c) * p.oc + g * p.cg + co];
              }
            }
          }
        }
      }
      return new Packed(false, true, 0, out);
    }
    if (dot) {
      // [g][c][packed tap][co of the group]
      float[] out = new float[p.groups * p.fid * taps * p.cg];
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
      return new Packed(true, false, 0, out);
    }
    int blocks = (p.fid + NB - 1) / NB;
    float[] out = new float[p.groups * blocks * taps * p.cg * NB];
    // A task per group, in-channel block and tap, each writing a panel of its own: on one thread
    // S5's filter took 0.27 ms to pack, an eighth of its compute on 16 threads.
    pool.parallelFor(p.groups * blocks * taps, task -> {
      int g = task / (blocks * taps);
      int cb = task / taps % blocks;
      int t = task % taps;
      int base = ((g * blocks + cb) * taps + p.packedTap(t / p.fw, t % p.fw)) * p.cg * NB;
      // Sixteen out channels at a time: HWIO holds them side by side and the in channels oc
      // apart, so each read takes a run of one row and the writes stay in 32 lines of out
      // (one out channel at a time, every read touched a cache line of its own: S5's filter
      // took 0.9 ms of a 20 ms call to pack).
      int cis = Math.min(NB, p.fid - cb * NB);
      for (int co0 = 0; co0 < p.cg; co0 += 16) {
        int coEnd = Math.min(p.cg, co0 + 16);
        for (int j = 0; j < cis; j++) {
          int src = (t * p.fid + cb * NB + j) * p.oc + g * p.cg;
          for (int co = co0; co < coEnd; co++) {
            out[base + co * NB + j] = w[src + co];
          }
        }
      }
    });
    return new Packed(false, false, blocks, out);
  }

  @Override
  boolean stagesBlocks() {
    return blockStaged;
  }

  @Override
  void stageRows(int b, int nky) {
    if (f.pixel) {
      stageChannelRows(b, nky);
      return;
    }
    pixelMajorRows(b, nky, staged);
  }

  /** Converts or transposes out_backprop row (b, oy) into {@code stage} at {@code off}, pixel-major. */
  @Override
  void stageRow(int b, int oy, int off) {
    PixelRows.load(p, dyT, b, oy, stage, off);
  }

  @Override
  int beginRow(int b, int y) {
    return resultRow(b, y, staged);
  }

  @Override
  void endRow(int b, int y) {
    if (staged && !blockStaged) {
      writeRow(b, y, 0);
    }
  }

  /** Writes result row (b, y), computed pixel-major into {@code dx} from {@code from}, out. */
  @Override
  void writeRow(int b, int y, int from) {
    PixelRows.store(p, dx, from, dxT, b, y);
  }

  @Override
  void zero(int off, int n, int pix) {
    for (int q = 0; q < n; q++) {
      Arrays.fill(dx, off + q * pix, off + q * pix + p.ic, 0f);
    }
  }

  @Override
  void run(int n, int dxOff, int dxPix, int nt) {
    if (f.pixel) {
      runPixel(n, dxOff, dxPix, nt);
    } else {
      runDot(n, dxOff, dxPix, nt);
    }
  }

  /**
   * Pixel tiles: the run's pixels in spans of {@link F32PixelTiles#VECTORS} vectors (the last in
   * {@link F32PixelTiles#NARROW} when it fits), each over the run's segments in order (a segment in
   * calls of up to 4 taps), per tap the out channels ascending; then written out per channel.
   */
  private void runPixel(int n, int dxOff, int dxPix, int nt) {
    int c = p.fid;
    int span = F32PixelTiles.VECTORS[c] * F32Tiles.L;
    int narrowSpan = F32PixelTiles.NARROW[c] * F32Tiles.L;
    int taps = p.fh * p.fw;
    int wTap = p.cg * c;
    for (int g = 0; g < p.groups; g++) {
      for (int j0 = 0; j0 < n; j0 += span) {
        int cnt = Math.min(span, n - j0);
        boolean narrow = cnt <= narrowSpan;
        int width = narrow ? narrowSpan : span;
        Arrays.fill(acc, 0, c * width, 0f);
        for (int t = 0; t < nt; t++) {
          for (int j = 0; j < tapLen[t]; j += 4) {
            int a0 = tapDy[t] + j + g * p.cg * pixelRow + j0;
            int w0 = (g * taps + tapK[t] + j) * wTap;
            F32PixelTiles.tile(c, Math.min(4, tapLen[t] - j), narrow, dy, a0, pixelRow, p.cg, f.data, w0, wTap, acc);
          }
        }
        int out = dxOff + j0 * dxPix + g * p.fid;
        for (int ch = 0; ch < c; ch++) {
          for (int q = 0; q < cnt; q++) {
            dx[out + q * dxPix + ch] = acc[ch * width + q];
          }
        }
      }
    }
  }

  @Override
  void tile(int rows, int k, int bo, int accOff) {
    if (rows > 3) {
      F32Tiles.tile6(dy, ao, rows, k, f.data, bo, acc, accOff);
    } else {
      F32Tiles.tile3(dy, ao, rows, k, f.data, bo, acc, accOff);
    }
  }

  /**
   * Pixel tiles: makes out_backprop rows {@code (b, slotOy[i])} available channel-major ({@code
   * [co][ox]}, {@code pixelRow} apart), as float32, in slots kept across rows: a row stays staged
   * while the next result rows read it, so each is staged about once per block of rows.
   */
  private void stageChannelRows(int b, int nky) {
    int slotLen = p.oc * pixelRow;
    int left = runs.marginLeft;
    for (int i = 0; i < nky; i++) {
      long key = (long) b * p.oh + slotOy[i];
      int s = slotOf(key);
      if (s < 0) {
        s = freeSlot(b, nky);
        stageChannelRow(b, slotOy[i], s * slotLen + left);
        slotKey[s] = key;
      }
      slotOff[i] = s * slotLen + left;
    }
  }

  private int slotOf(long key) {
    for (int s = 0; s < slotKey.length; s++) {
      if (slotKey[s] == key) {
        return s;
      }
    }
    return -1;
  }

  /** A slot that holds none of this row's out_backprop rows (there are fh slots and at most fh such rows). */
  private int freeSlot(int b, int nky) {
    for (int s = 0; s < slotKey.length; s++) {
      boolean needed = false;
      for (int i = 0; i < nky && !needed; i++) {
        needed = slotKey[s] == (long) b * p.oh + slotOy[i];
      }
      if (!needed) {
        return s;
      }
    }
    throw new IllegalStateException("no free stage slot");
  }

  private void stageChannelRow(int b, int oy, int off) {
    if (dtype == DType.FLOAT32) {
      float[] src = dyT.float32Storage();
      if (p.nhwc) {
        int base = dyT.offset() + (b * p.oh + oy) * p.ow * p.oc;
        int ox = 0;
        // Four pixels per out channel: four neighbouring stores, and a quarter of the index
        // arithmetic and bounds checks (S3: 0.55-0.8 ns per element instead of 0.8-1.1).
        for (; ox + 4 <= p.ow; ox += 4) {
          int s = base + ox * p.oc;
          int d = off + ox;
          for (int co = 0; co < p.oc; co++, s++, d += pixelRow) {
            float v0 = src[s];
            float v1 = src[s + p.oc];
            float v2 = src[s + 2 * p.oc];
            float v3 = src[s + 3 * p.oc];
            stage[d] = v0;
            stage[d + 1] = v1;
            stage[d + 2] = v2;
            stage[d + 3] = v3;
          }
        }
        for (; ox < p.ow; ox++) {
          for (int co = 0; co < p.oc; co++) {
            stage[off + co * pixelRow + ox] = src[base + ox * p.oc + co];
          }
        }
      } else {
        for (int co = 0; co < p.oc; co++) {
          System.arraycopy(src, dyT.offset() + ((b * p.oc + co) * p.oh + oy) * p.ow, stage, off + co * pixelRow, p.ow);
        }
      }
      return;
    }
    short[] src = dyT.bits16Storage();
    boolean half = dtype == DType.HALF;
    for (int co = 0; co < p.oc; co++) {
      for (int ox = 0; ox < p.ow; ox++) {
        int i = dyT.offset() + (p.nhwc ? ((b * p.oh + oy) * p.ow + ox) * p.oc + co : ((b * p.oc + co) * p.oh + oy) * p.ow + ox);
        short v = src[i];
        stage[off + co * pixelRow + ox] = half ? Float16.toFloat(v) : BFloat16.toFloat(v);
      }
    }
  }

  @Override
  boolean channelMajorRows() {
    return f.pixel;
  }

  @Override
  boolean batches() {
    return !f.dot && !f.pixel;
  }

  @Override
  void clearAcc(int n) {
    Arrays.fill(acc, 0, n, 0f);
  }

  @Override
  void writeBlock(int from, int to, int width) {
    if (width == NB) {
      F32Tiles.copyBlock(acc, from, dx, to);
    } else {
      System.arraycopy(acc, from, dx, to, width);
    }
  }

  @Override
  void dot(int a0, int aPix, int rows, int k, int w0, int wStride, int cis, int accOff) {
    F32Tiles.dot4x3(dy, a0, aPix, rows, k, f.data, w0, wStride, cis, acc, accOff);
  }

  @Override
  void writeSum(int to, int from) {
    dx[to] = F32Tiles.sum(acc, from);
  }
}
