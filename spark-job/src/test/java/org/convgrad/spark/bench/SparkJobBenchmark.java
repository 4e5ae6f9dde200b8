package org.convgrad.spark.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.convgrad.engine.Padding;
import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;
import org.convgrad.spark.io.ArrowParts;
import org.convgrad.spark.io.PartWriter;
import org.convgrad.spark.io.SampleBatch;
import org.convgrad.spark.io.SampleDataset;
import org.convgrad.spark.io.SampleReader;
import org.convgrad.spark.io.Shard;
import org.convgrad.spark.job.ConvgradSparkJob;
import org.convgrad.spark.job.ConvgradJob;
import org.convgrad.spark.job.JobResult;
import org.convgrad.spark.job.ShardPlanner;

/**
 * Issue 5's benchmark: one dataset of S1 samples (out_backprop 56x56x64, filter 3x3x64x64, stride
 * 1, SAME, float32), generated as Arrow IPC files in a temporary directory (deleted at the end),
 * processed in ONE run by
 *
 * <ol>
 *   <li>the single-process engine (EngineKind.AUTO, 2 threads, the job's batch size, the filter
 *       packed once): compute time only, batches streamed from the same files; and the same single
 *       process end to end (read Arrow, compute, write Arrow parts);
 *   <li>the Spark job on {@code local[2]} (tasks in this JVM);
 *   <li>the Spark job on {@code local-cluster[2,1,2048]} (two executor JVMs of one core each).
 * </ol>
 *
 * Each is warmed up first (the kernel's JIT compilation, Spark's paths, the executors' JVMs), then
 * timed once; the job's time is the wall time of {@code ConvgradSparkJob.run} (validation,
 * planning, tasks, commit; no --assemble). Writes a Markdown table (default
 * spark-job/benchmarks/latest.md). Not a test: run it by hand, holding the build lock, from the
 * repository root:
 *
 * <pre>
 * flock /tmp/convgrad-maven.lock ./mvnw -B -q -DskipTests package
 * flock /tmp/convgrad-maven.lock env SPARK_HOME=spark-job/target/spark-home SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 \
 *   java $(cat spark-job/target/spark-home/jvm.flags) -Xmx6g \
 *   -cp "conf/:spark-job/target/test-classes:spark-job/target/spark-home/jars/*" \
 *   org.convgrad.spark.bench.SparkJobBenchmark --samples 2000
 * </pre>
 *
 * To run it on another JDK (the SIMD kernel is far faster on JDK 25 than on 17 on an AVX2
 * machine), set {@code JAVA_HOME} too and call that JDK's java: local-cluster executors start with
 * {@code $JAVA_HOME/bin/java}. spark-job/benchmarks/latest.md says which JDK gave its numbers.
 *
 * <p>Options: {@code --samples N} (default 2000), {@code --file-samples N} (samples per Arrow file,
 * default 100), {@code --modes single,local,cluster}, {@code --out FILE}, {@code --tmp DIR}.
 */
public final class SparkJobBenchmark {
  private static final long H = 56;
  private static final long W = 56;
  private static final long C = 64;
  private static final long BATCH_MAX_BYTES = 64L << 20; // spark.convgrad.batch.maxBytes' default

  private int samples = 2000;
  private int fileSamples = 100;
  private String modes = "single,local,cluster";
  private String out = "spark-job/benchmarks/latest.md";
  private String tmp = System.getProperty("java.io.tmpdir");

  private final List<String[]> rows = new ArrayList<>();
  private double singleEngineRate;
  private double singleEndToEndRate;
  private double flopsPerSample;

  public static void main(String[] args) throws Exception {
    SparkJobBenchmark b = new SparkJobBenchmark();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--samples" -> b.samples = Integer.parseInt(args[++i]);
        case "--file-samples" -> b.fileSamples = Integer.parseInt(args[++i]);
        case "--modes" -> b.modes = args[++i];
        case "--out" -> b.out = args[++i];
        case "--tmp" -> b.tmp = args[++i];
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (--samples N, --file-samples N, --modes single,local,cluster, --out FILE, --tmp DIR)");
      }
    }
    b.run(String.join(" ", args));
  }

  private void run(String args) throws Exception {
    Path dir = Files.createTempDirectory(Path.of(tmp), "convgrad-bench");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir))); // also on Ctrl-C
    try {
      long t0 = System.nanoTime();
      Path data = generate(dir);
      System.out.printf(Locale.ROOT, "generated %d samples (%.0f MB) in %s in %.1f s%n", samples,
          samples * H * W * C * 4 / 1e6, data, (System.nanoTime() - t0) / 1e9);
      if (modes.contains("single")) {
        single(dir, data);
      }
      if (modes.contains("local")) {
        job(dir, data, "local[2]", "job, local[2]");
      }
      if (modes.contains("cluster")) {
        job(dir, data, "local-cluster[2,1,2048]", "job, local-cluster[2,1,2048] (2 executor JVMs)");
      }
      report(args);
    } finally {
      delete(dir);
    }
  }

  // ---- data ----

  private Path generate(Path dir) throws IOException {
    Path data = Files.createDirectories(dir.resolve("dy"));
    SplittableRandom r = new SplittableRandom(42);
    for (int first = 0, f = 0; first < samples; first += fileSamples, f++) {
      int n = Math.min(fileSamples, samples - first);
      float[] v = new float[Math.toIntExact(n * H * W * C)];
      for (int i = 0; i < v.length; i++) {
        v[i] = (r.nextInt(2001) - 1000) / 1000f;
      }
      ArrowParts.writeSamples(data.resolve(String.format("dy-%05d.arrow", f)), first,
          Tensor.ofFloat32(Shape.of(n, H, W, C), v), DataFormat.NHWC);
    }
    float[] w = new float[Math.toIntExact(3 * 3 * C * C)];
    for (int i = 0; i < w.length; i++) {
      w[i] = (r.nextInt(2001) - 1000) / 8000f;
    }
    Npy.write(dir.resolve("w.npy"), Tensor.ofFloat32(Shape.of(3, 3, C, C), w));
    return data;
  }

  private static BackpropInputOp op() {
    return BackpropInputOp.of(o -> o.inputSizes(H, W).strides(1).padding(Padding.SAME));
  }

  private ConvgradJob.Builder options(Path dir, String dataset, String output) {
    return ConvgradJob.builder()
        .outBackprop(dataset)
        .filter(dir.resolve("w.npy").toString())
        .op(op())
        .output(dir.resolve(output).toString());
  }

  // ---- (a) single process ----

  private void single(Path dir, Path data) throws IOException {
    Configuration conf = new Configuration();
    SampleDataset ds = SampleDataset.inspect(data.toString(), conf);
    Tensor filter = Npy.read(dir.resolve("w.npy"));
    BackpropInputOp args = op();
    long sampleBytes = ds.sampleElements() * 4;
    int batch = (int) Math.max(1, BATCH_MAX_BYTES / (2 * sampleBytes)); // in + out, as a task computes it
    List<Shard> shards = ShardPlanner.plan(ds, fileSamples);
    try (Engine engine = Engine.create(b -> b.kind(EngineKind.AUTO).threads(2))) {
      Conv2dBackpropInput op1 = args.bindBatch(1, ds.sampleShape(), filter.shape(), filter.dtype(), ds.dtype());
      PackedFilter packed = engine.pack(op1, filter);
      flopsPerSample = op1.geometry().flops();
      String kernel = packed.kernel().name();
      // warm-up: the kernel's JIT compilation (about 1 s of work)
      try (SampleReader reader = ds.open(shards.get(0).file(), conf)) {
        long until = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < until) {
          SampleBatch in = reader.read(0, Math.min(batch, (int) shards.get(0).rows()));
          engine.backpropInput(args.bindBatch(in.rows(), ds.sampleShape(), filter.shape(), filter.dtype(), ds.dtype()), packed,
              in.samples());
        }
      }
      double load = load();
      long computeNanos = 0;
      long readNanos = 0;
      long writeNanos = 0;
      long start = System.nanoTime();
      Path outDir = Files.createDirectories(dir.resolve("single-out"));
      for (Shard s : shards) {
        try (SampleReader reader = ds.open(s.file(), conf);
            PartWriter writer = ArrowParts.create(new org.apache.hadoop.fs.Path(outDir.resolve("part-" + s.index() + ".arrow").toString()),
                conf, ds.dtype(), op1.inputShape(), DataFormat.NHWC)) {
          for (long row = 0; row < s.rows(); row += batch) {
            int n = (int) Math.min(batch, s.rows() - row);
            long r0 = System.nanoTime();
            SampleBatch in = reader.read(s.firstRow() + row, n);
            Conv2dBackpropInput op = args.bindBatch(n, ds.sampleShape(), filter.shape(), filter.dtype(), ds.dtype());
            long c0 = System.nanoTime();
            readNanos += c0 - r0;
            Tensor dx = engine.backpropInput(op, packed, in.samples());
            long w0 = System.nanoTime();
            computeNanos += w0 - c0;
            writer.write(in.ids(), dx);
            writeNanos += System.nanoTime() - w0;
          }
        }
      }
      double wall = (System.nanoTime() - start) / 1e9;
      double compute = computeNanos / 1e9;
      delete(outDir);
      singleEngineRate = samples / compute;
      singleEndToEndRate = samples / wall;
      add("(a) single-process engine, compute only (AUTO, 2 threads, " + kernel + ", batches of " + batch + ")",
          compute, load, true);
      add(String.format(Locale.ROOT, "(a') single process end to end (read Arrow %.1f s, compute %.1f s, write Arrow"
          + " %.1f s, one after the other)", readNanos / 1e9, compute, writeNanos / 1e9), wall, load, true);
    }
  }

  // ---- (b), (c) the job ----

  private void job(Path dir, Path data, String master, String label) throws IOException, InterruptedException {
    SparkConf conf = new SparkConf()
        .setMaster(master)
        .setAppName("convgrad-bench")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    if (master.startsWith("local-cluster")) {
      String home = System.getenv("SPARK_HOME");
      if (home == null || !Files.isDirectory(Path.of(home, "jars"))) {
        throw new IllegalStateException("local-cluster needs SPARK_HOME=spark-job/target/spark-home (after package)");
      }
      conf.set("spark.home", home)
          .set("spark.executor.memory", "2048m")
          .set("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
          .set("spark.executorEnv.SPARK_SCALA_VERSION", "2.13");
    }
    SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
    try {
      if (master.startsWith("local-cluster")) {
        awaitExecutors(spark, 2);
      }
      // warm-up: the first file, in small tasks so that every executor compiles the kernel
      Path first;
      try (Stream<Path> files = Files.list(data)) {
        first = files.sorted().findFirst().orElseThrow();
      }
      long warmUntil = System.nanoTime() + 4_000_000_000L;
      for (int i = 0; i == 0 || System.nanoTime() < warmUntil; i++) {
        ConvgradJob.Builder warm = options(dir, first.toString(), "warm-" + i);
        warm.samplesPerTask(10);
        warm.build().run(spark);
        delete(dir.resolve("warm-" + i));
      }
      double load = load();
      ConvgradJob.Builder o = options(dir, data.toString(), "job-out");
      long start = System.nanoTime();
      JobResult r = o.build().run(spark);
      double wall = (System.nanoTime() - start) / 1e9;
      System.out.println(r.summary());
      if (r.samples() != samples) {
        throw new IllegalStateException("the job processed " + r.samples() + " of " + samples + " samples");
      }
      delete(dir.resolve("job-out"));
      System.out.println(r.timeProfile());
      add(label + ", " + r.parts().size() + " tasks, " + r.parts().get(0).threads + " engine thread(s) per task, "
          + r.engine() + "; " + r.timeProfile(), wall, load, false);
    } finally {
      spark.stop();
    }
  }

  private static void awaitExecutors(SparkSession spark, int n) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    while (spark.sparkContext().statusTracker().getExecutorInfos().length < n + 1) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("executors did not register");
      }
      Thread.sleep(100);
    }
  }

  // ---- report ----

  private void add(String what, double seconds, double load, boolean single) {
    double rate = samples / seconds;
    String vsEngine = single && rows.isEmpty() ? "1.00" : String.format(Locale.ROOT, "%.2f", rate / singleEngineRate);
    String vsEndToEnd = singleEndToEndRate == 0 ? "" : String.format(Locale.ROOT, "%.2f", rate / singleEndToEndRate);
    rows.add(new String[] {what, String.valueOf(samples), String.format(Locale.ROOT, "%.2f", seconds),
        String.format(Locale.ROOT, "%.1f", rate), String.format(Locale.ROOT, "%.1f", rate * flopsPerSample / 1e9),
        vsEngine, vsEndToEnd, String.format(Locale.ROOT, "%.2f", load)});
    System.out.printf(Locale.ROOT, "%s: %d samples in %.2f s = %.1f samples/s%n", what, samples, seconds, rate);
  }

  private static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private void report(String args) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Spark job benchmark (issue 5)\n\n");
    md.append("S1 per sample: out_backprop 56x56x64, filter 3x3x64x64, stride 1, SAME, float32 (")
        .append(String.format(Locale.ROOT, "%.1f", flopsPerSample / 1e6)).append(" MFLOP per sample); ")
        .append(samples).append(" samples in Arrow IPC files of ").append(fileSamples).append(".\n\n");
    md.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores (shared), Java ")
        .append(System.getProperty("java.version")).append(", ").append(System.getProperty("os.arch"))
        .append(". One run of `SparkJobBenchmark ").append(args).append("`, each row warmed up first and timed once.\n\n");
    md.append("| run | samples | s | samples/s | GFLOP/s | vs (a) | vs (a') | load avg before |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (String[] r : rows) {
      md.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    md.append("\n(a) counts only the engine's compute time (data streamed from the same files, not timed); (a')"
        + " is the same process's wall time with Arrow reads and writes; the job rows are the wall time of"
        + " ConvgradSparkJob.run (validation, planning, tasks that read Arrow, compute and write Arrow parts,"
        + " commit and manifest; no --assemble).\n");
    System.out.println();
    System.out.print(md);
    Path p = Path.of(out);
    if (p.getParent() != null) {
      Files.createDirectories(p.getParent());
    }
    Files.writeString(p, md.toString());
    System.out.println("wrote " + p);
  }

  private static void deleteQuietly(Path root) {
    try {
      delete(root);
    } catch (IOException e) {
      System.err.println("could not remove " + root + ": " + e);
    }
  }

  private static void delete(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
