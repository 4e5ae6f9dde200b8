package org.convgrad.engine.band;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Tensor;

/**
 * One problem computed band by band ({@link Bands}): the filter packed once for the whole problem's
 * kernel, and, where that kernel chooses its tiles by out_backprop's values, the scan of the whole
 * out_backprop ({@link #scan}), which every band then chooses by. Each band's result is those rows
 * of the whole result, bit for bit, whatever the band height. Thread-safe once scanned.
 *
 * <pre>{@code
 * BandedRun run = new BandedRun(engine, op, filter);
 * if (run.needsScan()) { for (each part of out_backprop) run.scan(part); }
 * for (Conv2dBackpropInput band : Bands.of(op, rows)) {
 *   Tensor rows = run.compute(band, readOutBackpropRows(band.bandOf()));
 * }
 * }</pre>
 */
public final class BandedRun {
  private final Engine engine;
  private final Conv2dBackpropInput whole;
  private final PackedFilter filter;
  private final boolean needsScan;
  private volatile OutBackpropScan scan = OutBackpropScan.EMPTY;

  public BandedRun(Engine engine, Conv2dBackpropInput whole, Tensor filter) {
    if (whole.bandOf() != null) {
      throw new InvalidArgumentException("a banded run takes the whole problem, not " + whole);
    }
    this.engine = engine;
    this.whole = whole;
    this.filter = engine.pack(whole, filter);
    this.needsScan = this.filter.kernel().choosesByOutBackprop(whole);
  }

  public Conv2dBackpropInput whole() {
    return whole;
  }

  /** The kernel and its tiles, as verbose output prints them. */
  public String kernelDescription() {
    return filter.kernel().describe(whole);
  }

  /** Whether the bands wait for the whole out_backprop to be scanned ({@link #scan}) before they run. */
  public boolean needsScan() {
    return needsScan;
  }

  /** Adds a part of the whole out_backprop (any part, in any order, each element once) to the scan. */
  public synchronized void scan(Tensor outBackpropPart) {
    scan = scan.with(OutBackpropScan.of(outBackpropPart));
  }

  /** Adds a scan made elsewhere (a Spark task's, of its part of out_backprop). */
  public synchronized void scan(OutBackpropScan part) {
    scan = scan.with(part);
  }

  /** The scan so far. */
  public OutBackpropScan scanned() {
    return scan;
  }

  /**
   * The result rows of {@code band} (one of the whole problem's, {@link Bands}) from the
   * out_backprop rows its {@link org.convgrad.engine.RowBand} names.
   *
   * @throws IllegalStateException when the run needs a scan and not every out_backprop element was scanned
   */
  public Tensor compute(Conv2dBackpropInput band, Tensor outBackpropRows) {
    if (Bands.where(band).whole() != whole) {
      throw new InvalidArgumentException(band + " was not cut from " + whole);
    }
    OutBackpropScan s = scan;
    long count = whole.outBackpropShape().elementCount();
    if (needsScan && s.count() != count) {
      throw new IllegalStateException(
          "the bands of " + whole + " choose their tiles by the whole out_backprop: scan its " + count
              + " elements first (" + s.count() + " scanned)");
    }
    return engine.backpropInput(band, filter, outBackpropRows, s);
  }
}
