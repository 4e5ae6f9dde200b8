package org.convgrad.spark.task;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.band.Bands;
import org.convgrad.engine.band.OutBackpropScan;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.spark.io.SampleReader;
import org.convgrad.spark.io.Shard;

/**
 * The first pass of a job sharded into bands: each task scans the out_backprop rows its band owns
 * ({@link Bands#scanRows}), so that the driver holds the scan of the whole dataset, which every band
 * then chooses its tiles by (as a single-process run of the whole dataset does).
 */
public final class ScanTask implements FlatMapFunction<Iterator<Shard>, ScanTask.Part> {
  private static final long serialVersionUID = 1L;

  private final Broadcast<byte[]> spec;

  /** One band's scan, as a task returns it (a plain class: Spark's Kryo takes no records). */
  public static final class Part implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    public double maxAbs;
    public long count;

    public Part() {}

    public OutBackpropScan scan() {
      return new OutBackpropScan(maxAbs, count);
    }
  }

  public ScanTask(Broadcast<byte[]> spec) {
    this.spec = spec;
  }

  @Override
  public Iterator<Part> call(Iterator<Shard> shards) throws IOException {
    JobSpec job = JobSpec.fromBytes(spec.value());
    Conv2dBackpropInput sample = job.op.bindBatch(
        1, job.dataset.sampleShape(), Shape.of(job.filterShape), job.filterType,
        job.dataset.dtype());
    DataFormat f = job.op.dataFormat();
    var g = sample.geometry();
    List<Part> scans = new ArrayList<>();
    while (shards.hasNext()) {
      Shard shard = shards.next();
      long[] rows = Bands.scanRows(sample.band(0, shard.firstResultRow(), shard.endResultRow()));
      try (SampleReader reader = job.dataset.open(shard.file(), job.hadoopConf())) {
        OutBackpropScan scan = OutBackpropScan.of(reader.readBox(
            f.order(shard.firstRow(), rows[0], 0, 0), f.order(1, rows[1] - rows[0], g.outWidth(), g.outDepth())));
        Part part = new Part();
        part.maxAbs = scan.maxAbs();
        part.count = scan.count();
        scans.add(part);
      }
    }
    return scans.iterator();
  }
}
