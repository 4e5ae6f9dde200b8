package org.convgrad.engine.band;

import java.util.ArrayList;
import java.util.List;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.RowBand;
import org.convgrad.engine.tensor.Shape;

/**
 * Cuts a problem's result into bands of rows ({@link Conv2dBackpropInput#band}), each a problem of
 * its own small enough for one tensor, at multiples of the problem's {@link
 * Conv2dBackpropInput#bandAlignment}: computed band by band, they give the whole result bit for bit.
 */
public final class Bands {
  private Bands() {}

  /**
   * The bands of every sample, in sample then row order: {@code rows} result rows each, rounded up
   * to the alignment (the last band of a sample holds what is left).
   */
  public static List<Conv2dBackpropInput> of(Conv2dBackpropInput op, long rows) {
    if (rows < 1) {
      throw new InvalidArgumentException("band rows must be at least 1, but got " + rows);
    }
    long height = op.geometry().inHeight();
    long step = height(op, rows);
    List<Conv2dBackpropInput> bands = new ArrayList<>();
    for (long b = 0; b < op.geometry().batch(); b++) {
      for (long r = 0; r < height; r += step) {
        bands.add(op.band(b, r, Math.min(height, r + step)));
      }
    }
    return bands;
  }

  /**
   * The most result rows (a multiple of the alignment, at least one multiple) whose band holds at most
   * {@code maxElements} elements of result and out_backprop together, halo included; the whole height
   * when everything fits.
   */
  public static long rowsWithin(Conv2dBackpropInput op, long maxElements) {
    long height = op.geometry().inHeight();
    long align = op.bandAlignment();
    if (height == 0 || op.geometry().batch() == 0 || elements(op, height) <= maxElements) {
      return Math.max(1, height);
    }
    // Elements grow with the rows: the largest multiple of the alignment that fits, by bisection.
    long lo = 1;
    long hi = Math.max(1, height / align);
    while (lo < hi) {
      long mid = lo + (hi - lo + 1) / 2;
      if (elements(op, Math.min(height, mid * align)) <= maxElements) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return Math.min(height, lo * align);
  }

  /**
   * The band rows for this JVM: bands of at most a sixteenth of the heap. A pass holds two bands at
   * once ({@link BandedRun#pass} reads ahead), so that their tensors and the engine's scratch fit
   * twice over in a quarter of the heap; and tensors that one array holds.
   */
  public static long defaultRows(Conv2dBackpropInput op) {
    long heapShare = Runtime.getRuntime().maxMemory() / 16 / op.dtype().byteSize();
    return rowsWithin(op, Math.min(heapShare, Shape.MAX_ELEMENTS));
  }

  /** Result and out_backprop elements of the largest band of {@code rows} rows. */
  public static long elements(Conv2dBackpropInput op, long rows) {
    long most = 0;
    for (Conv2dBackpropInput band : sizes(op, rows)) {
      most = Math.max(most, band.inputShape().elementCount() + band.outBackpropShape().elementCount());
    }
    return most;
  }

  /** The most out_backprop elements a band of {@code rows} rows reads. */
  public static long mostOutBackpropElements(Conv2dBackpropInput op, long rows) {
    long most = 0;
    for (Conv2dBackpropInput band : sizes(op, rows)) {
      most = Math.max(most, band.outBackpropShape().elementCount());
    }
    return most;
  }

  /** Bands at either end of an image whose out_backprop rows may differ in number from the rest's. */
  private static final long EDGE_BANDS = 1024;

  /**
   * Sample 0's bands of {@code rows} rows, but those between the first and last {@link #EDGE_BANDS}:
   * a band reads the out_backprop rows its rows reach, and at the image's top and bottom more (every
   * row from the first, every row to the last), so the bands at either end differ; between them,
   * where neither end is in reach, every band reads as many rows (bands start at multiples of the
   * stride).
   */
  private static List<Conv2dBackpropInput> sizes(Conv2dBackpropInput op, long rows) {
    long height = op.geometry().inHeight();
    long step = height(op, rows);
    long count = (height + step - 1) / step;
    List<Conv2dBackpropInput> bands = new ArrayList<>();
    for (long k = 0; k < count; k++) {
      if (k == EDGE_BANDS && count > 2 * EDGE_BANDS) {
        k = count - EDGE_BANDS;
      }
      bands.add(op.band(0, k * step, Math.min(height, (k + 1) * step)));
    }
    return bands;
  }

  /**
   * The height of the bands {@link #of} cuts for {@code rows}: rounded up to the alignment; rows
   * beyond the image's height are the whole image (and cannot overflow the rounding).
   */
  public static long height(Conv2dBackpropInput op, long rows) {
    long align = op.bandAlignment();
    long r = Math.min(rows, Math.max(1, op.geometry().inHeight()));
    return (r + align - 1) / align * align;
  }

  /** Where {@code band} lies; it must be a band. */
  static RowBand where(Conv2dBackpropInput band) {
    RowBand where = band.bandOf();
    if (where == null) {
      throw new InvalidArgumentException(band + " is not a band (make one with Conv2dBackpropInput.band)");
    }
    return where;
  }
}
