package org.convgrad.engine;

/**
 * Where a band problem ({@link Conv2dBackpropInput#band}) lies in the problem it was cut from:
 * result rows {@code [firstRow, endRow)} of sample {@code sample}, computed from out_backprop rows
 * {@code [firstOutRow, endOutRow)} of that sample (every row that reaches the band, its halo
 * included, and, for the sample's first and last bands, the rows before and after them that reach no
 * result row).
 *
 * @param whole the problem the band was cut from (never itself a band)
 */
public record RowBand(
    Conv2dBackpropInput whole, long sample, long firstRow, long endRow, long firstOutRow, long endOutRow) {

  /** Result rows in the band. */
  public long rows() {
    return endRow - firstRow;
  }

  /** Out_backprop rows the band reads. */
  public long outRows() {
    return endOutRow - firstOutRow;
  }

  /** Where the band's out_backprop rows start in the whole out_backprop, in its layout. */
  public long[] outBackpropStart() {
    return whole.geometry().dataFormat().order(sample, firstOutRow, 0, 0);
  }

  /** Where the band's result rows start in the whole result, in its layout. */
  public long[] resultStart() {
    return whole.geometry().dataFormat().order(sample, firstRow, 0, 0);
  }

  @Override
  public String toString() {
    return "rows [" + firstRow + ", " + endRow + ") of sample " + sample + " from out_backprop rows [" + firstOutRow
        + ", " + endOutRow + ")";
  }
}
