package org.convgrad.spark.io;

import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** Arrow IPC datasets (through arrow-io). */
final class ArrowSamples {
  private ArrowSamples() {}

  static SampleDataset inspect(String location, List<Path> files, Configuration conf) {
    throw new DatasetException("Arrow IPC datasets are not supported yet: " + location);
  }

  static SampleReader open(SampleDataset ds, String file, Configuration conf) {
    throw new DatasetException("Arrow IPC datasets are not supported yet: " + file);
  }
}
