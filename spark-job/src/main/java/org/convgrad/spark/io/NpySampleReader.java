package org.convgrad.spark.io;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;

/** Row ranges of a {@code .npy} file of samples; a sample's id is its row number. */
final class NpySampleReader implements SampleReader {
  private final SeekableByteChannel channel;
  private final String source;

  NpySampleReader(Path file, Configuration conf) throws IOException {
    this.channel = HadoopChannels.openRead(file, conf);
    this.source = file.toString();
  }

  @Override
  public SampleBatch read(long firstRow, int rows) throws IOException {
    Tensor t = Npy.readRange(channel, source, firstRow, rows);
    long[] ids = new long[rows];
    for (int i = 0; i < rows; i++) {
      ids[i] = firstRow + i;
    }
    return new SampleBatch(ids, t);
  }

  @Override
  public Tensor readBox(long[] start, long[] count) throws IOException {
    return Npy.readBox(channel, source, start, count);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
