package org.convgrad.spark.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The JUnit 5 Spark harness behind {@link SparkTest} and {@link SparkClusterTest} (after
 * OpenLineage's {@code SparkAgentTestExtension}): one SparkSession per distinct setting, shared
 * across test classes, stopped when another setting is needed (a JVM holds one SparkContext) or
 * when the run ends; runtime settings restored, job group and cache cleared after each test.
 */
public final class SparkExtension
    implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

  /** Two task threads; a failed task is retried up to 4 times, as on a cluster. */
  public static final String LOCAL_MASTER = "local[2,4]";

  public static final String CLUSTER_MASTER = "local-cluster[2,1,1024]";

  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SparkExtension.class);

  /** The session now running and what it was built for; one per JVM. */
  private static Shared current;

  private static final class Shared implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    final String key;
    final SparkSession spark;
    /** The standalone cluster the session runs on, stopped after it; null for local modes. */
    final StandaloneCluster cluster;

    Shared(String key, SparkSession spark, StandaloneCluster cluster) {
      this.key = key;
      this.spark = spark;
      this.cluster = cluster;
    }

    @Override
    public void close() {
      synchronized (SparkExtension.class) {
        try {
          spark.stop();
        } finally {
          if (current == this) {
            current = null;
          }
          if (cluster != null) {
            cluster.close();
          }
        }
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    session(context);
  }

  /** The session for the test class of {@code context}, started (or switched to) on demand. */
  public static synchronized SparkSession session(ExtensionContext context) {
    Class<?> type = context.getRequiredTestClass();
    SparkStandaloneTest standalone = findAnnotation(type, SparkStandaloneTest.class);
    boolean cluster = findAnnotation(type, SparkClusterTest.class) != null;
    String[] extra =
        standalone != null
            ? standalone.conf()
            : cluster
                ? findAnnotation(type, SparkClusterTest.class).conf()
                : findAnnotation(type, SparkTest.class) == null ? new String[0] : findAnnotation(type, SparkTest.class).conf();
    String master = standalone != null ? "standalone" + Arrays.toString(standalone.workers())
        : cluster ? CLUSTER_MASTER : LOCAL_MASTER;
    String key = master + " " + Arrays.toString(extra);
    if (current != null && current.key.equals(key) && !current.spark.sparkContext().isStopped()) {
      return current.spark;
    }
    if (current != null) {
      current.close();
    }
    if (standalone != null) {
      return standaloneSession(context, key, standalone, extra);
    }
    SparkConf conf = baseConf(master);
    if (cluster) {
      clusterConf(conf);
    }
    applyExtra(conf, extra);
    SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
    current = new Shared(key, spark, null);
    if (cluster) {
      awaitExecutors(spark, 2, 60_000);
    }
    // Stopped at the end of the run (or earlier, when a class needs other settings).
    context.getRoot().getStore(NS).put(new Object(), current);
    return spark;
  }

  private static void applyExtra(SparkConf conf, String[] extra) {
    for (String kv : extra) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("Spark test setting must be key=value, not '" + kv + "'");
      }
      conf.set(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim().replace(FAKE_GPU_SCRIPT, fakeGpuScript()));
    }
  }

  /**
   * A session on a standalone cluster of separate JVMs started for it: one Worker and one
   * single-core executor per loopback address, every JVM stopped with the session.
   */
  private static SparkSession standaloneSession(ExtensionContext context, String key, SparkStandaloneTest standalone,
      String[] extra) {
    List<String> hosts = Arrays.asList(standalone.workers());
    for (String h : hosts) {
      Assumptions.assumeTrue(StandaloneCluster.isLoopback(h), () -> h + " is not a loopback address");
      Assumptions.assumeTrue(StandaloneCluster.canBind(h),
          () -> "cannot bind " + h + " on this machine (on macOS: sudo ifconfig lo0 alias " + h + ")");
    }
    StandaloneCluster cluster = StandaloneCluster.start(sparkHome(), hosts, 1, "1g");
    SparkSession spark = null;
    try {
      SparkConf conf = baseConf(cluster.masterUrl());
      clusterConf(conf);
      // Each executor binds its Worker's address: no SPARK_LOCAL_IP from the driver.
      conf.remove("spark.executorEnv.SPARK_LOCAL_IP");
      conf.set("spark.executor.cores", "1")
          .set("spark.executor.memory", "512m")
          .set("spark.cores.max", String.valueOf(hosts.size()));
      applyExtra(conf, extra);
      spark = SparkSession.builder().config(conf).getOrCreate();
      awaitExecutors(spark, hosts.size(), 90_000);
    } catch (RuntimeException | Error e) {
      if (spark != null) {
        spark.stop();
      }
      String logs = cluster.logTails();
      cluster.close();
      throw new IllegalStateException("standalone cluster on " + hosts + " did not come up: " + e + "\n" + logs, e);
    }
    current = new Shared(key, spark, cluster);
    context.getRoot().getStore(NS).put(new Object(), current);
    return spark;
  }

  /**
   * In a setting's value, the path of a GPU discovery script that runs the project's
   * conf/gpu-discovery.sh with {@code CONVGRAD_FAKE_GPUS=0}: one GPU, address "0", on any machine.
   */
  public static final String FAKE_GPU_SCRIPT = "${fakeGpuScript}";

  private static String fakeGpuScript() {
    try {
      Path real = Path.of(System.getProperty("convgrad.root", "..")).resolve("conf/gpu-discovery.sh").toAbsolutePath()
          .normalize();
      if (!Files.exists(real)) {
        throw new IllegalStateException("no " + real);
      }
      Path script = tempDir("convgrad-gpu").resolve("fake-gpu-discovery.sh");
      Files.writeString(script, "#!/usr/bin/env bash\nCONVGRAD_FAKE_GPUS=0 exec bash '" + real + "'\n");
      script.toFile().setExecutable(true);
      script.toFile().deleteOnExit();
      return script.toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Waits until {@code count} executors (besides the driver) have registered. */
  public static void awaitExecutors(SparkSession spark, int count, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (spark.sparkContext().statusTracker().getExecutorInfos().length < count + 1) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(
            "only " + (spark.sparkContext().statusTracker().getExecutorInfos().length - 1) + " of " + count
                + " executors registered in " + timeoutMillis + " ms");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** What every test session has: loopback, UI off, small and quick. */
  public static SparkConf baseConf(String master) {
    return new SparkConf()
        .setMaster(master)
        .setAppName("convgrad-test")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.sql.shuffle.partitions", "4")
        .set("spark.default.parallelism", "4")
        .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .set("spark.sql.warehouse.dir", tempDir("convgrad-warehouse").toString());
  }

  /** local-cluster: Spark home, executors' class path (this module's classes), small memory. */
  public static void clusterConf(SparkConf conf) {
    String home = sparkHome();
    conf.set("spark.home", home)
        .set("spark.executor.memory", "1024m")
        .set("spark.executor.extraClassPath", String.join(File.pathSeparator, projectClassPath()))
        // Executors' temporary files in the build, not /tmp: an executor a test kills (halt) leaves
        // what it meant to delete at exit, such as lz4-java's native library.
        .set("spark.executor.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=4 \"-Djava.io.tmpdir="
            + buildDir("executor-tmp") + "\"") // quoted: Spark splits the options at spaces outside quotes
        .set("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
        .set("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
        .set("spark.worker.cleanup.enabled", "false");
  }

  /** SPARK_HOME for local-cluster; the build puts Spark's runtime jars in its jars/. */
  public static String sparkHome() {
    String home = System.getenv("SPARK_HOME");
    if (home == null || home.isEmpty()) {
      home = System.getProperty("convgrad.test.sparkHome");
    }
    if (home == null || !Files.isDirectory(Path.of(home, "jars"))) {
      throw new IllegalStateException(
          "local-cluster tests need SPARK_HOME with Spark's jars in jars/ (run them through Maven, which"
              + " assembles spark-job/target/spark-home), got " + home);
    }
    if (!"2.13".equals(System.getenv("SPARK_SCALA_VERSION"))) {
      throw new IllegalStateException("local-cluster tests need SPARK_SCALA_VERSION=2.13 in the environment");
    }
    return home;
  }

  /**
   * The test class path's directories and the project's jars: what executors need besides
   * Spark's own jars (which SPARK_HOME/jars holds).
   */
  static List<String> projectClassPath() {
    List<String> out = new ArrayList<>();
    for (String entry : Objects.requireNonNull(System.getProperty("java.class.path")).split(File.pathSeparator)) {
      File f = new File(entry);
      if (f.isDirectory() || f.getName().startsWith("convgrad-") || f.getName().startsWith("junit-")
          || f.getName().startsWith("opentest4j")) {
        out.add(f.getAbsolutePath());
      }
    }
    return out;
  }

  /** A directory under this module's target/, made if needed. */
  private static Path buildDir(String name) {
    try {
      return Files.createDirectories(Path.of("target", name)).toAbsolutePath();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Path tempDir(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      dir.toFile().deleteOnExit();
      return dir;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static <A extends java.lang.annotation.Annotation> A findAnnotation(Class<?> type, Class<A> a) {
    for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
      A found = c.getAnnotation(a);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  // ---- per test: restore what a test may change ----

  private static final String RUNTIME_CONF = "runtimeConf";

  @Override
  public void beforeEach(ExtensionContext context) {
    SparkSession spark = session(context);
    Map<String, String> snapshot = new LinkedHashMap<>(scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()));
    context.getStore(NS).put(RUNTIME_CONF, snapshot);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void afterEach(ExtensionContext context) {
    SparkSession spark = current == null ? null : current.spark;
    if (spark == null || spark.sparkContext().isStopped()) {
      return;
    }
    spark.sparkContext().cancelAllJobs();
    spark.sparkContext().clearJobGroup();
    spark.sparkContext().setLocalProperty("callSite.short", null);
    spark.sparkContext().setLocalProperty("callSite.long", null);
    spark.catalog().clearCache();
    Map<String, String> before = context.getStore(NS).get(RUNTIME_CONF, Map.class);
    if (before != null) {
      Map<String, String> now = scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll());
      for (String k : new ArrayList<>(now.keySet())) {
        if (!before.containsKey(k)) {
          spark.conf().unset(k);
        }
      }
      for (Map.Entry<String, String> e : before.entrySet()) {
        if (!e.getValue().equals(now.get(e.getKey()))) {
          try {
            spark.conf().set(e.getKey(), e.getValue());
          } catch (RuntimeException ignored) {
            // a static setting cannot be changed back (nor could the test change it)
          }
        }
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    Class<?> t = p.getParameter().getType();
    return t == SparkSession.class || t == JavaSparkContext.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) throws ParameterResolutionException {
    SparkSession spark = session(e);
    if (p.getParameter().getType() == JavaSparkContext.class) {
      return JavaSparkContext.fromSparkContext(spark.sparkContext());
    }
    return spark;
  }
}
