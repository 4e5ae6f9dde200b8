package org.convgrad.spark.io;

import java.io.Serializable;

/**
 * A task's work: {@code rows} whole samples from row {@code firstRow} of one file of the dataset,
 * which are samples {@code [firstSample, firstSample + rows)} of the whole dataset; or, for a
 * sample too large for one task, a band of its result rows {@code [firstResultRow, endResultRow)}
 * ({@link #band}: then {@code rows} is 1). A shard never spans files.
 */
public final class Shard implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int index;
  private final String file;
  private final long firstRow;
  private final long rows;
  private final long firstSample;
  private final long firstResultRow;
  private final long endResultRow;

  public Shard(int index, String file, long firstRow, long rows, long firstSample) {
    this(index, file, firstRow, rows, firstSample, 0, 0);
  }

  private Shard(
      int index, String file, long firstRow, long rows, long firstSample, long firstResultRow, long endResultRow) {
    this.index = index;
    this.file = file;
    this.firstRow = firstRow;
    this.rows = rows;
    this.firstSample = firstSample;
    this.firstResultRow = firstResultRow;
    this.endResultRow = endResultRow;
  }

  /** Result rows {@code [firstResultRow, endResultRow)} of the sample at row {@code row} of {@code file}. */
  public static Shard band(int index, String file, long row, long sample, long firstResultRow, long endResultRow) {
    return new Shard(index, file, row, 1, sample, firstResultRow, endResultRow);
  }

  /** Whether this shard is a band of one sample's result rows, not whole samples. */
  public boolean isBand() {
    return endResultRow > firstResultRow;
  }

  public long firstResultRow() {
    return firstResultRow;
  }

  public long endResultRow() {
    return endResultRow;
  }

  public int index() {
    return index;
  }

  public String file() {
    return file;
  }

  public long firstRow() {
    return firstRow;
  }

  public long rows() {
    return rows;
  }

  public long firstSample() {
    return firstSample;
  }

  @Override
  public String toString() {
    if (isBand()) {
      return "shard " + index + " (result rows [" + firstResultRow + ", " + endResultRow + ") of the sample at row "
          + firstRow + " of " + file + ")";
    }
    return "shard " + index + " (" + rows + " samples from row " + firstRow + " of " + file + ")";
  }
}
