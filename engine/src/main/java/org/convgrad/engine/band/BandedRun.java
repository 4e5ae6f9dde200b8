package org.convgrad.engine.band;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * One problem computed band by band ({@link Bands}), with the filter packed once for the whole
 * problem's kernel. Each band's result is those rows of the whole result, bit for bit, whatever the
 * band height, provided every band chooses its tiles as the whole problem does, which for the SIMD
 * kernel depends on the largest magnitude in the whole out_backprop ({@link OutBackpropScan}).
 *
 * <p>So that out_backprop is read once, the bands are computed on the assumption that its values
 * stay within the kernel's {@link #outBackpropLimit} (finite, moderate data: the common case), each
 * choosing by its own rows, whose scan the kernel finds as it stages them; the bands of a sample
 * read every out_backprop row of it between them. When {@link #choseAsTheWhole()} is false at the end, some value broke the assumption: compute
 * the bands again with {@link #compute(Conv2dBackpropInput, Tensor, OutBackpropScan)} and {@link
 * #scanned()}.
 *
 * <pre>{@code
 * BandedRun run = new BandedRun(engine, op, filter);
 * List<Conv2dBackpropInput> bands = Bands.of(op, rows);
 * if (!run.pass(bands, io, null)) run.pass(bands, io, run.scanned());
 * }</pre>
 *
 * <p>A run is for one out_backprop: its scan keeps every value read so far, so bands of other data
 * computed by the same run would choose their tiles by both. Make a new run for new data.
 *
 * Thread-safe.
 */
public final class BandedRun {
  /** Where a pass reads each band's out_backprop rows and writes its result rows. */
  public interface Rows<E extends Exception> {
    /** The out_backprop rows {@code band}'s {@link org.convgrad.engine.RowBand} names. */
    Tensor read(Conv2dBackpropInput band) throws E;

    /**
     * As {@link #read(Conv2dBackpropInput)}, which the default calls; {@code spare}, when not null,
     * is an earlier band's rows that the pass no longer needs, for the read to fill instead of a new
     * tensor where it has the shape (bands of one height: every band but the last).
     */
    default Tensor read(Conv2dBackpropInput band, @Nullable Tensor spare) throws E {
      return read(band);
    }

    /**
     * Where {@code band}'s result rows may be computed in place: a view into the destination
     * ({@link org.convgrad.engine.tensor.LargeTensor#view}), or null (the default) for a new tensor
     * that {@link #write} then stores.
     */
    default @Nullable Tensor resultRows(Conv2dBackpropInput band) throws E {
      return null;
    }

    /**
     * Stores {@code band}'s result rows, when {@link #resultRows} gave no place to compute them in;
     * the tensor is the pass's again when this returns (it computes a later band into it).
     */
    void write(Conv2dBackpropInput band, Tensor resultRows) throws E;
  }

  /** A band's out_backprop rows and where its result rows go (null: a new tensor). */
  private record Operands(Tensor outBackpropRows, @Nullable Tensor resultRows) {}

  private final Engine engine;
  private final Conv2dBackpropInput whole;
  private final PackedFilter filter;
  private final double limit;
  private OutBackpropScan scan = OutBackpropScan.EMPTY; // guarded by this

  public BandedRun(Engine engine, Conv2dBackpropInput whole, Tensor filter) {
    if (whole.bandOf() != null) {
      throw new InvalidArgumentException("a banded run takes the whole problem, not " + whole);
    }
    this.engine = engine;
    this.whole = whole;
    this.filter = engine.pack(whole, filter);
    this.limit = this.filter.kernel().outBackpropLimit(whole, this.filter);
  }

  public Conv2dBackpropInput whole() {
    return whole;
  }

  /** The kernel and the tiles the bands ran, by the values read so far, as verbose output prints them. */
  public String kernelDescription() {
    return filter.kernel().describe(whole, filter, scanned());
  }

  /** Up to which magnitude of out_backprop's values the bands choose the tiles they assume (infinite: any). */
  public double outBackpropLimit() {
    return limit;
  }

  /**
   * The result rows of {@code band} (one of the whole problem's) from the out_backprop rows its
   * {@link org.convgrad.engine.RowBand} names, on the assumption that all of out_backprop stays
   * within {@link #outBackpropLimit}; the rows join the scan.
   */
  public Tensor compute(Conv2dBackpropInput band, Tensor outBackpropRows) {
    Tensor result = engine.resultFor(band);
    compute(band, outBackpropRows, null, result);
    return result;
  }

  /** As {@link #compute(Conv2dBackpropInput, Tensor)}, choosing the tiles by the scan of the whole out_backprop. */
  public Tensor compute(Conv2dBackpropInput band, Tensor outBackpropRows, OutBackpropScan whole) {
    Tensor result = engine.resultFor(band);
    compute(band, outBackpropRows, whole, result);
    return result;
  }

  /** Computes into {@code result} (a view, say), on the run's assumption when {@code whole} is null. */
  private void compute(
      Conv2dBackpropInput band, Tensor outBackpropRows, @Nullable OutBackpropScan whole, Tensor result) {
    checkCutFromWhole(band);
    if (whole == null && limit < Double.POSITIVE_INFINITY) { // else no value can break the assumption
      // The band chooses by its own rows: the whole's choice while the assumption holds, and when
      // it does not, the pass is computed again anyway. The kernel scans as it stages the rows.
      OutBackpropScan rows = engine.backpropInputScanned(band, filter, outBackpropRows, result);
      synchronized (this) {
        scan = scan.with(rows);
      }
      return;
    }
    engine.backpropInput(band, filter, outBackpropRows, whole == null ? OutBackpropScan.EMPTY : whole, result);
  }

  /**
   * Computes {@code bands} in order, from {@code io} to {@code io}: on the run's assumption when
   * {@code scan} is null, stopping at the first band that reads a value past it (false: compute the
   * bands again, passing {@link #scanned()}); else choosing the tiles by {@code scan} (always true).
   * Bands written before a false return are not the whole result's: discard them.
   *
   * <p>One I/O thread reads the next band and writes the last one while a band computes, so that
   * streaming costs little more than the compute; {@code io}'s calls come from that thread, one at a
   * time, in order (reads and {@link Rows#resultRows} in band order, each band's write after its
   * read). In memory at once: two bands' out_backprop rows and two bands' results (fewer where they
   * are views), and no more are allocated band after band: the rows of band k - 1 are the spare for
   * reading band k + 1, and the result of band k - 1, once written, is where band k + 1 is computed
   * when their shapes agree. Whatever is in flight has ended when this returns or throws.
   */
  public <E extends Exception> boolean pass(
      List<Conv2dBackpropInput> bands, Rows<E> io, @Nullable OutBackpropScan scan) throws E {
    if (bands.isEmpty()) {
      return true;
    }
    ExecutorService ioThread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "convgrad-band-io");
      t.setDaemon(true);
      return t;
    });
    try {
      Future<Operands> next = ioThread.submit(() -> operands(io, bands.get(0), null));
      Future<?> writing = null;
      Tensor spareRows = null; // band k - 1's rows, read no more
      Tensor spareResult = null; // band k - 1's result, written
      Tensor lastResult = null; // band k - 1's result, being written
      for (int k = 0; k < bands.size(); k++) {
        Conv2dBackpropInput band = bands.get(k);
        Operands operands = BandedRun.<Operands, E>await(next);
        if (k + 1 < bands.size()) {
          Conv2dBackpropInput following = bands.get(k + 1);
          Tensor spare = spareRows;
          next = ioThread.submit(() -> operands(io, following, spare));
        }
        Tensor inPlace = operands.resultRows();
        Tensor result = inPlace != null ? inPlace : fits(spareResult, band) ? spareResult : engine.resultFor(band);
        compute(band, operands.outBackpropRows(), scan, result);
        spareRows = operands.outBackpropRows().isView() ? null : operands.outBackpropRows();
        BandedRun.<E>awaitIfAny(writing);
        spareResult = lastResult;
        lastResult = inPlace != null ? null : result;
        writing = inPlace != null ? null : ioThread.submit(() -> {
          io.write(band, result);
          return null;
        });
        if (scan == null && !choseAsTheWhole()) {
          awaitIfAny(writing);
          return false;
        }
      }
      awaitIfAny(writing);
      return true;
    } finally {
      // No interrupt: one would close the caller's file channels (they are interruptible).
      ioThread.shutdown();
      awaitQuietly(ioThread);
    }
  }

  private static <E extends Exception> Operands operands(
      Rows<E> io, Conv2dBackpropInput band, @Nullable Tensor spare) throws E {
    return new Operands(io.read(band, spare), io.resultRows(band));
  }

  /** Whether {@code t} is a tensor of {@code band}'s result shape and dtype. */
  private static boolean fits(@Nullable Tensor t, Conv2dBackpropInput band) {
    return t != null && t.shape().equals(band.inputShape()) && t.dtype() == band.dtype();
  }

  private static <E extends Exception> void awaitIfAny(@Nullable Future<?> task) throws E {
    if (task != null) {
      BandedRun.<Object, E>await(task);
    }
  }

  /**
   * The value of an I/O task, or what it threw: {@code E} from {@link Rows}, or an unchecked
   * exception or error, rethrown as it was.
   */
  @SuppressWarnings("unchecked")
  private static <T, E extends Exception> T await(Future<?> task) throws E {
    try {
      return (T) task.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw (E) cause; // Rows's methods throw E or unchecked exceptions only
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while a band was read or written", e);
    }
  }

  /** Waits for the I/O thread's last call to end: at most one read and one write are in flight. */
  private static void awaitQuietly(ExecutorService ioThread) {
    boolean interrupted = false;
    while (true) {
      try {
        if (ioThread.awaitTermination(1, TimeUnit.MINUTES)) {
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The scan of what the bands computed by {@link #compute(Conv2dBackpropInput, Tensor)} read (none
   * where the limit is infinite).
   */
  public synchronized OutBackpropScan scanned() {
    return scan;
  }

  /**
   * Whether the values read so far kept within the assumption: when every band has been computed and
   * this holds, the bands hold the whole result's bits.
   */
  public boolean choseAsTheWhole() {
    return within(scanned(), limit);
  }

  /** Whether a scan keeps within a limit: a non-finite value never does. */
  public static boolean within(OutBackpropScan scan, double limit) {
    return scan.maxAbs() <= limit;
  }

  private void checkCutFromWhole(Conv2dBackpropInput band) {
    if (Bands.where(band).whole() != whole) {
      throw new InvalidArgumentException(band + " was not cut from " + whole);
    }
  }
}
