package org.convgrad.engine.kernel.simd;

import static org.convgrad.engine.kernel.simd.F32Tiles.L;
import static org.convgrad.engine.kernel.simd.F32Tiles.NB;

import java.util.Arrays;
import org.convgrad.engine.DType;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Tensor;

/**
 * Computes the result with {@link Winograd}, a task (one or more bands of {@code m * stride} rows,
 * m the block side, {@link Winograd#side}) at a time: stages the out_backprop rows its m x m blocks
 * read (zero outside the image, out channels padded to a whole vector); per phase, transforms the
 * windows of up to {@link #GROUP} blocks, runs the GEMMs of each in-channel block on the block
 * tiles and transforms each block's m x m pixels back into the task's staged result rows, written
 * out at the end. One per worker thread per call.
 *
 * <p>Scratch, in floats, with r the largest sub-filter size (phase 0's) and P = (m + r - 1)^2 its
 * points: the staged rows ({@code (r + m * bands + stride - 2) * stageW * roundUp(oc, L)}, stageW
 * about {@code w / stride + r + m - 1}), the transformed windows of a group ({@code P * GROUP *
 * roundUp(oc, L)}), their GEMM results ({@code P * GROUP * NB}), a row of out_backprop as read
 * ({@code ow * oc}), the task's result rows ({@code bands * m * stride * w * ic}), bands = {@link
 * Split#bands}, and a block's pixels and a two-pass transform's temporary ({@code m * m * L},
 * {@code P * L}): {@link #scratchFloats}.
 */
final class WinogradWorker {
  /** Blocks transformed and multiplied together at most: five block tiles of 6 per GEMM. */
  static final int GROUP = 30;
  /**
   * Blocks a task gathers per phase column at least, from several bands when a band has fewer (S4:
   * 8): each chunk of the packed filter is read once per GEMM, so a GEMM of few blocks streams it
   * for little work.
   */
  static final int MIN_BLOCKS = 24;
  /**
   * Bands a task computes at least: four bands of side 2 stage r + 7 rows for their 8 * stride
   * result rows, one r + 1 for 2 * stride.
   */
  static final int MIN_BANDS = 4;

  private final Plan p;
  private final Winograd.Packed f;
  private final Tensor dyT;
  private final Tensor dxT;
  private final int s;
  /** Result pixels a side of a block: {@link Winograd#side}. */
  private final int side;
  /** Out_backprop column of staged pixel 0, and staged pixels per row: every window of every phase column. */
  private final int oxFirst;
  private final int stageW;
  /** Out channels per staged pixel and transformed window: oc rounded up to a vector. */
  private final int ocp;
  /** Bands per task: {@link Split#bands}. */
  private final int bandsPerTask;
  private final float[] stage;
  private final float[] row;
  private final float[] v;
  private final float[] m;
  private final float[] out;
  private final float[] block;
  private final float[] tmp;
  private final int[] ao = new int[RowWorker.TILE];
  /** The staged offset of each block's window in the group. */
  private final int[] windows = new int[GROUP];
  /** Whether {@link #stageRows} keeps {@link #stagedMax}. */
  private final boolean findsMax;
  /** The largest magnitude among the out_backprop rows staged so far, NaN once one was not finite. */
  private double stagedMax;

  /**
   * A worker for tasks of {@code bandsPerTask} bands ({@link #split}); with {@code
   * findsMax}, it keeps the largest magnitude of what it stages ({@link #stagedMax()}).
   */
  WinogradWorker(Plan p, Winograd.Packed f, Tensor dyT, Tensor dxT, int bandsPerTask, boolean findsMax) {
    this.p = p;
    this.f = f;
    this.dyT = dyT;
    this.dxT = dxT;
    this.s = p.sh;
    this.side = Winograd.side(p);
    int[] span = stageSpan(p);
    this.oxFirst = span[0];
    this.stageW = span[1] - span[0];
    this.ocp = roundUp(p.oc);
    this.bandsPerTask = bandsPerTask;
    this.stage = Scratch.floats(Scratch.Slot.WINOGRAD_STAGE, stagedRows(p, bandsPerTask) * stageW * ocp);
    this.row = Scratch.floats(Scratch.Slot.WINOGRAD_ROW, p.ow * p.oc);
    this.v = new float[Winograd.points(p, 0) * GROUP * ocp];
    this.m = new float[Winograd.points(p, 0) * GROUP * NB];
    this.out = Scratch.floats(Scratch.Slot.WINOGRAD_RESULT, bandsPerTask * side * s * p.w * p.ic);
    this.block = new float[side * side * L];
    this.tmp = new float[Winograd.points(p, 0) * L];
    this.findsMax = findsMax;
  }

  /**
   * The largest magnitude among the out_backprop values this worker's tasks staged, NaN when one
   * was not finite, 0 for none ({@link Winograd#maxAbs}).
   */
  double stagedMax() {
    return stagedMax;
  }

  /**
   * Bands a task computes at most: enough that a phase column has {@link #MIN_BLOCKS} blocks, and
   * at least {@link #MIN_BANDS}, since neighbouring bands share out_backprop rows a task stages once.
   */
  static int maxBandsPerTask(Plan p) {
    int blocks = Math.max(1, blocksX(p, 0));
    return Math.max(1, Math.min(bands(p), Math.max(MIN_BANDS, (MIN_BLOCKS + blocks - 1) / blocks)));
  }

  /**
   * How a call's work is cut into tasks: {@code bands} bands of one image each, and with {@code
   * phaseRows} one task per phase row of them; {@code tasks} in all.
   */
  record Split(int bands, boolean phaseRows, long tasks) {}

  /**
   * The split on {@code threads} threads: tasks of {@link #maxBandsPerTask} bands, fewer when that
   * would leave threads idle at the end ({@link WorkPool#grain}; S1 on 16 threads: 56 tasks of 4
   * bands, 0.875 of the threads' time, or 80 of 3); with stride 2, one task per phase row where
   * whole bands cannot keep the threads busy (S2's 56 bands of 4x4 blocks on 9 threads: 0.89 of
   * their time, 112 half bands 0.96). Each task stages all of its bands' out_backprop rows. The
   * results do not depend on the split.
   */
  static Split split(Plan p, int threads) {
    int bands = bands(p);
    int whole = WorkPool.grain(maxBandsPerTask(p), threads, n -> (long) p.batch * ((bands + n - 1) / n));
    Split split = new Split(whole, false, (long) p.batch * ((bands + whole - 1) / whole));
    if (p.sh == 1 || WorkPool.balance(split.tasks, threads) >= WorkPool.MIN_BALANCE) {
      return split;
    }
    int halves = WorkPool.grain(maxBandsPerTask(p), threads, n -> (long) p.batch * p.sh * ((bands + n - 1) / n));
    Split rows = new Split(halves, true, (long) p.batch * p.sh * ((bands + halves - 1) / halves));
    return WorkPool.balance(rows.tasks, threads) > WorkPool.balance(split.tasks, threads) ? rows : split;
  }

  /**
   * Out_backprop rows a task stages: the m + ry - 1 of a band's windows (phase row 0 has the largest
   * ry), m more per further band, and one more with stride 2, whose two phase rows start one row apart.
   */
  private static int stagedRows(Plan p, int bandsPerTask) {
    return Winograd.sub(p, 0) - 1 + Winograd.side(p) * bandsPerTask + (p.sh - 1);
  }

  /** Scratch floats of one worker at most (see the class comment). */
  static long scratchFloats(Plan p) {
    int[] span = stageSpan(p);
    long ocp = roundUp(p.oc);
    long points = Winograd.points(p, 0);
    long side = Winograd.side(p);
    return (long) stagedRows(p, maxBandsPerTask(p)) * (span[1] - span[0]) * ocp + points * GROUP * ocp + points * GROUP * NB
        + (long) p.ow * p.oc + (long) maxBandsPerTask(p) * side * p.sh * p.w * p.ic + side * side * L + points * L;
  }

  private static int roundUp(int oc) {
    return (oc + L - 1) / L * L;
  }

  /** The first result column of phase column px, or w when it has none. */
  private static int firstX(Plan p, int px) {
    return Math.floorMod(px - p.padLeft, p.sh);
  }

  /** Blocks (runs of {@link Winograd#side} result columns) of phase column px. */
  private static int blocksX(Plan p, int px) {
    int xs = firstX(p, px);
    int m = Winograd.side(p);
    return xs >= p.w ? 0 : ((p.w - xs + p.sh - 1) / p.sh + m - 1) / m;
  }

  /** The out_backprop column the first block of phase column px reads through its sub-filter's first tap. */
  private static int firstOx(Plan p, int px) {
    return (firstX(p, px) + p.padLeft - px) / p.sh;
  }

  /** Out_backprop columns {@code [from, to)} the windows of all phase columns read. */
  private static int[] stageSpan(Plan p) {
    int from = Integer.MAX_VALUE;
    int to = Integer.MIN_VALUE;
    for (int px = 0; px < p.sh; px++) {
      if (blocksX(p, px) > 0) {
        from = Math.min(from, firstOx(p, px) - (Winograd.sub(p, px) - 1));
        to = Math.max(to, firstOx(p, px) + Winograd.side(p) * blocksX(p, px));
      }
    }
    return new int[] {from, to};
  }

  /** Bands of {@code m * stride} result rows per image, m = {@link Winograd#side}. */
  static int bands(Plan p) {
    int rows = Winograd.side(p) * p.sh;
    return (p.h + rows - 1) / rows;
  }

  /**
   * The out_backprop rows {@code [lo, hi)} a task of result rows {@code [yStart, yEnd)} stages, as
   * {@code lo << 32 | hi} (hi as an unsigned int; lo may be negative, hi past the last row): the
   * phase rows read nearly the same out_backprop rows, so they are staged once, for all.
   */
  private static long stagedRowSpan(Plan p, int yStart, int yEnd) {
    int s = p.sh;
    int m = Winograd.side(p);
    int oyLo = Integer.MAX_VALUE;
    int oyHi = Integer.MIN_VALUE;
    for (int py = 0; py < s; py++) {
      int y0 = yStart + Math.floorMod(py - p.padTop, s);
      if (y0 < yEnd) {
        int oy0 = (y0 + p.padTop - py) / s;
        oyLo = Math.min(oyLo, oy0 - (Winograd.sub(p, py) - 1));
        oyHi = Math.max(oyHi, oy0 + m * ((yEnd - y0 + m * s - 1) / (m * s)));
      }
    }
    return (long) oyLo << 32 | (oyHi & 0xffffffffL);
  }

  /**
   * Whether the tasks of {@code bandsPerTask} bands stage every out_backprop value between them
   * (SAME and VALID paddings do): then {@link #stagedMax()} over all workers is the whole
   * out_backprop's largest magnitude, and a call needs no pass of its own to find it. False when
   * unsure.
   */
  static boolean stagesAll(Plan p, int bandsPerTask) {
    int[] span = stageSpan(p);
    if (span[0] > 0 || span[1] < p.ow) {
      return false;
    }
    int covered = 0; // out_backprop rows [0, covered) are staged by the tasks so far
    int taskRows = Winograd.side(p) * p.sh * bandsPerTask;
    for (int yStart = 0; yStart < p.h && covered < p.oh; yStart += taskRows) {
      long rows = stagedRowSpan(p, yStart, Math.min(p.h, yStart + taskRows));
      if ((int) (rows >> 32) > covered) {
        return false;
      }
      covered = Math.max(covered, (int) rows);
    }
    return covered >= p.oh;
  }

  /** Computes task {@code t} of {@code split}: its image, bands and phase rows. */
  void task(Split split, int t) {
    int perImage = (int) (split.tasks / p.batch);
    int rowTasks = split.phaseRows ? s : 1;
    int py = t % rowTasks;
    task(t / perImage, t % perImage / rowTasks, split.phaseRows ? py : 0, split.phaseRows ? py + 1 : s);
  }

  /**
   * Computes the result rows of phase rows {@code [pyFrom, pyEnd)} of task {@code task} of image
   * {@code b}: bands {@code [task * n, task * n + n)} of {@code side * stride} rows (those inside), n =
   * {@link Split#bands}.
   */
  private void task(int b, int task, int pyFrom, int pyEnd) {
    int yStart = side * s * bandsPerTask * task;
    int yEnd = Math.min(p.h, yStart + side * s * bandsPerTask);
    long span = stagedRowSpan(p, yStart, yEnd);
    int oyLo = (int) (span >> 32);
    int oyHi = (int) span;
    stageRows(b, oyLo, oyHi - oyLo);
    for (int py = pyFrom; py < pyEnd; py++) {
      int y0 = yStart + Math.floorMod(py - p.padTop, s);
      if (y0 >= yEnd) {
        continue;
      }
      int nb = (yEnd - y0 + side * s - 1) / (side * s); // bands whose phase row starts inside
      int rowBase = (y0 + p.padTop - py) / s - (Winograd.sub(p, py) - 1) - oyLo;
      for (int px = 0; px < s; px++) {
        phaseColumn(py * s + px, y0 - yStart, nb, firstX(p, px), blocksX(p, px),
            rowBase * stageW + firstOx(p, px) - (Winograd.sub(p, px) - 1) - oxFirst, yEnd - yStart);
      }
    }
    for (int y = yStart; y < yEnd; y++) {
      int py = Math.floorMod(y + p.padTop, s);
      if (py >= pyFrom && py < pyEnd) {
        PixelRows.store(p, out, (y - yStart) * p.w * p.ic, dxT, b, y);
      }
    }
  }

  /**
   * The blocks of one phase column over {@code nb} bands: block (k, t) has its results at task rows
   * {@code yRel + side * s * k + s * a} (those below {@code rowsEnd}) and columns {@code x0 + s *
   * (side * t + bx)}, its window at staged pixel {@code q0 + side * (k * stageW + t)}.
   */
  private void phaseColumn(int phase, int yRel, int nb, int x0, int blocksPerBand, int q0, int rowsEnd) {
    int ry = Winograd.sub(p, phase / s);
    int rx = Winograd.sub(p, phase % s);
    boolean staged = ry == 1 && rx == 1; // V is the window itself: the GEMMs read the staged pixels
    int pointStride = GROUP * ocp;
    int total = nb * blocksPerBand;
    if (total == 0) {
      return; // a phase column with no pixel (one column at stride 2): nothing to compute, nor to divide by
    }
    // Even groups, rounded up to whole tiles: 56 blocks as 28 + 28 ran 60 tile rows, as 30 + 26, 57.
    int even = (total + (total + GROUP - 1) / GROUP - 1) / ((total + GROUP - 1) / GROUP);
    int size = Math.min(GROUP, (even + RowWorker.TILE - 1) / RowWorker.TILE * RowWorker.TILE);
    for (int i0 = 0; i0 < total; i0 += size) {
      int nt = Math.min(size, total - i0);
      for (int t = 0; t < nt; t++) {
        int k = (i0 + t) / blocksPerBand;
        int src = (side * (k * stageW + (i0 + t) % blocksPerBand) + q0) * ocp;
        windows[t] = src;
        if (staged) {
          continue;
        } else if (side == 2 && ry == 3 && rx == 3) {
          WinogradTransforms.input4(stage, src, stageW, ocp, v, t * ocp, pointStride, ocp);
        } else if (side == 2 && ry == 2 && rx == 2) {
          WinogradTransforms.input3(stage, src, stageW, ocp, v, t * ocp, pointStride, ocp);
        } else {
          WinogradSeparable.input(side, ry, rx, stage, src, stageW, ocp, v, t * ocp, pointStride, ocp, tmp);
        }
      }
      for (int cb = 0; cb < f.blocks; cb++) {
        multiply(phase, nt, cb, staged);
        int width = Math.min(NB, p.fid - cb * NB);
        for (int t = 0; t < nt; t++) {
          int y = yRel + side * s * ((i0 + t) / blocksPerBand);
          int rows = Math.min(side, (rowsEnd - y + s - 1) / s);
          int x = x0 + s * side * ((i0 + t) % blocksPerBand);
          boolean inside = rows == side && x + s * (side - 1) < p.w;
          for (int h = 0; h < width; h += L) {
            int c = cb * NB + h;
            int mAt = t * NB + h;
            if (width - h >= L && inside) {
              transformOut(ry, rx, mAt, out, (y * p.w + x) * p.ic + c, s * p.w * p.ic, s * p.ic);
            } else {
              transformOut(ry, rx, mAt, block, 0, side * L, L);
              writeBlock(y, rows, x, c, Math.min(L, width - h));
            }
          }
        }
      }
    }
  }

  private void transformOut(int ry, int rx, int mAt, float[] y, int y0, int rowStride, int pix) {
    if (side == 2 && ry == 3 && rx == 3) {
      WinogradTransforms.output4(m, mAt, GROUP * NB, y, y0, rowStride, pix);
    } else if (side == 2 && ry == 2 && rx == 2) {
      WinogradTransforms.output3(m, mAt, GROUP * NB, y, y0, rowStride, pix);
    } else {
      WinogradSeparable.output(side, ry, rx, m, mAt, GROUP * NB, y, y0, rowStride, pix, tmp);
    }
  }

  /**
   * The GEMMs of phase {@code phase} and in-channel block {@code cb} for {@code nt} blocks: point k's
   * transformed windows (rows of {@code v}; with {@code staged}, a 1x1 phase's, the staged pixels
   * themselves) times its packed filter, over all out channels in ascending order, into {@code m}
   * (point k, block t at {@code (k * GROUP + t) * NB}).
   */
  private void multiply(int phase, int nt, int cb, boolean staged) {
    float[] a = staged ? stage : v;
    int points = Winograd.points(p, phase);
    Arrays.fill(m, 0, points * GROUP * NB, 0f);
    int kc = F32Worker.KC;
    int base = Winograd.filterBase(p, phase);
    for (int k = 0; k < points; k++) {
      int bo = ((base + Winograd.filterPoint(p, phase, k)) * f.blocks + cb) * p.oc * NB;
      int point = staged ? (k / side * stageW + k % side) * ocp : k * GROUP * ocp;
      for (int c0 = 0; c0 < p.oc; c0 += kc) {
        int kl = Math.min(kc, p.oc - c0);
        for (int t = 0; t < nt; t += RowWorker.TILE) {
          int rows = Math.min(RowWorker.TILE, nt - t);
          for (int i = 0; i < RowWorker.TILE; i++) {
            int block = t + Math.min(i, rows - 1);
            ao[i] = (staged ? windows[block] : block * ocp) + point + c0;
          }
          int accOff = (k * GROUP + t) * NB;
          if (rows > 3) {
            F32Tiles.tile6(a, ao, rows, kl, f.u, bo + c0 * NB, m, accOff);
          } else {
            F32Tiles.tile3(a, ao, rows, kl, f.u, bo + c0 * NB, m, accOff);
          }
        }
      }
    }
  }

  /** Copies the pixels of {@link #block} inside the image ({@code width} channels from {@code c}) to the result band. */
  private void writeBlock(int yRel, int rows, int x, int c, int width) {
    for (int a = 0; a < rows; a++) {
      for (int bx = 0; bx < side && x + s * bx < p.w; bx++) {
        System.arraycopy(block, (a * side + bx) * L, out, ((yRel + s * a) * p.w + x + s * bx) * p.ic + c, width);
      }
    }
  }

  /**
   * Stages out_backprop rows {@code [oy0, oy0 + rows)} (zeros outside the image): staged pixel q of
   * a row is column {@code oxFirst + q}, its out channels padded with zeros to {@link #ocp}.
   */
  private void stageRows(int b, int oy0, int rows) {
    int qFirst = Math.max(0, -oxFirst);
    int qEnd = Math.max(qFirst, Math.min(stageW, p.ow - oxFirst));
    // float32 NHWC without channel padding: a row's staged pixels are a slice of out_backprop.
    boolean slice = p.nhwc && dyT.dtype() == DType.FLOAT32 && ocp == p.oc;
    for (int i = 0; i < rows; i++) {
      int oy = oy0 + i;
      int at = i * stageW * ocp;
      if (oy < 0 || oy >= p.oh || qFirst == qEnd) {
        Arrays.fill(stage, at, at + stageW * ocp, 0f);
        continue;
      }
      if (slice) {
        Arrays.fill(stage, at, at + qFirst * ocp, 0f);
        Arrays.fill(stage, at + qEnd * ocp, at + stageW * ocp, 0f);
        int src = dyT.offset() + ((b * p.oh + oy) * p.ow + qFirst + oxFirst) * p.oc;
        int n = (qEnd - qFirst) * p.oc;
        if (findsMax) {
          stagedMax = Math.max(stagedMax, Winograd.copyMaxAbs(dyT.float32Storage(), src, stage, at + qFirst * ocp, n));
        } else {
          System.arraycopy(dyT.float32Storage(), src, stage, at + qFirst * ocp, n);
        }
        continue;
      }
      Arrays.fill(stage, at, at + stageW * ocp, 0f);
      PixelRows.load(p, dyT, b, oy, row, 0);
      for (int q = qFirst; q < qEnd; q++) {
        System.arraycopy(row, (q + oxFirst) * p.oc, stage, at + q * ocp, p.oc);
      }
      if (findsMax) {
        stagedMax = Math.max(stagedMax, Winograd.maxAbs(stage, at + qFirst * ocp, (qEnd - qFirst) * ocp));
      }
    }
  }
}
