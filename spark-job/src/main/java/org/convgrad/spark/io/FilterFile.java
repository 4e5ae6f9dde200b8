package org.convgrad.spark.io;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;

/** The job's filter, read on the driver from a {@code .npy} or {@code .arrow} file on any Hadoop file system. */
public final class FilterFile {
  private FilterFile() {}

  /**
   * The filter at {@code location}.
   *
   * @throws DatasetException naming the file when it is missing, not a file, or unreadable
   */
  public static Tensor read(String location, Configuration conf) {
    Path path = new Path(location);
    try {
      var fs = HadoopChannels.fileSystem(path, conf);
      if (!fs.exists(path)) {
        throw new DatasetException("filter " + location + " does not exist");
      }
      String lower = location.toLowerCase(java.util.Locale.ROOT); // extensions as bin/convgrad reads them
      if (!lower.endsWith(".npy") && !lower.endsWith(".arrow")) {
        throw new DatasetException("filter " + location + ": expected a .npy or .arrow file");
      }
      if (lower.endsWith(".npy")) {
        try (SeekableByteChannel ch = HadoopChannels.openRead(path, conf)) {
          return Npy.read(ch, location);
        }
      }
      return ArrowParts.readFilter(path, conf);
    } catch (IOException e) {
      throw new DatasetException("cannot read filter " + location + ": " + e.getMessage(), e);
    }
  }
}
