package org.convgrad.engine.band;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Tensor;

/**
 * One problem computed band by band ({@link Bands}), with the filter packed once for the whole
 * problem's kernel. Each band's result is those rows of the whole result, bit for bit, whatever the
 * band height, provided every band chooses its tiles as the whole problem does, which for the SIMD
 * kernel depends on the largest magnitude in the whole out_backprop ({@link OutBackpropScan}).
 *
 * <p>So that out_backprop is read once, the bands are computed on the assumption that its values
 * stay within the kernel's {@link #outBackpropLimit} (finite, moderate data: the common case) while
 * the run scans what they read; the bands of a sample read every out_backprop row of it between
 * them. When {@link #choseAsTheWhole()} is false at the end, some value broke the assumption: compute
 * the bands again with {@link #compute(Conv2dBackpropInput, Tensor, OutBackpropScan)} and {@link
 * #scanned()}.
 *
 * <pre>{@code
 * BandedRun run = new BandedRun(engine, op, filter);
 * for (Conv2dBackpropInput band : Bands.of(op, rows)) write(band, run.compute(band, read(band)));
 * if (!run.choseAsTheWhole()) {
 *   OutBackpropScan all = run.scanned();
 *   for (Conv2dBackpropInput band : Bands.of(op, rows)) write(band, run.compute(band, read(band), all));
 * }
 * }</pre>
 *
 * Thread-safe.
 */
public final class BandedRun {
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

  /** The kernel and its tiles, as verbose output prints them. */
  public String kernelDescription() {
    return filter.kernel().describe(whole);
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
    checkCutFromWhole(band);
    if (limit < Double.POSITIVE_INFINITY) { // else no value can break the assumption
      OutBackpropScan rows = filter.kernel().scan(outBackpropRows);
      synchronized (this) {
        scan = scan.with(rows);
      }
    }
    return engine.backpropInput(band, filter, outBackpropRows, OutBackpropScan.EMPTY);
  }

  /** As {@link #compute(Conv2dBackpropInput, Tensor)}, choosing the tiles by the scan of the whole out_backprop. */
  public Tensor compute(Conv2dBackpropInput band, Tensor outBackpropRows, OutBackpropScan whole) {
    checkCutFromWhole(band);
    return engine.backpropInput(band, filter, outBackpropRows, whole);
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
