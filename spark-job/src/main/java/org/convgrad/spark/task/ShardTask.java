package org.convgrad.spark.task;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.convgrad.cli.ErrorLine;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineUnavailableException;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.RowBand;
import org.convgrad.engine.band.BandedRun;
import org.convgrad.engine.band.OutBackpropScan;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.commit.JobCommitter;
import org.convgrad.io.arrow.TensorFormatException;
import org.convgrad.io.npy.NpyFormatException;
import org.convgrad.spark.io.ArrowParts;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.io.PartWriter;
import org.convgrad.spark.io.SampleBatch;
import org.convgrad.spark.io.SampleReader;
import org.convgrad.spark.io.Shard;
import org.convgrad.spark.io.HadoopChannels;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task's work on its shard: read the samples straight from storage in batches bounded by
 * {@code spark.convgrad.batch.maxBytes}, run the executor's shared engine on each batch, and
 * write the input gradients with their sample ids as an Arrow IPC part under the attempt's own
 * temporary name. Returns the attempt's {@link TaskCommit}; the driver decides what is committed.
 */
public final class ShardTask implements FlatMapFunction<Iterator<Shard>, TaskCommit> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ShardTask.class);

  private final Broadcast<byte[]> spec;
  private final LongAccumulator samples;
  private final DoubleAccumulator flops;
  private final LongAccumulator enginesBuilt;
  /**
   * For shards that are bands computed again: the scan of the whole dataset's out_backprop, which
   * every band then chooses its tiles by; null: each batch and band by its own values, which the
   * driver checks against the whole dataset's ({@link org.convgrad.engine.band.BandedRun}).
   */
  private final @Nullable OutBackpropScan scan;

  public ShardTask(Broadcast<byte[]> spec, LongAccumulator samples, DoubleAccumulator flops, LongAccumulator enginesBuilt,
      @Nullable OutBackpropScan scan) {
    this.spec = spec;
    this.samples = samples;
    this.flops = flops;
    this.enginesBuilt = enginesBuilt;
    this.scan = scan;
  }

  @Override
  public Iterator<TaskCommit> call(Iterator<Shard> shards) throws Exception {
    if (!shards.hasNext()) {
      return Collections.emptyIterator();
    }
    Shard shard = shards.next();
    if (shards.hasNext()) {
      throw new IllegalStateException("a convgrad task got more than one shard");
    }
    TaskContext ctx = TaskContext.get();
    String assigned = ExecutorResources.assignedGpu(ctx);
    TaskCommit c;
    try {
      JobEngine h = ExecutorEngines.acquire(spec, enginesBuilt, ExecutorResources.device(assigned));
      c = run(shard, h, ctx, assigned);
    } catch (InvalidArgumentException | TensorFormatException | NpyFormatException | DatasetException
        | EngineUnavailableException e) {
      // Bad input, not a failure: retrying cannot help, and the user wants the line, not 4 stack traces.
      c = new TaskCommit();
      c.shard = shard.index();
      c.attemptNumber = ctx.attemptNumber();
      c.taskAttemptId = ctx.taskAttemptId();
      c.rejection = ErrorLine.of(e);
      LOG.info("convgrad task {}: {} rejected: {}", ctx.taskAttemptId(), shard, c.rejection);
    } catch (OutOfMemoryError e) {
      throw TaskOutOfMemoryException.of(e);
    }
    return Collections.singletonList(c).iterator();
  }

  private TaskCommit run(Shard shard, JobEngine h, TaskContext ctx, @Nullable String assigned)
      throws IOException {
    long start = System.nanoTime();
    JobSpec job = h.spec;
    TaskCommit c = new TaskCommit();
    c.shard = shard.index();
    c.firstSample = shard.firstSample();
    c.attemptNumber = ctx.attemptNumber();
    c.taskAttemptId = ctx.taskAttemptId();
    c.executorId = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
    c.threads = h.threadsPerTask;
    c.attemptPath = JobCommitter.attemptPath(job.attemptDir, shard.index(), c.attemptNumber, c.taskAttemptId);

    Conv2dBackpropInput band = shard.isBand() ? h.op(1).band(0, shard.firstResultRow(), shard.endResultRow()) : null;
    long sampleBytes = job.dataset.sampleElements() * job.dataset.dtype().byteSize();
    long gradBytes = h.op(1).inputShape().elementCount() * job.dataset.dtype().byteSize();
    int batch = (int) Math.max(1, Math.min(shard.rows(), job.batchMaxBytes / Math.max(1, sampleBytes + gradBytes)));

    Configuration conf = job.hadoopConf();
    Path attempt = new Path(c.attemptPath);
    boolean done = false;
    try (SampleReader reader = job.dataset.open(shard.file(), conf);
        PartWriter writer = ArrowParts.create(attempt, conf, job.dataset.dtype(),
            band != null ? band.inputShape() : h.op(1).inputShape(), job.op.dataFormat())) {
      if (job.testSlowFirstAttemptMillis > 0 && shard.index() == 0 && c.attemptNumber == 0 && !ctx.isInterrupted()) {
        sleep(job.testSlowFirstAttemptMillis);
      }
      long firstId = 0;
      long lastId = 0;
      if (band != null) {
        computeBand(band, shard, h, reader, writer, c, ctx, assigned);
        firstId = shard.firstRow(); // a .npy sample's id is its row
        lastId = firstId;
        injectFaults(job, shard, c, 1);
      }
      for (long row = 0; band == null && row < shard.rows(); row += batch) {
        int rows = (int) Math.min(batch, shard.rows() - row);
        long t0 = System.nanoTime();
        TaskOutOfMemoryException.injectFor(job);
        SampleBatch in = reader.read(shard.firstRow() + row, rows);
        Conv2dBackpropInput op = h.op(rows);
        noteKernel(c, h, op, ctx, assigned);
        long t1 = System.nanoTime();
        Tensor dx;
        if (scan != null && h.packed.fits(op)) {
          dx = h.backpropInput(op, in.samples(), scan);
          c.kernelDescription = h.describe(op, scan);
        } else {
          Engine.Scanned computed = h.backpropInputScanned(op, in.samples());
          dx = computed.result();
          see(c, h, computed.scan());
          c.kernelDescription = h.describe(op, computed.scan());
        }
        long t2 = System.nanoTime();
        writer.write(in.ids(), dx);
        c.readSeconds += (t1 - t0) / 1e9;
        c.computeSeconds += (t2 - t1) / 1e9;
        c.writeSeconds += (System.nanoTime() - t2) / 1e9;
        if (row == 0) {
          firstId = in.ids()[0];
        }
        lastId = in.ids()[rows - 1];
        c.samples += rows;
        c.flops += op.geometry().flops();
        samples.add(rows);
        flops.add(op.geometry().flops());
        injectFaults(job, shard, c, row + rows);
      }
      c.firstId = firstId;
      c.lastId = lastId;
      long t3 = System.nanoTime();
      writer.close();
      c.writeSeconds += (System.nanoTime() - t3) / 1e9;
      c.bytes = writer.bytes();
      c.crc32c = writer.crc32c();
      done = true;
    } finally {
      if (!done) {
        deleteQuietly(attempt, conf);
      }
    }
    c.seconds = (System.nanoTime() - start) / 1e9;
    return c;
  }

  /**
   * What the driver needs to tell whether every batch and band chose its tiles as the whole dataset
   * does (as {@code bin/convgrad} does, computing it in one call), from the scan of a batch's or
   * band's out_backprop, by which it chose: the kernel's limit, the largest magnitude this task's
   * out_backprop reached, and whether a batch or band chose by values within the limit. Only a first
   * run reports: a second chooses by the dataset's scan.
   */
  private static void see(TaskCommit c, JobEngine h, OutBackpropScan values) {
    c.outBackpropLimit = h.outBackpropLimit();
    if (c.outBackpropLimit < Double.POSITIVE_INFINITY) {
      c.outBackpropMaxAbs = new OutBackpropScan(c.outBackpropMaxAbs, 0).with(values).maxAbs();
      c.choseTilesWithinLimit |= BandedRun.within(values, c.outBackpropLimit);
    }
  }

  /**
   * One band of a sample's result rows: its out_backprop rows (halo included) straight from the
   * dataset file, the tiles the kernel assumes (or the whole dataset's scan chooses), one part of one
   * row. The band counts its sample once, in the sample's last band.
   */
  private void computeBand(Conv2dBackpropInput band, Shard shard, JobEngine h, SampleReader reader,
      PartWriter writer, TaskCommit c, TaskContext ctx, @Nullable String assigned) throws IOException {
    RowBand at = band.bandOf();
    long t0 = System.nanoTime();
    Tensor rows = reader.readBox(band.geometry().dataFormat().order(shard.firstRow(), at.firstOutRow(), 0, 0),
        band.outBackpropShape().toArray());
    noteKernel(c, h, band, ctx, assigned);
    long t1 = System.nanoTime();
    Tensor dx;
    if (scan == null) { // the band chooses by its own rows, as a batch by its samples
      Engine.Scanned computed = h.backpropInputScanned(band, rows);
      dx = computed.result();
      see(c, h, computed.scan());
      c.kernelDescription = h.describe(band, computed.scan());
    } else {
      dx = h.backpropInput(band, rows, scan);
      c.kernelDescription = h.describe(band, scan);
    }
    long t2 = System.nanoTime();
    writer.write(new long[] {shard.firstRow()}, dx);
    c.readSeconds += (t1 - t0) / 1e9;
    c.computeSeconds += (t2 - t1) / 1e9;
    c.writeSeconds += (System.nanoTime() - t2) / 1e9;
    c.firstRow = at.firstRow();
    c.endRow = at.endRow();
    c.samples = at.endRow() == at.whole().geometry().inHeight() ? 1 : 0;
    c.flops += band.geometry().flops();
    samples.add(c.samples);
    flops.add(band.geometry().flops());
  }

  /** Records, once per task, which kernel ran and on which device, and why an assigned GPU was not used. */
  private static void noteKernel(
      TaskCommit c, JobEngine h, Conv2dBackpropInput op, TaskContext ctx, @Nullable String assigned) {
    if (!c.kernel.isEmpty()) {
      return;
    }
    c.kernel = h.kernel(op);
    boolean onGpu = c.kernel.equals("gpu");
    c.device = onGpu ? h.device : ExecutorResources.CPU;
    c.kernelDescription = h.describe(op);
    if (assigned != null && !onGpu) {
      c.gpuFallback = assigned;
      c.gpuFallbackReason = ExecutorResources.unusableReason(assigned);
      LOG.warn("convgrad task {}: Spark assigned gpu {}, which convgrad cannot use ({}); running on the CPU",
          ctx.taskAttemptId(), assigned, c.gpuFallbackReason);
    }
  }

  private static void injectFaults(JobSpec job, Shard shard, TaskCommit c, long rowsDone) throws IOException {
    boolean halfway = rowsDone >= (shard.rows() + 1) / 2;
    if (job.testFailFirstAttempt && c.attemptNumber == 0 && halfway) {
      throw new IOException("injected failure of the first attempt of shard " + shard.index()
          + " (spark.convgrad.test.failFirstAttempt)");
    }
    if (job.testFailShard == shard.index() && halfway) {
      throw new IOException("injected failure of shard " + shard.index() + " (spark.convgrad.test.failShard)");
    }
    if (!job.testKillExecutorMarker.isEmpty() && halfway && SparkEnv.get() != null
        && !"driver".equals(SparkEnv.get().executorId())) {
      try {
        Files.createFile(Paths.get(job.testKillExecutorMarker));
      } catch (FileAlreadyExistsException e) {
        return; // another task already killed its executor
      }
      LOG.warn("convgrad: halting executor {} in the middle of shard {} (spark.convgrad.test.killExecutorOnce)",
          SparkEnv.get().executorId(), shard.index());
      Runtime.getRuntime().halt(137);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void deleteQuietly(Path p, Configuration conf) {
    try {
      FileSystem fs = HadoopChannels.fileSystem(p, conf);
      fs.delete(p, false);
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not delete {}", p, e);
    }
  }
}
