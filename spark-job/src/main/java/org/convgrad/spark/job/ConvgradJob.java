package org.convgrad.spark.job;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.band.BandedRun;
import org.convgrad.engine.band.Bands;
import org.convgrad.engine.band.OutBackpropScan;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.commit.Assembler;
import org.convgrad.spark.commit.JobCommitter;
import org.convgrad.spark.commit.Manifest;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.io.FilterFile;
import org.convgrad.spark.io.HadoopChannels;
import org.convgrad.spark.io.SampleDataset;
import org.convgrad.spark.io.Shard;
import org.convgrad.spark.task.ExecutorEngines;
import org.convgrad.spark.task.JobSpec;
import org.convgrad.spark.task.ShardTask;
import org.convgrad.spark.task.TaskCommit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code conv2d_backprop_input} over a dataset of out_backprop samples, as a value: the op, where
 * the samples and the filter are, where the result goes, and how to split the work. Built and
 * checked once ({@link Builder#build()}), run on any {@link SparkSession} any number of times.
 * The spark-submit main class ({@link ConvgradSparkJob}) and {@code bin/convgrad-spark-submit}
 * only turn their command line into one of these.
 *
 * <pre>{@code
 * JobResult r = ConvgradJob.builder()
 *     .op(o -> o.inputSizes(56, 56).strides(1).padding(Padding.SAME))
 *     .outBackprop("s3a://bucket/dy/")
 *     .filter("s3a://bucket/w.npy")
 *     .output("s3a://bucket/dx/")
 *     .assemble("s3a://bucket/dx.npy")
 *     .build()
 *     .run(spark);
 * System.out.println(r.summary());
 * }</pre>
 *
 * <p>{@link #run} validates everything against the data on the driver before any task starts
 * (TensorFlow's message for a bad op, one naming the path for a bad file, and a refusal for an
 * output that is, holds or lies inside one of the inputs), plans shards of whole samples,
 * broadcasts the filter once, runs the tasks, commits their parts with {@code manifest.json} and
 * {@code _SUCCESS}, and then assembles the whole result if asked.
 */
public final class ConvgradJob {
  private static final Logger LOG = LoggerFactory.getLogger(ConvgradJob.class);

  private final BackpropInputOp op;
  private final String outBackprop;
  private final @Nullable String filterPath;
  private final @Nullable Tensor filterTensor;
  private final String output;
  private final @Nullable String assemble;
  private final long samplesPerTask;
  private final long bandRows;
  private final EngineChoice engine;
  private final int threads;

  private ConvgradJob(Builder b) {
    this.op = b.op;
    this.outBackprop = b.outBackprop;
    this.filterPath = b.filterPath;
    this.filterTensor = b.filterTensor;
    this.output = b.output;
    this.assemble = b.assemble;
    this.samplesPerTask = b.samplesPerTask;
    this.bandRows = b.bandRows;
    this.engine = b.engine;
    this.threads = b.threads;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The job built by {@code spec}. */
  public static ConvgradJob of(Consumer<Builder> spec) {
    Builder b = builder();
    spec.accept(b);
    return b.build();
  }

  public BackpropInputOp op() {
    return op;
  }

  public String outBackprop() {
    return outBackprop;
  }

  public String output() {
    return output;
  }

  public @Nullable String assemble() {
    return assemble;
  }

  public EngineChoice engine() {
    return engine;
  }

  /**
   * Runs the job on {@code spark} and returns what it did.
   *
   * @throws InvalidArgumentException before any task, when TensorFlow would reject the op for this data
   * @throws org.convgrad.engine.EngineUnavailableException before any task, for engine gpu where the cluster offers no GPU
   * @throws DatasetException before any task, for a missing or unusable dataset, filter or output path
   * @throws TaskRejectionException when a task finds a sample it cannot use (a null row, say); the job's output is removed
   * @throws CommitFailedException when the tasks ended but the storage failed the commit; the job's output is removed
   * @throws AssemblyException when the committed output is complete but the assembled file could not be written
   */
  public JobResult run(SparkSession spark) throws IOException {
    long start = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration hadoop = jsc.hadoopConfiguration();
    // Every step below reads and writes where the operating system resolves the user's paths.
    String outBackprop = JobPaths.resolved(this.outBackprop, hadoop);
    @Nullable String filterPath = this.filterPath != null ? JobPaths.resolved(this.filterPath, hadoop) : null;
    String output = JobPaths.resolved(this.output, hadoop);
    @Nullable String assemble = this.assemble != null ? JobPaths.resolved(this.assemble, hadoop) : null;

    // 1. Validate against the cluster and the data before any task: the engine, the dataset's
    // schema, the filter, the outputs.
    engine.checkAvailable(jsc.getConf());
    SampleDataset dataset = SampleDataset.inspect(outBackprop, hadoop);
    Tensor filter = filterTensor != null ? filterTensor : FilterFile.read(filterPath, hadoop);
    if (dataset.layout() != null && !dataset.layout().equals(op.dataFormat().name())) {
      throw new InvalidArgumentException(
          "out_backprop dataset " + outBackprop + " holds " + dataset.layout() + " samples (its dimension names say"
              + " so) but data_format is " + op.dataFormat());
    }
    Conv2dBackpropInput whole = op.bind(filter.shape(), filter.dtype(),
        BackpropInputOp.batchShape(dataset.samples(), dataset.sampleShape()), dataset.dtype());
    JobPaths.check(hadoop, outBackprop, filterPath, output, assemble);
    LOG.info("convgrad: {} over {}", whole, dataset);

    // 2. Plan shards of whole samples, or bands of rows of samples too large for one task.
    long batchMaxBytes = ConvgradConf.BATCH_MAX_BYTES.getBytes(spark);
    long engineIdleMillis = ConvgradConf.ENGINE_IDLE_TIMEOUT.getMillis(spark);
    Conv2dBackpropInput sample = op.bindBatch(1, dataset.sampleShape(), filter.shape(), filter.dtype(), dataset.dtype());
    long rowsPerBand = bandRows > 0 ? Bands.height(sample, bandRows) : autoBandRows(sample, dataset, batchMaxBytes);
    if (rowsPerBand > 0) {
      checkBandable(dataset, hadoop);
    }
    int slots = jsc.defaultParallelism();
    long perTask = samplesPerTask > 0 ? samplesPerTask : ShardPlanner.defaultSamplesPerTask(dataset.samples(), slots);
    List<Shard> shards = rowsPerBand > 0
        ? ShardPlanner.planBands(dataset, sample, rowsPerBand) : ShardPlanner.plan(dataset, perTask);

    // 3. Output and broadcast.
    String jobId = "job-" + UUID.randomUUID().toString().substring(0, 8);
    JobCommitter committer = new JobCommitter(output, hadoop, jobId);
    // What can fail before the tasks (serializing a large filter, say) comes before the output is set
    // up, and from then on a failure aborts: nothing of a failed job stays in the output.
    JobSpec spec = new JobSpec(hadoop, jobId, op, dataset, filter, engine.name().toLowerCase(), threads,
        batchMaxBytes, engineIdleMillis, committer.attemptDir().toString(),
        ConvgradConf.TEST_FAIL_FIRST_ATTEMPT.getBoolean(spark), ConvgradConf.TEST_KILL_EXECUTOR_ONCE.get(spark),
        ConvgradConf.TEST_SLOW_FIRST_ATTEMPT_MILLIS.getLong(spark), ConvgradConf.TEST_FAIL_SHARD.getLong(spark),
        ConvgradConf.TEST_OUT_OF_MEMORY.getBoolean(spark));
    Broadcast<byte[]> broadcast = jsc.broadcast(spec.toBytes());
    LongAccumulator samples = jsc.sc().longAccumulator("convgrad samples");
    DoubleAccumulator flops = jsc.sc().doubleAccumulator("convgrad FLOPs");
    LongAccumulator enginesBuilt = jsc.sc().longAccumulator("convgrad engines built");
    AutoCloseable abortOnShutdown;
    try {
      committer.setupJob();
    } catch (IOException | RuntimeException e) {
      broadcast.destroy();
      throw e;
    }
    try {
      abortOnShutdown = committer.abortOnShutdown();
    } catch (RuntimeException e) { // the JVM is shutting down already
      committer.abortJob();
      broadcast.destroy();
      throw e;
    }

    String what = String.format("convgrad conv2d_backprop_input: %d samples of %s %s in %d shards of <= %d (%s)",
        dataset.samples(), Arrays.toString(dataset.sampleShape()), dataset.dtype().tfName(), shards.size(), perTask,
        op);
    // The caller's job group stays, so that cancelling it (a notebook's Cancel) cancels this job
    // too; convgrad's own jobs carry a tag, and the caller's properties come back at the end.
    String tag = "convgrad-" + jobId;
    CallerProperties caller = CallerProperties.of(jsc.sc());
    jsc.sc().addJobTag(tag);
    jsc.sc().setJobDescription(what);
    jsc.sc().setInterruptOnCancel(true);
    jsc.setCallSite("convgrad backprop-input shards [" + shards.size() + " tasks]");
    List<TaskCommit> parts;
    Manifest manifest = new Manifest();
    long computeStart = System.nanoTime();
    double computeSeconds;
    int computedAgain;
    boolean tasksDone = false;
    try {
      ShardTask work = new ShardTask(broadcast, samples, flops, enginesBuilt, null);
      List<TaskCommit> accepted = jsc.parallelize(shards, shards.size()).mapPartitions(work, true).collect();
      OutBackpropScan seen = saw(accepted);
      List<Shard> again = chosePastTheWhole(accepted, seen, shards);
      if (!again.isEmpty()) {
        // A value past a kernel's assumption (an infinity, say): each batch and band chose its tiles
        // by its own values, so the shards where one chose the tiles the whole dataset does not
        // choose are computed again, choosing as the whole dataset does (and as bin/convgrad does).
        // Their first attempts are left to the cleanup.
        LOG.info("convgrad: out_backprop holds a value of magnitude {}: computing {} of {} shards again",
            seen.maxAbs(), again.size(), shards.size());
        jsc.setCallSite("convgrad backprop-input, again [" + again.size() + " tasks]");
        TaskRejectionException.throwIfAny(accepted);
        work = new ShardTask(broadcast, samples, flops, enginesBuilt, seen);
        List<TaskCommit> redone = jsc.parallelize(again, again.size()).mapPartitions(work, true).collect();
        List<TaskCommit> all = new java.util.ArrayList<>(redone);
        for (TaskCommit c : accepted) {
          if (redone.stream().noneMatch(r -> r.shard == c.shard)) {
            all.add(c);
          }
        }
        accepted = all;
      }
      computedAgain = again.size();
      tasksDone = true;
      computeSeconds = (System.nanoTime() - computeStart) / 1e9;
      TaskRejectionException.throwIfAny(accepted);
      jsc.setCallSite("convgrad commit");
      manifest.arguments = op.toString();
      manifest.outBackprop = outBackprop;
      manifest.filter = filterPath != null ? filterPath : "(a tensor given to the job API)";
      manifest.dtype = whole.dtype().tfName();
      manifest.dataFormat = op.dataFormat().name();
      manifest.shape = whole.inputShape().toArray();
      manifest.samples = dataset.samples();
      manifest.bandRows = rowsPerBand > 0 ? rowsPerBand : null;
      manifest.engine = engineDescription(accepted);
      manifest.sparkApplicationId = jsc.sc().applicationId();
      manifest.jobId = jobId;
      try {
        if (ConvgradConf.TEST_FAIL_COMMIT.getBoolean(spark)) {
          throw new IOException("injected failure (" + ConvgradConf.TEST_FAIL_COMMIT.key() + ")");
        }
        parts = committer.commit(accepted, shards.size(), dataset.samples(), manifest);
      } catch (IOException | org.apache.hadoop.fs.FSError e) { // Hadoop's local file system throws a full disk as an Error
        throw new CommitFailedException(committer.output().toString(), e);
      }
    } catch (Throwable e) { // SparkException is checked in Java's eyes but undeclared: catch all, rethrow as is
      try {
        if (!tasksDone && !jsc.sc().isStopped()) {
          jsc.sc().cancelJobsWithTag(tag); // stragglers of a failed job stop before the cleanup
          awaitNoRunningTasks(jsc, tag);
        }
      } catch (RuntimeException stopped) { // the context stopped meanwhile (Ctrl-C): its tasks are gone
        e.addSuppressed(stopped);
      } finally {
        committer.abortJob();
      }
      throw e;
    } finally {
      closeQuietly(abortOnShutdown);
      jsc.sc().removeJobTag(tag);
      caller.restore(jsc.sc());
      ExecutorEngines.retire(broadcast.id()); // where the tasks ran in this JVM (a local master); executors wait out the idle timeout
      if (!jsc.sc().isStopped()) {
        broadcast.destroy();
      }
    }
    // The output is committed: from here on nothing removes it, whatever happens to the assembly.
    if (assemble != null) {
      jsc.setCallSite("convgrad assemble " + assemble);
      boolean existed = JobPaths.existsQuietly(assemble, hadoop);
      try {
        if (ConvgradConf.TEST_FAIL_ASSEMBLY.getBoolean(spark)) {
          throw new IOException("injected failure (" + ConvgradConf.TEST_FAIL_ASSEMBLY.key() + ")");
        }
        Assembler.assemble(committer.output(), manifest, assemble, hadoop, jobId);
      } catch (IOException | RuntimeException | org.apache.hadoop.fs.FSError e) {
        throw new AssemblyException(committer.output().toString(), assemble, existed, e);
      } finally {
        caller.restore(jsc.sc());
      }
    }
    int fallbacks = 0;
    for (TaskCommit c : parts) {
      fallbacks += c.gpuFallback != null ? 1 : 0;
    }
    return new JobResult(manifest, parts, (System.nanoTime() - start) / 1e9, computeSeconds, manifest.engine,
        fallbacks, enginesBuilt.value(), computedAgain);
  }

  /**
   * Waits, at most a minute, until the cancelled jobs of a tag have no task running: Spark cancels
   * asynchronously, and a task still writing its attempt under {@code _temporary} would make the
   * cleanup fail, leaving an output that every rerun refuses.
   */
  private static void awaitNoRunningTasks(JavaSparkContext jsc, String tag) {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      int running = 0;
      org.apache.spark.SparkStatusTracker tracker = jsc.sc().statusTracker(); // the Java one has no tags
      for (int job : tracker.getJobIdsForTag(tag)) {
        org.apache.spark.SparkJobInfo info = tracker.getJobInfo(job).getOrElse(() -> null);
        for (int stage : info == null ? new int[0] : info.stageIds()) {
          org.apache.spark.SparkStageInfo s = tracker.getStageInfo(stage).getOrElse(() -> null);
          running += s == null ? 0 : s.numActiveTasks();
        }
      }
      if (running == 0) {
        return;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    LOG.warn("convgrad: tasks of {} still run a minute after they were cancelled; cleaning up all the same", tag);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.debug("convgrad: {}", e.toString());
    }
  }

  /** What the tasks read of out_backprop, as they scanned it (nothing when their kernel has no limit). */
  private static OutBackpropScan saw(List<TaskCommit> commits) {
    OutBackpropScan seen = OutBackpropScan.EMPTY;
    for (TaskCommit c : commits) {
      seen = seen.with(new OutBackpropScan(c.outBackpropMaxAbs, 0));
    }
    return seen;
  }

  /**
   * The shards where a batch or band chose the tiles for values within its kernel's {@link
   * BandedRun#outBackpropLimit} while the whole dataset ({@code seen}) goes past it.
   */
  static List<Shard> chosePastTheWhole(List<TaskCommit> commits, OutBackpropScan seen, List<Shard> shards) {
    List<Shard> again = new java.util.ArrayList<>();
    for (TaskCommit c : commits) {
      if (c.choseTilesWithinLimit && !BandedRun.within(seen, c.outBackpropLimit)) {
        again.add(shards.get(c.shard));
      }
    }
    return again;
  }

  /**
   * Bands of rows for samples too large for one task's batch ({@code spark.convgrad.batch.maxBytes})
   * or one tensor, read from a {@code .npy} dataset; 0 (whole samples) otherwise.
   */
  private static long autoBandRows(Conv2dBackpropInput sample, SampleDataset dataset, long batchMaxBytes) {
    long result = sample.inputShape().elementCount();
    long dy = sample.outBackpropShape().elementCount();
    int bytes = sample.dtype().byteSize();
    boolean tooLarge = result > Shape.MAX_ELEMENTS || dy > Shape.MAX_ELEMENTS
        || (double) (result + dy) * bytes > batchMaxBytes;
    if (!tooLarge || dataset.format() != SampleDataset.Format.NPY) {
      return 0; // an Arrow sample fits one tensor: it is computed whole, as before
    }
    return Bands.rowsWithin(sample, Math.max(1, batchMaxBytes / bytes));
  }

  /** Bands read a .npy dataset by ranges and assemble into a .npy. */
  private void checkBandable(SampleDataset dataset, Configuration hadoop) throws IOException {
    if (dataset.format() != SampleDataset.Format.NPY) {
      throw new DatasetException("bands of result rows (--band-rows) read their out_backprop rows from a .npy"
          + " dataset, but " + outBackprop + " is Arrow");
    }
    if (assemble != null && !assemble.toLowerCase(java.util.Locale.ROOT).endsWith(".npy")) {
      throw new DatasetException("--assemble " + assemble + ": a job in bands of result rows assembles a .npy");
    }
    if (assemble != null && op.dataFormat() == DataFormat.NCHW
        && HadoopChannels.localPath(new org.apache.hadoop.fs.Path(assemble), hadoop) == null) {
      throw new DatasetException("--assemble " + assemble + ": NCHW bands are assembled on a local file system only"
          + " (positioned writes); assemble NHWC, or to a file: path");
    }
  }

  /**
   * Where the committed tasks ran and with which kernels: {@code cpu (simd kernel)}, {@code gpu
   * (gpu kernel on gpu 0, gpu 1)}, {@code gpu and cpu (...)}, with {@code [GPU assigned, CPU
   * fallback]} when Spark assigned GPUs to tasks that ran on the CPU.
   */
  static String engineDescription(List<TaskCommit> commits) {
    Set<String> kernels = new LinkedHashSet<>();
    Set<String> gpus = new java.util.TreeSet<>();
    boolean cpu = false;
    boolean fallback = false;
    for (TaskCommit c : commits) {
      kernels.add(c.kernel);
      if (c.device.equals("cpu")) {
        cpu = true;
      } else {
        gpus.add(c.device);
      }
      fallback |= c.gpuFallback != null;
    }
    String where = gpus.isEmpty() ? "cpu" : cpu ? "gpu and cpu" : "gpu";
    return where + " (" + String.join(", ", kernels) + " kernel" + (kernels.size() == 1 ? "" : "s")
        + (gpus.isEmpty() ? "" : " on " + String.join(", ", gpus)) + ")"
        + (fallback ? " [GPU assigned, CPU fallback]" : "");
  }

  @Override
  public String toString() {
    return "ConvgradJob(" + op + ", out_backprop=" + outBackprop + ", filter="
        + (filterPath != null ? filterPath : filterTensor) + ", output=" + output
        + (assemble != null ? ", assemble=" + assemble : "") + ", engine=" + engine.name().toLowerCase() + ")";
  }

  /**
   * The job's settings. Required: {@link #op}, {@link #outBackprop}, {@link #filter} (a path or a
   * tensor) and {@link #output}. Defaults: no assembled file, about three tasks per core, engine
   * {@link EngineChoice#AUTO}, each executor's cores shared among its tasks.
   */
  public static final class Builder {
    private @Nullable BackpropInputOp op;
    private String outBackprop = "";
    private @Nullable String filterPath;
    private @Nullable Tensor filterTensor;
    private String output = "";
    private @Nullable String assemble;
    private long samplesPerTask;
    private long bandRows;
    private EngineChoice engine = EngineChoice.AUTO;
    private int threads;

    private Builder() {}

    public Builder op(BackpropInputOp op) {
      this.op = Objects.requireNonNull(op, "op");
      return this;
    }

    /** The op, built by {@code spec} ({@link BackpropInputOp#of(Consumer)}). */
    public Builder op(Consumer<BackpropInputOp.Builder> spec) {
      return op(BackpropInputOp.of(spec));
    }

    /**
     * The samples: a directory of Arrow IPC files ({@code id} + {@code fixed_shape_tensor}
     * columns), one {@code .arrow} file or one {@code .npy} of shape {@code [n, ...]}, on any
     * Hadoop file system ({@code file:}, {@code hdfs:}, {@code s3a:}).
     */
    public Builder outBackprop(String path) {
      this.outBackprop = Objects.requireNonNull(path, "outBackprop");
      return this;
    }

    /** The filter {@code [fh, fw, in_c / groups, out_c]} from a {@code .npy} or {@code .arrow} file. */
    public Builder filter(String path) {
      this.filterPath = Objects.requireNonNull(path, "filter");
      this.filterTensor = null;
      return this;
    }

    /** The filter as a tensor the program holds. */
    public Builder filter(Tensor filter) {
      this.filterTensor = Objects.requireNonNull(filter, "filter");
      this.filterPath = null;
      return this;
    }

    /** The output directory (new, or empty): Arrow IPC parts, {@code manifest.json}, {@code _SUCCESS}. */
    public Builder output(String dir) {
      this.output = Objects.requireNonNull(dir, "output");
      return this;
    }

    /** Also writes the whole input gradient as one {@code .npy} or {@code .arrow} file; null: none. */
    public Builder assemble(@Nullable String path) {
      this.assemble = path;
      return this;
    }

    /**
     * Shards each sample into bands of {@code rows} result rows (rounded up to a multiple of 2 x the
     * row stride), one task each, reading a {@code .npy} dataset by ranges: for samples larger than
     * one task's memory or one tensor. Default: bands sized to {@code spark.convgrad.batch.maxBytes},
     * only for samples larger than it.
     */
    public Builder bandRows(long rows) {
      if (rows < 1) {
        throw new IllegalArgumentException("band rows must be at least 1, but got " + rows);
      }
      this.bandRows = rows;
      return this;
    }

    /** Samples per task, at least 1 (default: about three tasks per core, whole samples, never across files). */
    public Builder samplesPerTask(long samples) {
      if (samples < 1) {
        throw new IllegalArgumentException("samples per task must be at least 1, but got " + samples);
      }
      this.samplesPerTask = samples;
      return this;
    }

    public Builder engine(EngineChoice engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
      return this;
    }

    /** Engine threads per task, at least 1 (default: the executor's cores / the tasks it runs at once). */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, but got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * The job, with every check that needs no data and no cluster: the required settings are
     * given, the assembled file's name says its format.
     *
     * @throws IllegalArgumentException naming what is missing
     * @throws DatasetException naming a path that is empty or not a path
     */
    public ConvgradJob build() {
      require(op != null, "op");
      JobPaths.requirePath("--out-backprop", outBackprop);
      require(filterPath != null || filterTensor != null, "filter");
      if (filterPath != null) {
        JobPaths.requirePath("--filter", filterPath);
      }
      JobPaths.requirePath("--output", output);
      if (assemble != null) {
        JobPaths.requirePath("--assemble", assemble);
      }
      String kind = assemble == null ? "" : assemble.toLowerCase(java.util.Locale.ROOT);
      if (assemble != null && !kind.endsWith(".npy") && !kind.endsWith(".arrow")) {
        throw new DatasetException("--assemble " + assemble + ": expected a .npy or .arrow file name");
      }
      return new ConvgradJob(this);
    }

    private static void require(boolean given, String what) {
      if (!given) {
        throw new IllegalArgumentException("the job needs " + what);
      }
    }
  }
}
