package org.convgrad.engine.kernel.simd;

import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.band.OutBackpropScan;
import org.convgrad.engine.kernel.BackpropInputKernel;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * conv2d_backprop_input on the Vector API: stride-phase decomposition into implicit GEMMs, a
 * packed filter, register tiles, and a thread per worker over result rows.
 *
 * <p><b>Algorithm.</b> Result row (b, y) is reached by the filter rows ky with {@code y + padTop -
 * ky*dh} a multiple of the stride inside out_backprop. The row's pixels are split by stride phase
 * into runs ({@link Plan}); a run of n pixels with T taps is a GEMM of {@code [n, T*cg] x [T*cg,
 * fid]} per group, whose A rows are out_backprop pixels read in place (one offset per tap) and
 * whose B is the packed filter ({@code [g][in-channel block][tap][co][NB]}, NB = two vectors).
 * Register tiles of 6 (or 3) pixels x NB channels broadcast dy and FMA with packed rows; in-channel
 * tails are masked. Float32-family problems with at most 4 in channels per group (S3: 3)
 * vectorize over result pixels instead (the "pixel" tiles: out_backprop rows staged channel-major,
 * the filter broadcast; with a finite filter, one run per stride phase reading zeros past the image
 * edges, {@link Plan#padded}), and float64 ones with few in channels over the out channels (the "dot"
 * tiles), as do problems with somewhat more in channels than a block fills well. Float32-family
 * problems with one group, no dilation, at least 8 in and out channels and a 2x2 or 3x3 filter at
 * stride 1 (S1, S6) or a 3x3 to 6x6 one at stride 2 (S2, S4) run {@link Winograd} F(2x2, 3x3) or,
 * per stride phase, F(2x2, ry x rx) with 1 to 3 taps a side: for S1 16 GEMMs on the block tiles
 * over transformed windows, 2.25x fewer multiply-adds, for S4 9 per phase, 1.78x, for S2 1.44x; a
 * call whose filter or out_backprop holds a non-finite or huge value runs the direct tiles
 * instead, whole.
 *
 * <p><b>Dtypes and layouts.</b> float32 and float64 are computed natively; half and bfloat16 are
 * widened to float32 row by row into scratch, accumulated in float32 and rounded once, as the
 * reference kernel does. NCHW rows are transposed into scratch in the same way. Groups and
 * dilations take the same path (they only change offsets and tap lists).
 *
 * <p><b>Threads.</b> A task is a block of consecutive rows of one image (up to {@link
 * #MAX_BLOCK_ROWS}, or {@link #MAX_PIXEL_BLOCK_ROWS} for the pixel tiles, fewer when that would
 * leave fewer than four tasks per thread or threads idle at the end: {@link DirectSplit}), so that
 * the edge pixels of several rows can share tiles ({@link RowWorker}) and staged out_backprop rows
 * serve the block's rows.
 *
 * <p><b>Determinism.</b> Each result element is one FMA chain over its taps (ky, kx order) and out
 * channels (ascending; dot tiles: lane-strided, then lanes added in a fixed order), computed by one
 * thread: bitwise the same for any thread count. (It rounds differently from the reference, which
 * multiplies and adds separately: compare with a tolerance.)
 *
 * <p><b>Memory.</b> Beyond the result, one call holds the packed filter ({@code groups *
 * ceil(fid/NB)*NB * fh*fw * cg} elements: the filter with its in channels rounded up to NB = 2
 * vector lengths, 16 floats or 8 doubles with 256-bit vectors; for dot tiles a copy of the filter),
 * which {@link org.convgrad.engine.Engine#pack} lets a caller keep across calls (packing a half or
 * bfloat16 filter first widens it into a filter-sized float32 buffer, dropped after), plus per worker
 * thread a fixed scratch: {@code 16 * 12} vectors of accumulators (6 KiB with 256-bit vectors),
 * tap lists and 8 batches of waiting pixels (each at most 96 pixels and {@code max(4096,
 * 6*fh*fw)} out_backprop offsets: 31 KiB in all for a 3x3 filter) and, only for NCHW, half and bfloat16
 * problems, staging: the out_backprop rows and result rows of a block of rows ({@code
 * min(oh, (11 + (fh-1)*dh)/sh + 2) * ow*oc + 12 * w*ic} elements; dot tiles: {@code fh*ow*oc + w*ic};
 * pixel tiles: {@code fh*oc*(ow + 12 L)} floats of channel-major rows, whatever the layout, and at most
 * twice that with the margins of padded runs ({@link Plan#padded}), plus
 * {@code w*ic} for a staged result); Winograd: its packed filter is {@code stride^2 * (r+1)^2 *
 * ceil(fid/NB)*NB * oc} floats beside a copy of the filter (a call that declines Winograd packs it
 * for the direct tiles then, once: the figure above), and its per-thread scratch is given in {@link
 * WinogradWorker}; plus {@code 16*(w + strideW)} bytes of run lists per call. No im2col-sized
 * buffer. {@link #scratchBytesPerThread} gives the exact figure, and SimdKernelTest measures a
 * call's allocations against it. Staging arrays of {@link Scratch#REUSE_FROM} elements or more stay
 * with their thread, softly held, for its next call of the same sizes (a banded run's next band).
 */
public final class SimdBackpropInputKernel implements BackpropInputKernel {
  /** Rows per task at most: twelve rows fill the edge tiles of both stride phases of stride 2. */
  static final int MAX_BLOCK_ROWS = 12;
  /**
   * Rows per task at most for the pixel tiles, which have no batches to fill: a block stages each
   * out_backprop row it reads once, so longer blocks stage fewer rows twice (S3: 27 rows for 48
   * result rows instead of 9 for 12).
   */
  static final int MAX_PIXEL_BLOCK_ROWS = 48;

  /**
   * Why the Vector API cannot run here at useful speed, or null when it can. Called by {@code
   * SimdSupport} before it offers this kernel.
   */
  public static @Nullable String unusableReason() {
    int floats = FloatVector.SPECIES_PREFERRED.length();
    if (floats < 4) {
      return "the preferred float vector has " + floats + " lanes (no usable SIMD hardware)";
    }
    if (DoubleVector.SPECIES_PREFERRED.length() < 2) {
      return "the preferred double vector has fewer than 2 lanes";
    }
    return null;
  }

  @Override
  public String name() {
    return "simd";
  }

  @Override
  public String describe(Conv2dBackpropInput op) {
    return name() + " (" + strategy(op) + ")";
  }

  @Override
  public boolean supports(Conv2dBackpropInput op) {
    var g = op.geometry();
    if (g.filterWidth() > 64) { // a run's filter columns are a 64-bit set
      return false;
    }
    if (g.filterHeight() == 0 || g.filterWidth() == 0) { // no taps (TF: zeros), which the plans divide by
      return false;
    }
    // The plans index pixels, strides and pads in int; larger geometries (which TF accepts: pads are
    // int64) are left to the reference kernel rather than risk a wrapped index.
    long limit = 1L << 30;
    long effectiveH = (g.filterHeight() - 1) * g.dilationH() + 1;
    long effectiveW = (g.filterWidth() - 1) * g.dilationW() + 1;
    for (long v : new long[] {g.strideH(), g.strideW(), g.padTop(), g.padBottom(), g.padLeft(), g.padRight(),
        effectiveH, effectiveW, g.inHeight(), g.inWidth(), g.outHeight(), g.outWidth()}) {
      if (v > limit) {
        return false;
      }
    }
    long nb = op.dtype() == DType.FLOAT64 ? F64Tiles.NB : F32Tiles.NB;
    long blocks = (g.filterInDepth() + nb - 1) / nb;
    long packed = g.groups() * blocks * nb * g.filterHeight() * g.filterWidth() * g.outDepthPerGroup();
    return packed <= Shape.MAX_ELEMENTS
        && g.filterHeight() * (g.outWidth() + F32Worker.PIXEL_SPAN) * g.outDepth() <= Shape.MAX_ELEMENTS
        && g.inWidth() * g.inDepth() <= Shape.MAX_ELEMENTS;
  }

  /**
   * Bytes one worker thread allocates during a call, beyond the packed filter and the result: its
   * accumulators, tap lists, batches of waiting pixels and, for NCHW, half and bfloat16, its staging
   * rows; for Winograd, the larger of its worker's scratch and the direct tiles' (which a call
   * with non-finite values runs). A call allocates this per thread, plus {@link #scratchBytesPerCall}.
   */
  public static long scratchBytesPerThread(Conv2dBackpropInput op) {
    long direct = directScratchBytes(op);
    if (useWinograd(op)) {
      return Math.max(direct, 4 * (WinogradWorker.scratchFloats(new Plan(op)) + RowWorker.TILE));
    }
    return direct;
  }

  private static long directScratchBytes(Conv2dBackpropInput op) {
    var g = op.geometry();
    boolean f64 = op.dtype() == DType.FLOAT64;
    int elem = f64 ? 8 : 4;
    long acc = (long) RowWorker.GROUP_TILES * (f64 ? F64Tiles.ACC : F32Tiles.ACC) * elem;
    long ints = RowWorker.scratchInts((int) g.filterHeight(), (int) g.filterWidth()) + RowWorker.TILE;
    long bytes = acc + 4 * ints;
    boolean staged = g.dataFormat() != DataFormat.NHWC || (op.dtype() != DType.FLOAT32 && !f64);
    if (usePixel(op)) {
      Plan p = new Plan(op);
      long row = F32Worker.pixelRow(p, F32Worker.padsRuns(p) ? p.padded : p.exact);
      bytes += g.filterHeight() * g.outDepth() * row * elem + 8 * g.filterHeight();
      if (staged) {
        bytes += g.inWidth() * g.inDepth() * elem;
      }
    } else if (staged) {
      Plan p = new Plan(op);
      boolean dot = f64 ? useDot(p.fid, p.cg, F64Tiles.L, F64Tiles.NB) : useDot(p.fid, p.cg, F32Tiles.L, F32Tiles.NB);
      long rows = dot ? 1 : MAX_BLOCK_ROWS;
      long dyRows = dot ? g.filterHeight() : RowWorker.blockDyRows(p, MAX_BLOCK_ROWS);
      bytes += (dyRows * g.outWidth() * g.outDepth() + rows * g.inWidth() * g.inDepth()) * elem;
    }
    return bytes;
  }

  /**
   * Bytes a call allocates once, whatever its thread count: the run lists of a result row (exact and
   * per phase).
   */
  public static long scratchBytesPerCall(Conv2dBackpropInput op) {
    var g = op.geometry();
    return 16 * (Math.max(1, g.inWidth()) + Math.max(1, Math.min(g.strideW(), g.inWidth())));
  }

  /** Whether {@code op} runs the dot tiles (vectorized over out channels) rather than the block tiles. */
  static boolean useDot(int fid, int cg, int lanes, int nb) {
    if (cg == 0) {
      return false;
    }
    double block = fid / (double) (((fid + nb - 1) / nb) * nb);
    double dot = 0.7 * cg / (double) (((cg + lanes - 1) / lanes) * lanes);
    return dot > block;
  }

  /**
   * Whether a float32-family problem runs the pixel tiles: at most 4 in channels per group (S3's
   * 3), where the block tiles would waste most of their lanes and the dot tiles spend a horizontal
   * sum per result element.
   */
  static boolean usePixel(Conv2dBackpropInput op) {
    return op.dtype() != DType.FLOAT64 && op.geometry().filterInDepth() <= 4;
  }

  /**
   * Whether a float32-family problem runs {@link Winograd} ({@link Winograd#applies}: a 2x2 or 3x3
   * filter at stride 1 or 3x3 to 6x6 at stride 2, no dilation, one group, at least 8 in and out
   * channels), unless the system property {@code convgrad.winograd} is {@code false} (to time or
   * compare the direct tiles). A call whose out_backprop or filter holds a non-finite or huge value
   * still runs the direct tiles.
   */
  static boolean useWinograd(Conv2dBackpropInput op) {
    return !"false".equals(System.getProperty("convgrad.winograd")) && Winograd.applies(new Plan(op), op.dtype());
  }

  /** Which tiles run {@code op}: "winograd", "block", "dot" or "pixel" (for verbose output and benchmarks). */
  public static String strategy(Conv2dBackpropInput op) {
    return strategy(op, useWinograd(op));
  }

  private static String strategy(Conv2dBackpropInput op, boolean winograd) {
    Plan p = new Plan(op);
    boolean f64 = op.dtype() == DType.FLOAT64;
    boolean dot = f64 ? useDot(p.fid, p.cg, F64Tiles.L, F64Tiles.NB) : useDot(p.fid, p.cg, F32Tiles.L, F32Tiles.NB);
    String tiles = winograd ? "winograd" : usePixel(op) ? "pixel" : dot ? "dot" : "block";
    return tiles + (f64 ? "-f64" : "-f32") + "x" + (f64 ? F64Tiles.L : F32Tiles.L);
  }

  /** The direct tiles where the values sent a Winograd filter's call to them (a value past its limit). */
  @Override
  public String describe(Conv2dBackpropInput op, PackedFilter filter, OutBackpropScan chosenBy) {
    if (filter.payload() instanceof Winograd.Packed wp) {
      double limit = Winograd.limit(new Plan(op), wp);
      return name() + " (" + strategy(op, limit >= 0 && chosenBy.maxAbs() <= limit) + ")";
    }
    return describe(op);
  }

  @Override
  public PackedFilter pack(Conv2dBackpropInput op, Tensor filter) {
    return pack(op, filter, WorkPool.singleThreaded());
  }

  /** Packs {@code filter}, the Winograd transform shared out on {@code pool}. */
  private PackedFilter pack(Conv2dBackpropInput op, Tensor filter, WorkPool pool) {
    Plan p = new Plan(op);
    if (op.dtype() == DType.FLOAT64) {
      F64Worker.Packed packed =
          F64Worker.pack(p, filter.float64Data(), useDot(p.fid, p.cg, F64Tiles.L, F64Tiles.NB));
      return new PackedFilter(this, op, packed, 8L * packed.data.length);
    }
    float[] w = filter.toFloatArray();
    boolean dot = useDot(p.fid, p.cg, F32Tiles.L, F32Tiles.NB);
    if (useWinograd(op)) {
      // The float32 array is the tensor's own: keep a copy, for a direct packing made later.
      float[] copy = filter.dtype() == DType.FLOAT32 ? w.clone() : w;
      Winograd.Packed wp = Winograd.pack(p, copy, dot, pool);
      return new PackedFilter(this, op, wp, 4L * (wp.u.length + copy.length));
    }
    F32Worker.Packed packed = F32Worker.pack(p, w, dot, usePixel(op), pool);
    return new PackedFilter(this, op, packed, 4L * packed.data.length);
  }

  @Override
  public void compute(Conv2dBackpropInput op, Tensor filter, Tensor outBackprop, Tensor result, WorkPool pool) {
    compute(op, pack(op, filter, pool), outBackprop, result, pool);
  }

  /**
   * Where Winograd's tasks stage every out_backprop value ({@link WinogradWorker#stagesAll}), they
   * find its largest magnitude as they go, and the call runs the direct tiles after all (the same
   * bits as choosing them first) when that turns out too large for Winograd: out_backprop is read
   * once, and no single-threaded pass over it comes first (on S6, 2.3 ms of a 20 ms call on two
   * threads, and more than the whole compute on 16).
   */
  @Override
  public void compute(
      Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop, Tensor result, WorkPool pool) {
    computeAndScan(op, filter, outBackprop, result, pool);
  }

  /** With a Winograd filter, the scan is the one its staging finds, or the one that chose the direct tiles. */
  @Override
  public OutBackpropScan computeAndScan(
      Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop, Tensor result, WorkPool pool) {
    if (!(filter.payload() instanceof Winograd.Packed wp)) {
      compute(op, filter, outBackprop, OutBackpropScan.EMPTY, result, pool);
      return OutBackpropScan.EMPTY;
    }
    if (result.size() > 0) {
      Plan p = new Plan(op);
      double limit = Winograd.limit(p, wp);
      WinogradWorker.Split split = WinogradWorker.split(p, pool.threads());
      if (limit >= 0 && WinogradWorker.stagesAll(p, split.bands())) {
        double maxAbs = computeWinograd(p, wp, split, outBackprop, result, pool, true);
        if (!(maxAbs <= limit)) {
          computeDirect(op, p, wp.direct(), outBackprop, result, pool);
        }
        return new OutBackpropScan(maxAbs, outBackprop.size());
      }
    }
    OutBackpropScan scan = scan(outBackprop);
    compute(op, filter, outBackprop, scan, result, pool);
    return scan;
  }

  /** Winograd's {@link Winograd#limit}; infinite when the filter alone already sends the call to the direct tiles. */
  @Override
  public double outBackpropLimit(Conv2dBackpropInput op, PackedFilter filter) {
    if (filter.payload() instanceof Winograd.Packed wp) {
      double limit = Winograd.limit(new Plan(op), wp);
      return limit < 0 ? Double.POSITIVE_INFINITY : limit;
    }
    return Double.POSITIVE_INFINITY;
  }

  /**
   * Winograd runs only when the whole problem's out_backprop ({@code whole}) and filter are finite and
   * small enough ({@link Winograd#limit}), otherwise the direct tiles do, for the whole call: which
   * kernel computed a result depends on the data alone, and a band of it chooses as the whole does.
   */
  @Override
  public void compute(
      Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop, OutBackpropScan whole, Tensor result,
      WorkPool pool) {
    if (result.size() == 0) {
      return;
    }
    Plan p = new Plan(op);
    if (filter.payload() instanceof Winograd.Packed wp) {
      double limit = Winograd.limit(p, wp);
      if (limit >= 0 && whole.maxAbs() <= limit) {
        computeWinograd(p, wp, WinogradWorker.split(p, pool.threads()), outBackprop, result, pool, false);
      } else {
        computeDirect(op, p, wp.direct(), outBackprop, result, pool);
      }
      return;
    }
    computeDirect(op, p, filter.payload(), outBackprop, result, pool);
  }

  /** {@link OutBackpropScan#of}, on vectors for float32. */
  @Override
  public OutBackpropScan scan(Tensor outBackprop) {
    if (outBackprop.dtype() == DType.FLOAT32) {
      return new OutBackpropScan(Winograd.maxAbs(outBackprop.float32Storage(), outBackprop.offset(), outBackprop.size()), outBackprop.size());
    }
    return OutBackpropScan.of(outBackprop);
  }

  /**
   * How the direct tiles cut a problem into tasks for {@code threads} threads: blocks of {@code
   * blockRows} rows of one image, or for a pointwise problem read in place, {@code pixels} consecutive
   * pixels. Each is the largest that leaves no thread idle for long ({@link WorkPool#grain}); rows
   * are also kept to a quarter of one thread's share.
   */
  record DirectSplit(boolean pointwise, int blockRows, int blocksPerImage, int pixels, int tasks) {
    static DirectSplit of(Conv2dBackpropInput op, Plan p, int threads) {
      boolean f64 = op.dtype() == DType.FLOAT64;
      boolean inPlace = p.nhwc && (f64 || op.dtype() == DType.FLOAT32);
      boolean pointwise = p.pointwise && inPlace && !usePixel(op);
      int maxRows = usePixel(op) ? MAX_PIXEL_BLOCK_ROWS : MAX_BLOCK_ROWS;
      int rows = WorkPool.grain(Math.min(maxRows, p.batch * p.h / (4 * threads)), threads,
          r -> (long) p.batch * ceilDiv(p.h, r));
      long all = (long) p.batch * p.h * p.w;
      int pixels = RowWorker.TILE * WorkPool.grain(RowWorker.BATCH_TILES, threads,
          t -> ceilDiv(all, (long) RowWorker.TILE * t));
      int perImage = ceilDiv(p.h, rows);
      return new DirectSplit(pointwise, rows, perImage, pixels,
          pointwise ? (int) ceilDiv(all, pixels) : p.batch * perImage);
    }
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /** The direct tiles, with the filter packed by F32Worker or F64Worker. */
  private static void computeDirect(
      Conv2dBackpropInput op, Plan p, Object packed, Tensor outBackprop, Tensor result, WorkPool pool) {
    boolean f64 = op.dtype() == DType.FLOAT64;
    DirectSplit split = DirectSplit.of(op, p, pool.threads());
    int pixels = p.batch * p.h * p.w;
    int tasks = split.tasks();
    int perImage = split.blocksPerImage();
    AtomicInteger next = new AtomicInteger();
    pool.parallelFor(
        Math.min(pool.threads(), tasks),
        worker -> {
          RowWorker wk =
              f64
                  ? new F64Worker(p, (F64Worker.Packed) packed, outBackprop, result, split.blockRows())
                  : new F32Worker(p, (F32Worker.Packed) packed, outBackprop, result, split.blockRows());
          for (int t = next.getAndIncrement(); t < tasks; t = next.getAndIncrement()) {
            if (split.pointwise()) {
              int p0 = t * split.pixels();
              wk.pixels(p0, Math.min(split.pixels(), pixels - p0));
            } else {
              int r0 = (t / perImage) * p.h + (t % perImage) * split.blockRows();
              wk.rows(r0, Math.min(r0 + split.blockRows(), (t / perImage + 1) * p.h));
            }
          }
        });
  }

  /**
   * Winograd: a task is a few bands of result rows of one image, or one phase row of them ({@link
   * WinogradWorker#split}; the results do not depend on how they are shared out). With {@code
   * findMax}, returns the largest magnitude among the out_backprop values staged ({@link
   * WinogradWorker#stagedMax}), else 0.
   */
  private static double computeWinograd(Plan p, Winograd.Packed f, WinogradWorker.Split split, Tensor outBackprop,
      Tensor result, WorkPool pool, boolean findMax) {
    int tasks = (int) split.tasks();
    int workers = Math.min(pool.threads(), tasks);
    double[] max = new double[workers];
    AtomicInteger next = new AtomicInteger();
    pool.parallelFor(
        workers,
        worker -> {
          WinogradWorker wk = new WinogradWorker(p, f, outBackprop, result, split.bands(), findMax);
          for (int t = next.getAndIncrement(); t < tasks; t = next.getAndIncrement()) {
            wk.task(split, t);
          }
          max[worker] = wk.stagedMax();
        });
    double all = 0;
    for (double m : max) {
      all = Math.max(all, m); // NaN, a non-finite value, wins
    }
    return all;
  }
}
