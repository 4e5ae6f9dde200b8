package org.convgrad.spark.job;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.SeekableByteChannel;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;
import org.convgrad.spark.commit.Assembler;
import org.convgrad.spark.commit.JobCommitter;
import org.convgrad.spark.commit.Manifest;
import org.convgrad.spark.io.ArrowParts;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.io.HadoopChannels;
import org.convgrad.spark.io.SampleDataset;
import org.convgrad.spark.io.Shard;
import org.convgrad.spark.task.JobSpec;
import org.convgrad.spark.task.ShardTask;
import org.convgrad.spark.task.TaskCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The main class for spark-submit: {@code conv2d_backprop_input} over a dataset of samples.
 *
 * <pre>
 * spark-submit --class org.convgrad.spark.job.ConvgradSparkJob convgrad-spark-job.jar \
 *   --out-backprop s3a://bucket/dy/ --filter s3a://bucket/w.npy \
 *   --input-sizes 56,56 --strides 1 --padding SAME \
 *   --output s3a://bucket/dx/ [--assemble s3a://bucket/dx.npy] [--samples-per-task 64]
 * </pre>
 *
 * No master is set here: spark-submit (or bin/convgrad-spark-submit, which defaults to
 * {@code local[*]}) decides where the job runs. Exit status 0 on success, 2 for a rejected
 * argument or unusable input (one line on standard error, {@code InvalidArgument: ...} for the
 * op's own checks), 1 when the job fails.
 */
public final class ConvgradSparkJob {
  private static final Logger LOG = LoggerFactory.getLogger(ConvgradSparkJob.class);

  private ConvgradSparkJob() {}

  public static void main(String[] args) {
    int code = run(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Parses {@code args}, runs the job on the active (or a new) session, prints the summary. */
  public static int run(String[] args) {
    JobOptions options = new JobOptions();
    CommandLine cli = new CommandLine(options);
    try {
      CommandLine.ParseResult parsed = cli.parseArgs(args);
      if (CommandLine.printHelpIfRequested(parsed)) {
        return 0;
      }
    } catch (CommandLine.ParameterException e) {
      System.err.println("Error: " + e.getMessage());
      e.getCommandLine().usage(new PrintWriter(System.err, true));
      return 2;
    }
    SparkSession spark = null;
    boolean created = false;
    try {
      checkStatic(options);
      created = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
      spark = SparkSession.builder().appName("convgrad conv2d_backprop_input").getOrCreate();
      JobResult result = run(options, spark);
      System.out.println(result.summary());
      return 0;
    } catch (InvalidArgumentException e) {
      System.err.println(e.toLine());
      return 2;
    } catch (DatasetException e) {
      System.err.println("Error: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      System.err.println("Error: convgrad job failed: " + e);
      LOG.error("convgrad job failed", e);
      return 1;
    } finally {
      if (spark != null && created) {
        spark.stop();
      }
    }
  }

  /** The checks that need no data and no Spark: they fail before a SparkContext starts. */
  static void checkStatic(JobOptions o) {
    EngineChoice.parse(o.engine).checkAvailable();
    o.opArgs().params();
    if (o.threads < 0) {
      throw new InvalidArgumentException("--threads must be at least 1, but got " + o.threads);
    }
    if (o.samplesPerTask < 0) {
      throw new InvalidArgumentException("--samples-per-task must be at least 1, but got " + o.samplesPerTask);
    }
    if (o.assemble != null && !o.assemble.endsWith(".npy") && !o.assemble.endsWith(".arrow")) {
      throw new InvalidArgumentException("--assemble " + o.assemble + ": expected a .npy or .arrow file name");
    }
  }

  /**
   * Runs the job on {@code spark}: validates everything on the driver, plans, broadcasts, runs
   * the tasks, commits, assembles. Throws InvalidArgumentException or DatasetException before any
   * task starts when the arguments or the inputs are wrong.
   */
  public static JobResult run(JobOptions o, SparkSession spark) throws IOException {
    long start = System.nanoTime();
    checkStatic(o);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration hadoop = jsc.hadoopConfiguration();
    EngineChoice engine = EngineChoice.parse(o.engine);
    OpArgs args = o.opArgs();

    // 1. Validate against the data before any task: the dataset's schema and the filter.
    SampleDataset dataset = SampleDataset.inspect(o.outBackprop, hadoop);
    Tensor filter = readFilter(o.filter, hadoop);
    if (dataset.layout() != null && !dataset.layout().equals(args.dataFormat().name())) {
      throw new InvalidArgumentException(
          "out_backprop dataset " + o.outBackprop + " holds " + dataset.layout() + " samples (its dimension names say"
              + " so) but --data-format is " + args.dataFormat());
    }
    Conv2dBackpropInput whole =
        args.wholeOp(dataset.samples(), dataset.sampleShape(), filter.shape(), filter.dtype(), dataset.dtype());
    LOG.info("convgrad: {} over {}", whole, dataset);

    // 2. Plan shards of whole samples.
    int slots = jsc.defaultParallelism();
    long perTask = o.samplesPerTask > 0 ? o.samplesPerTask : ShardPlanner.defaultSamplesPerTask(dataset.samples(), slots);
    List<Shard> shards = ShardPlanner.plan(dataset, perTask);

    // 3. Output and broadcast.
    String jobId = "job-" + UUID.randomUUID().toString().substring(0, 8);
    JobCommitter committer = new JobCommitter(o.output, hadoop, jobId);
    committer.setupJob();
    int threads = o.threads; // 0: each executor decides (its cores / the tasks it runs at once)
    JobSpec spec = new JobSpec(hadoop, jobId, args, dataset, filter, engine.name().toLowerCase(), threads,
        ConvgradConf.BATCH_MAX_BYTES.getLong(spark), committer.attemptDir().toString(),
        ConvgradConf.TEST_FAIL_FIRST_ATTEMPT.getBoolean(spark), ConvgradConf.TEST_KILL_EXECUTOR_ONCE.get(spark),
        ConvgradConf.TEST_SLOW_FIRST_ATTEMPT_MILLIS.getLong(spark), ConvgradConf.TEST_FAIL_SHARD.getLong(spark));
    Broadcast<byte[]> broadcast = jsc.broadcast(spec.toBytes());
    LongAccumulator samples = jsc.sc().longAccumulator("convgrad samples");
    DoubleAccumulator flops = jsc.sc().doubleAccumulator("convgrad FLOPs");
    LongAccumulator enginesBuilt = jsc.sc().longAccumulator("convgrad engines built");

    String what = String.format("convgrad conv2d_backprop_input: %d samples of %s %s in %d shards of <= %d (%s)",
        dataset.samples(), Arrays.toString(dataset.sampleShape()), dataset.dtype().tfName(), shards.size(), perTask,
        args);
    jsc.setJobGroup("convgrad-" + jobId, what, true);
    jsc.setCallSite("convgrad backprop-input shards [" + shards.size() + " tasks]");
    List<TaskCommit> accepted;
    List<TaskCommit> parts;
    Manifest manifest = new Manifest();
    try {
      accepted = jsc.parallelize(shards, shards.size())
          .mapPartitions(new ShardTask(broadcast, samples, flops, enginesBuilt), true)
          .collect();
      jsc.setCallSite("convgrad commit");
      manifest.arguments = args.toString();
      manifest.outBackprop = o.outBackprop;
      manifest.filter = o.filter;
      manifest.dtype = whole.dtype().tfName();
      manifest.dataFormat = args.dataFormat().name();
      manifest.shape = whole.inputShape().toArray();
      manifest.samples = dataset.samples();
      manifest.engine = engineDescription(engine, accepted);
      manifest.sparkApplicationId = jsc.sc().applicationId();
      manifest.jobId = jobId;
      parts = committer.commitJob(accepted, shards.size(), dataset.samples(), manifest);
      if (o.assemble != null) {
        jsc.setCallSite("convgrad assemble " + o.assemble);
        Assembler.assemble(committer.output(), manifest, o.assemble, hadoop, jobId);
      }
      committer.markSuccess();
    } catch (Throwable e) { // SparkException is checked in Java's eyes but undeclared: catch all, rethrow as is
      jsc.cancelJobGroup("convgrad-" + jobId); // stragglers of a failed job stop before the cleanup
      committer.abortJob();
      throw e;
    } finally {
      jsc.clearCallSite();
      jsc.clearJobGroup();
      broadcast.destroy();
    }
    int fallbacks = 0;
    for (TaskCommit c : parts) {
      fallbacks += c.gpuFallback != null ? 1 : 0;
    }
    JobResult result = new JobResult(manifest, parts, (System.nanoTime() - start) / 1e9, manifest.engine, fallbacks,
        enginesBuilt.value());

    return result;
  }

  private static String engineDescription(EngineChoice engine, List<TaskCommit> commits) {
    Set<String> kernels = new LinkedHashSet<>();
    boolean fallback = false;
    for (TaskCommit c : commits) {
      kernels.add(c.kernel);
      fallback |= c.gpuFallback != null;
    }
    return "cpu (" + String.join(", ", kernels) + " kernel" + (kernels.size() == 1 ? "" : "s") + ")"
        + (engine == EngineChoice.AUTO && fallback ? " [GPU assigned, CPU fallback]" : "");
  }

  /** The filter, from a .npy or .arrow file on any Hadoop file system. */
  public static Tensor readFilter(String location, Configuration conf) {
    Path path = new Path(location);
    try {
      if (!path.getFileSystem(conf).exists(path)) {
        throw new DatasetException("filter " + location + " does not exist");
      }
      if (location.endsWith(".npy")) {
        try (SeekableByteChannel ch = HadoopChannels.openRead(path, conf)) {
          return Npy.read(ch, location);
        }
      }
      if (location.endsWith(".arrow")) {
        return ArrowParts.readTensor(path, conf);
      }
      throw new DatasetException("filter " + location + ": expected a .npy or .arrow file");
    } catch (IOException e) {
      throw new DatasetException("cannot read filter " + location + ": " + e.getMessage(), e);
    }
  }
}
