package org.convgrad.spark.io;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.convgrad.io.arrow.TensorBatch;
import org.convgrad.io.arrow.TensorColumnInfo;
import org.convgrad.io.arrow.TensorDataset;
import org.convgrad.io.arrow.TensorIpcWriter;
import org.apache.arrow.vector.types.pojo.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Arrow IPC datasets through arrow-io's {@link TensorDataset}, over Hadoop file systems: the
 * driver reads only footers and record batch metadata (schema, counts), a task reads only the
 * record batches of its own rows.
 */
final class ArrowSamples {
  private static final Logger LOG = LoggerFactory.getLogger(ArrowSamples.class);

  private ArrowSamples() {}

  static TensorDataset.Source source(Path file, Configuration conf) {
    return new TensorDataset.Source() {
      @Override
      public String name() {
        return file.toString();
      }

      @Override
      public SeekableByteChannel open() throws IOException {
        return HadoopChannels.openRead(file, conf);
      }
    };
  }

  static SampleDataset inspect(String location, List<Path> files, Configuration conf) throws IOException {
    List<TensorDataset.Source> sources = new ArrayList<>();
    for (Path f : files) {
      sources.add(source(f, conf));
    }
    try (BufferAllocator alloc = ArrowParts.allocator("inspect");
        TensorDataset ds = TensorDataset.open(sources, alloc)) {
      TensorColumnInfo col = ds.column();
      col.requireHonouredMetadata(location, false);
      for (Field f : col.otherFields()) {
        if (f.getName().equals(TensorIpcWriter.ID_COLUMN)) {
          throw new DatasetException("out_backprop dataset " + location + ": its id column is " + f.getType()
              + "; the job carries int64 ids into every part and the manifest: cast the ids to int64 (or rename"
              + " the column, and the job numbers the samples)");
        }
      }
      if (!col.otherFields().isEmpty()) {
        LOG.info("convgrad: the parts hold the id and input gradient columns; {} of {} are not copied (join on id)",
            col.otherFields().stream().map(Field::getName).toList(), location);
      }
      long[] counts = ds.fileSampleCounts();
      List<SampleDataset.DataFile> out = new ArrayList<>();
      long first = 0;
      for (int i = 0; i < files.size(); i++) {
        out.add(new SampleDataset.DataFile(files.get(i).toString(), counts[i], first));
        first += counts[i];
      }
      return new SampleDataset(location, SampleDataset.Format.ARROW, out, col.sampleShape().toArray(), col.dtype(),
          col.dataFormat() == null ? null : col.dataFormat().name());
    } catch (IOException | RuntimeException e) {
      if (e instanceof DatasetException) {
        throw e;
      }
      throw new DatasetException("out_backprop dataset " + location + " cannot be used: " + e.getMessage(), e);
    }
  }

  static SampleReader open(SampleDataset ds, String file, Configuration conf) throws IOException {
    long firstSample = 0;
    for (SampleDataset.DataFile f : ds.files()) {
      if (f.path().equals(file)) {
        firstSample = f.firstSample();
      }
    }
    long base = firstSample;
    BufferAllocator alloc = ArrowParts.allocator("shard " + new Path(file).getName());
    TensorDataset one;
    try {
      one = TensorDataset.open(List.of(source(new Path(file), conf)), alloc);
    } catch (IOException | RuntimeException e) {
      alloc.close();
      throw e;
    }
    return new SampleReader() {
      @Override
      public SampleBatch read(long firstRow, int rows) throws IOException {
        TensorBatch b = one.read(firstRow, rows);
        long[] ids = b.ids();
        if (ids == null) {
          ids = new long[rows];
          for (int i = 0; i < rows; i++) {
            ids[i] = base + firstRow + i;
          }
        }
        return new SampleBatch(ids, b.samples());
      }

      @Override
      public void close() throws IOException {
        try {
          one.close();
        } finally {
          alloc.close();
        }
      }
    };
  }
}
