package org.convgrad.spark.job;

import java.util.ArrayList;
import java.util.List;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.band.Bands;
import org.convgrad.spark.io.SampleDataset;
import org.convgrad.spark.io.Shard;

/**
 * Splits a dataset into shards of whole samples, in sample order, never across files; or, for
 * samples too large for one task, into bands of each sample's result rows ({@link #planBands}).
 */
public final class ShardPlanner {
  private ShardPlanner() {}

  /**
   * The default shard size: about three tasks per task slot (so a slow task or a retry does not
   * leave the other slots idle at the end), whole samples.
   */
  public static long defaultSamplesPerTask(long samples, int slots) {
    long tasks = Math.max(1, 3L * Math.max(1, slots));
    return Math.max(1, (samples + tasks - 1) / tasks);
  }

  public static List<Shard> plan(SampleDataset dataset, long samplesPerTask) {
    if (samplesPerTask < 1) {
      throw new InvalidArgumentException("--samples-per-task must be at least 1, but got " + samplesPerTask);
    }
    List<Shard> shards = new ArrayList<>();
    for (SampleDataset.DataFile f : dataset.files()) {
      for (long row = 0; row < f.rows(); row += samplesPerTask) {
        long rows = Math.min(samplesPerTask, f.rows() - row);
        shards.add(new Shard(shards.size(), f.path(), row, rows, f.firstSample() + row));
      }
    }
    return shards;
  }

  /**
   * Shards of {@code rows} result rows (rounded up to the op's band alignment), sample after sample:
   * each task reads only the out_backprop rows that reach its band.
   *
   * @param sample the problem of one sample (batch 1)
   */
  public static List<Shard> planBands(SampleDataset dataset, Conv2dBackpropInput sample, long rows) {
    List<Shard> shards = new ArrayList<>();
    for (SampleDataset.DataFile f : dataset.files()) {
      for (long row = 0; row < f.rows(); row++) {
        for (Conv2dBackpropInput band : Bands.of(sample, rows)) {
          shards.add(Shard.band(shards.size(), f.path(), row, f.firstSample() + row, band.bandOf().firstRow(),
              band.bandOf().endRow()));
        }
      }
    }
    return shards;
  }
}
