package org.convgrad.engine;

import java.util.List;
import java.util.function.Consumer;
import org.convgrad.engine.band.BandedRun;
import org.convgrad.engine.band.Bands;
import org.convgrad.engine.band.OutBackpropScan;
import org.convgrad.engine.kernel.BackpropInputKernel;
import org.convgrad.engine.kernel.KernelRegistry;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.LargeTensor;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * Computes {@code conv2d_backprop_input} with the best kernel of its {@link EngineKind} that accepts
 * the problem, on a thread pool it owns ({@code threads} workers, the caller's thread included).
 * Thread-safe; close it to stop its threads.
 *
 * <pre>{@code
 * try (Engine engine = Engine.create(b -> b.kind(EngineKind.SIMD).threads(2))) {
 *   engine.kernelFor(op).describe(op);            // "simd (block-f32x8)", or "reference"
 *   PackedFilter packed = engine.pack(op, filter); // once
 *   Tensor dx = engine.backpropInput(op, packed, dy); // per batch
 * }
 * }</pre>
 *
 * <p>AUTO and SIMD run the Vector API kernel where the JVM has {@code --add-modules
 * jdk.incubator.vector} and the kernel accepts the problem, and the reference kernel otherwise;
 * SCALAR always runs the reference. Results are bitwise the same for any thread count. GPU runs
 * convgrad's CUDA kernels on device {@link Builder#device(int)} (packed filters then live in device
 * memory until the engine closes), and AUTO runs them first where that device is usable ({@link
 * org.convgrad.engine.kernel.gpu.GpuSupport#probe(int)} says why one is not).
 *
 * <pre>{@code
 * try (Engine gpu = Engine.create(b -> b.kind(EngineKind.GPU).device(0))) {
 *   gpu.kernelFor(op).describe(op);                // "gpu (implicit-gemm-f32, device 0 NVIDIA H200)"
 *   Tensor dx = gpu.backpropInput(op, filter, dy);
 * }
 * }</pre>
 */
public final class Engine implements AutoCloseable {
  private final EngineKind kind;
  private final int device;
  private final List<BackpropInputKernel> kernels;
  private final WorkPool pool;

  private Engine(Builder b) {
    this.kind = b.kind;
    this.device = b.device;
    this.kernels = KernelRegistry.kernelsFor(b.kind, b.device);
    this.pool = new WorkPool(b.threads);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** An engine built by {@code spec} from the defaults (AUTO, one thread per processor). */
  public static Engine create(Consumer<Builder> spec) {
    Builder b = builder();
    spec.accept(b);
    return b.build();
  }

  public EngineKind kind() {
    return kind;
  }

  public int threads() {
    return pool.threads();
  }

  /** The GPU device ordinal this engine was built for (used by GPU and AUTO engines). */
  public int device() {
    return device;
  }

  /** The kernel this engine runs for {@code op}. */
  public BackpropInputKernel kernelFor(Conv2dBackpropInput op) {
    for (BackpropInputKernel k : kernels) {
      if (k.supports(op)) {
        return k;
      }
    }
    throw new InvalidArgumentException(
        "engine " + kind.name().toLowerCase() + " has no kernel for " + op + " (kernels: " + names() + ")");
  }

  /** The input gradient of {@code op}, a new tensor of shape {@code op.inputShape()}. */
  public Tensor backpropInput(Conv2dBackpropInput op, Tensor filter, Tensor outBackprop) {
    checkResultFits(op);
    op.checkOperands(filter, outBackprop);
    Tensor result = Tensor.zeros(op.dtype(), op.inputShape());
    kernelFor(op).compute(op, filter.ownArray(), outBackprop, result, open()); // kernels lay filters out from whole arrays
    return result;
  }

  /**
   * Lays {@code filter} out once for the kernel this engine runs for {@code op}, for any number of
   * {@link #backpropInput(Conv2dBackpropInput, PackedFilter, Tensor)} calls with problems of the
   * same filter shape, dtype and group count (batch and spatial sizes may differ). A Spark
   * executor packs the broadcast filter once per task set. {@link PackedFilter#bytes()} is its size.
   */
  public PackedFilter pack(Conv2dBackpropInput op, Tensor filter) {
    pool.requireOpen();
    if (!filter.shape().equals(op.filterShape()) || filter.dtype() != op.dtype()) {
      throw new InvalidArgumentException(
          "Conv2DBackpropInput: filter is " + filter + " but the problem was built for " + op.dtype() + " "
              + op.filterShape());
    }
    return kernelFor(op).pack(op, filter.ownArray());
  }

  /**
   * The input gradient of {@code op} with a filter packed by {@link #pack}, by the kernel that
   * packed it; the same bits as {@link #backpropInput(Conv2dBackpropInput, Tensor, Tensor)} with that
   * kernel.
   */
  public Tensor backpropInput(Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop) {
    Tensor result = checkedResult(op, filter, outBackprop);
    filter.kernel().compute(op, filter, outBackprop, result, open());
    return result;
  }

  /** A result, with the scan of out_backprop by which its kernel chose its tiles ({@link #backpropInputScanned}). */
  public record Scanned(Tensor result, OutBackpropScan scan) {}

  /**
   * As {@link #backpropInput(Conv2dBackpropInput, PackedFilter, Tensor)}, with the scan of
   * out_backprop by which the kernel chose its tiles ({@link OutBackpropScan#EMPTY} where its choice
   * does not depend on the values, {@link BackpropInputKernel#outBackpropLimit}): a caller that must
   * know whether a batch kept within the limit (a Spark task, a DataFrame batch) learns it without a
   * second pass over the batch.
   */
  public Scanned backpropInputScanned(Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop) {
    Tensor result = checkedResult(op, filter, outBackprop);
    return new Scanned(result, filter.kernel().computeAndScan(op, filter, outBackprop, result, open()));
  }

  /**
   * As {@link #backpropInput(Conv2dBackpropInput, PackedFilter, Tensor)}, into {@code result} (the
   * problem's input shape and dtype, a view included), every element of which is written: a caller
   * computing many problems of one shape keeps one result tensor. A new result is allocated and
   * zeroed on the calling thread before the engine's threads start, which bounds what more threads
   * gain (S1 on two threads: 0.3 ms of a 6 ms call). The result may not share elements with
   * out_backprop.
   */
  public void backpropInput(Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop, Tensor result) {
    checkFits(op, filter, outBackprop);
    requireResult(op, outBackprop, result);
    if (result.size() > 0) {
      filter.kernel().compute(op, filter, outBackprop, result, open());
    }
  }

  /**
   * The result rows of a band problem ({@link Conv2dBackpropInput#band}) from the out_backprop rows
   * it reads, with the tiles the whole problem's kernel chooses for the whole problem's out_backprop,
   * which scans as {@code whole}: the band holds those rows of the whole result bit for bit. {@link
   * org.convgrad.engine.band.BandedRun} makes these calls.
   */
  public Tensor backpropInput(
      Conv2dBackpropInput band, PackedFilter filter, Tensor outBackpropRows, OutBackpropScan whole) {
    Tensor result = checkedResult(band, filter, outBackpropRows);
    filter.kernel().compute(band, filter, outBackpropRows, whole, result, open());
    return result;
  }

  /**
   * As {@link #backpropInput(Conv2dBackpropInput, PackedFilter, Tensor, OutBackpropScan)}, into
   * {@code result}, every element of which is written: a view into a large tensor's chunk ({@link
   * LargeTensor#view}), say, so that the band's rows are computed in place. out_backprop may be a
   * view as well.
   */
  public void backpropInput(
      Conv2dBackpropInput band, PackedFilter filter, Tensor outBackpropRows, OutBackpropScan whole, Tensor result) {
    checkFits(band, filter, outBackpropRows);
    requireResult(band, outBackpropRows, result);
    if (result.size() > 0) {
      filter.kernel().compute(band, filter, outBackpropRows, whole, result, open());
    }
  }

  /**
   * As {@link #backpropInputScanned(Conv2dBackpropInput, PackedFilter, Tensor)}, into {@code result}
   * (every element of which is written), for a whole problem or a band. A band chooses its tiles by
   * the scan of its own rows, which it returns: that is the whole problem's choice whenever the whole
   * out_backprop keeps within the kernel's limit, which {@link org.convgrad.engine.band.BandedRun}
   * checks with the scans of all the bands.
   */
  public OutBackpropScan backpropInputScanned(
      Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop, Tensor result) {
    checkFits(op, filter, outBackprop);
    requireResult(op, outBackprop, result);
    return filter.kernel().computeAndScan(op, filter, outBackprop, result, open());
  }

  /** A new result tensor of {@code op}, zeros, once one tensor has been found able to hold it. */
  public Tensor resultFor(Conv2dBackpropInput op) {
    checkResultFits(op);
    return Tensor.zeros(op.dtype(), op.inputShape());
  }

  /**
   * The input gradient of a problem of any size, from an out_backprop held in a {@link LargeTensor}
   * (with more elements than one array, say), into a new one: computed in bands of result rows
   * ({@link Bands#defaultRows}), bit for bit what one call would give if one array held it.
   */
  public LargeTensor backpropInput(Conv2dBackpropInput op, Tensor filter, LargeTensor outBackprop) {
    return backpropInput(op, filter, outBackprop, Bands.defaultRows(op));
  }

  /**
   * As {@link #backpropInput(Conv2dBackpropInput, Tensor, LargeTensor)}, in bands of {@code bandRows}
   * result rows (rounded up to {@link Conv2dBackpropInput#bandAlignment}). The kernel reads a band's
   * out_backprop rows and writes its result rows in place in the chunks ({@link LargeTensor#view})
   * wherever they are one run inside one chunk: NHWC rows of one sample that cross no chunk's end.
   * The result of an NHWC sample is made of one chunk per band, so that its rows always are; the
   * out_backprop rows of a band that crosses one of {@code outBackprop}'s chunk ends, and NCHW
   * bands, are copied, two bands' at most at once ({@link BandedRun#pass}). Memory besides the two
   * large tensors: those copies and the engine's scratch.
   */
  public LargeTensor backpropInput(Conv2dBackpropInput op, Tensor filter, LargeTensor outBackprop, long bandRows) {
    requireOutBackprop(op, outBackprop, outBackprop.shape(), outBackprop.dtype());
    BandedRun run = new BandedRun(this, op, filter);
    List<Conv2dBackpropInput> bands = Bands.of(op, bandRows);
    LargeTensor result = LargeTensor.zeros(op.dtype(), op.inputShape(), resultChunk(op, bands));
    // Where a band's rows lie inside one chunk, the kernel reads and writes them there (views).
    BandedRun.Rows<RuntimeException> io = new BandedRun.Rows<>() {
      @Override
      public Tensor read(Conv2dBackpropInput band) {
        return outBackprop.viewOrRead(band.bandOf().outBackpropStart(), band.outBackpropShape().toArray());
      }

      @Override
      public @Nullable Tensor resultRows(Conv2dBackpropInput band) {
        return result.view(band.bandOf().resultStart(), band.inputShape().toArray());
      }

      @Override
      public void write(Conv2dBackpropInput band, Tensor resultRows) {
        result.write(band.bandOf().resultStart(), resultRows);
      }
    };
    if (!run.pass(bands, io, null)) {
      run.pass(bands, io, run.scanned()); // overwrites every band of the first pass
    }
    return result;
  }

  /**
   * Chunks for a banded result: one band each where a sample's bands lie end to end in C order (NHWC,
   * one sample), so that every band is computed in place in its chunk; else the default.
   */
  private static int resultChunk(Conv2dBackpropInput op, List<Conv2dBackpropInput> bands) {
    var g = op.geometry();
    if (g.batch() == 1 && g.dataFormat() == DataFormat.NHWC && !bands.isEmpty()) {
      long elements = bands.get(0).inputShape().elementCount();
      if (elements > 0 && elements <= Shape.MAX_ELEMENTS) {
        return (int) elements;
      }
    }
    return LargeTensor.DEFAULT_CHUNK_ELEMENTS;
  }

  private static Tensor checkedResult(Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop) {
    checkResultFits(op);
    checkFits(op, filter, outBackprop);
    return Tensor.zeros(op.dtype(), op.inputShape());
  }

  private static void checkFits(Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop) {
    if (!filter.fits(op)) {
      throw new InvalidArgumentException(
          "Conv2DBackpropInput: " + filter + " does not fit " + op
              + " (pack the filter for a problem with the same filter shape, dtype, groups, strides and dilations)");
    }
    requireOutBackprop(op, outBackprop, outBackprop.shape(), outBackprop.dtype());
  }

  /** Rejects an out_backprop ({@code described} in the message) of another shape or dtype than {@code op}'s. */
  private static void requireOutBackprop(Conv2dBackpropInput op, Object described, Shape shape, DType dtype) {
    if (!shape.equals(op.outBackpropShape()) || dtype != op.dtype()) {
      throw new InvalidArgumentException("Conv2DBackpropInput: out_backprop is " + described
          + " but the problem was built for " + op.dtype() + " " + op.outBackpropShape());
    }
  }

  /** Rejects a result tensor of another shape or dtype than {@code op}'s, or one that shares elements with out_backprop. */
  private static void requireResult(Conv2dBackpropInput op, Tensor outBackprop, Tensor result) {
    if (!result.shape().equals(op.inputShape()) || result.dtype() != op.dtype()) {
      throw new InvalidArgumentException("Conv2DBackpropInput: the result is " + result
          + " but the problem was built for " + op.dtype() + " " + op.inputShape());
    }
    if (result.overlaps(outBackprop)) {
      throw new InvalidArgumentException("Conv2DBackpropInput: the result " + result + " shares elements with out_backprop "
          + outBackprop + ": it would be overwritten while it is read; compute into a tensor of its own");
    }
  }

  /** Rejects, before anything is allocated, a result one tensor cannot hold. */
  private static void checkResultFits(Conv2dBackpropInput op) {
    op.inputShape().checkedArrayLength("the result (input_sizes)");
  }

  /** Validates and computes in one call, as TensorFlow's op does. */
  public Tensor backpropInput(long[] inputSizes, Tensor filter, Tensor outBackprop, ConvParams params) {
    return backpropInput(Conv2dBackpropInput.of(inputSizes, filter, outBackprop, params), filter, outBackprop);
  }

  private String names() {
    StringBuilder sb = new StringBuilder();
    for (BackpropInputKernel k : kernels) {
      sb.append(sb.length() == 0 ? "" : ", ").append(k.name());
    }
    return sb.toString();
  }

  /** The pool, once it is checked that this engine is not closed. */
  private WorkPool open() {
    pool.requireOpen();
    return pool;
  }

  /** Stops the threads and releases the kernels' resources (a GPU's device memory and context). */
  @Override
  public void close() {
    try {
      for (BackpropInputKernel k : kernels) {
        if (k instanceof AutoCloseable) {
          try {
            ((AutoCloseable) k).close();
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new IllegalStateException("closing kernel " + k.name() + ": " + e, e);
          }
        }
      }
    } finally {
      pool.close();
    }
  }

  public static final class Builder {
    private EngineKind kind = EngineKind.AUTO;
    private int threads = Runtime.getRuntime().availableProcessors();
    private int device = 0;

    private Builder() {}

    public Builder kind(EngineKind kind) {
      this.kind = java.util.Objects.requireNonNull(kind, "kind");
      return this;
    }

    /** Worker threads, the caller's included; at least 1. */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new InvalidArgumentException("threads must be at least 1, but got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** The GPU device ordinal for GPU and AUTO engines (CUDA's numbering); 0 by default. */
    public Builder device(int ordinal) {
      if (ordinal < 0) {
        throw new InvalidArgumentException("device ordinal must be at least 0, but got " + ordinal);
      }
      this.device = ordinal;
      return this;
    }

    public Engine build() {
      return new Engine(this);
    }
  }
}
