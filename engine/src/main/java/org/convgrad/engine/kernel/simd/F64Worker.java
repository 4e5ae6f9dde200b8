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

  private final Packed f;
  private final boolean staged;
  /** As {@link F32Worker}'s: NCHW block tiles stage a block's rows at once. */
  private final boolean blockStaged;
  private final Tensor dyT;
  private final Tensor dxT;
  private final double[] dy;
  private final double[] dx;
  private final double[] stage;
  private final double[] acc;

  F64Worker(Plan p, Packed f, Tensor dyT, Tensor dxT, int blockRows) {
    super(p, p.exact, new TileShape(NB, ACC, KC, F64Tiles.L), f.blocks);
    this.f = f;
    this.dyT = dyT;
    this.dxT = dxT;
    this.staged = !p.nhwc;
    this.blockStaged = staged && !f.dot;
    this.stage = Scratch.doubles(Scratch.Slot.STAGE,
        blockStaged ? blockDyRows(p, blockRows) * p.ow * p.oc : staged ? p.fh * p.ow * p.oc : 0);
    this.dy = staged ? stage : dyT.float64Storage();
    this.dx = staged ? Scratch.doubles(Scratch.Slot.RESULT, (blockStaged ? blockRows : 1) * p.w * p.ic)
        : dxT.float64Storage();
    readsInPlace(staged ? 0 : dyT.offset(), staged ? 0 : dxT.offset());
    this.acc = new double[GROUP_TILES * ACC];
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
  boolean stagesBlocks() {
    return blockStaged;
  }

  @Override
  void stageRows(int b, int nky) {
    pixelMajorRows(b, nky, staged);
  }

  /** Transposes NCHW out_backprop row (b, oy) into {@code stage} at {@code off}, pixel-major. */
  @Override
  void stageRow(int b, int oy, int off) {
    double[] src = dyT.float64Storage();
    for (int co = 0; co < p.oc; co++) {
      int s = dyT.offset() + ((b * p.oc + co) * p.oh + oy) * p.ow;
      for (int ox = 0; ox < p.ow; ox++) {
        stage[off + ox * p.oc + co] = src[s + ox];
      }
    }
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

  /** Transposes result row (b, y), computed pixel-major into {@code dx} from {@code from}, out to NCHW. */
  @Override
  void writeRow(int b, int y, int from) {
    double[] out = dxT.float64Storage();
    for (int ci = 0; ci < p.ic; ci++) {
      int d = dxT.offset() + ((b * p.ic + ci) * p.h + y) * p.w;
      for (int x = 0; x < p.w; x++) {
        out[d + x] = dx[from + x * p.ic + ci];
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
    runDot(n, dxOff, dxPix, nt);
  }

  @Override
  void tile(int rows, int k, int bo, int accOff) {
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
  void clearAcc(int n) {
    Arrays.fill(acc, 0, n, 0.0);
  }

  @Override
  void writeBlock(int from, int to, int width) {
    if (width == NB) {
      F64Tiles.copyBlock(acc, from, dx, to);
    } else {
      System.arraycopy(acc, from, dx, to, width);
    }
  }

  @Override
  void dot(int a0, int aPix, int rows, int k, int w0, int wStride, int cis, int accOff) {
    F64Tiles.dot4x3(dy, a0, aPix, rows, k, f.data, w0, wStride, cis, acc, accOff);
  }

  @Override
  void writeSum(int to, int from) {
    dx[to] = F64Tiles.sum(acc, from);
  }
}
