package org.convgrad.spark.io;

import java.io.Serializable;

/**
 * A task's work: {@code rows} whole samples from row {@code firstRow} of one file of the dataset,
 * which are samples {@code [firstSample, firstSample + rows)} of the whole dataset. A shard never
 * spans files.
 */
public final class Shard implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int index;
  private final String file;
  private final long firstRow;
  private final long rows;
  private final long firstSample;

  public Shard(int index, String file, long firstRow, long rows, long firstSample) {
    this.index = index;
    this.file = file;
    this.firstRow = firstRow;
    this.rows = rows;
    this.firstSample = firstSample;
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
    return "shard " + index + " (" + rows + " samples from row " + firstRow + " of " + file + ")";
  }
}
