package org.convgrad.spark.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster of separate JVMs on loopback addresses: a Master on 127.0.0.1 and one
 * Worker per given address (127.0.0.1, 127.0.0.2, ...), each bound to its own address with {@code
 * --host} and {@code SPARK_LOCAL_IP}, so Spark sees distinct hosts (unlike local-cluster, which puts
 * every executor on one host: Spark never speculates a task on a host that already runs it).
 * Started from {@code SPARK_HOME} (the build's spark-job/target/spark-home) with its jvm.flags.
 *
 * <p>{@link #close()} kills every JVM this cluster started, the executors the Workers launched
 * included, and fails if one survives; a shutdown hook does the same if the test JVM exits first.
 */
public final class StandaloneCluster implements AutoCloseable {
  /** Only loopback addresses: nothing here may listen on a real network. */
  public static boolean isLoopback(String address) {
    try {
      return InetAddress.getByName(address).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether a socket can be bound to {@code address} on this machine. */
  public static boolean canBind(String address) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(address, 0));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private final Path dir;
  private final List<Process> processes = new ArrayList<>();
  private final List<Path> logs = new ArrayList<>();
  private final String masterUrl;
  private final Thread hook = new Thread(this::kill, "standalone-cluster-kill");

  private StandaloneCluster(String sparkHome, List<String> workerHosts, int coresPerWorker, String workerMemory)
      throws IOException {
    this.dir = Files.createTempDirectory("convgrad-standalone");
    Runtime.getRuntime().addShutdownHook(hook);
    int port = freePort("127.0.0.1");
    this.masterUrl = "spark://127.0.0.1:" + port;
    start("master", "127.0.0.1", sparkHome, "org.apache.spark.deploy.master.Master",
        "--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", "0");
    awaitListening("127.0.0.1", port, processes.get(0), 60_000);
    for (int i = 0; i < workerHosts.size(); i++) {
      String host = workerHosts.get(i);
      Path work = Files.createDirectories(dir.resolve("work-" + i));
      start("worker-" + i, host, sparkHome, "org.apache.spark.deploy.worker.Worker",
          "--host", host, "--port", "0", "--webui-port", "0", "--cores", String.valueOf(coresPerWorker),
          "--memory", workerMemory, "--work-dir", work.toString(), masterUrl);
    }
  }

  /**
   * Starts a Master and one Worker per host ({@code coresPerWorker} cores and {@code workerMemory}
   * each); returns once the Master listens. The Workers register on their own (a SparkSession then
   * waits for its executors).
   */
  public static StandaloneCluster start(String sparkHome, List<String> workerHosts, int coresPerWorker,
      String workerMemory) {
    for (String h : workerHosts) {
      if (!isLoopback(h)) {
        throw new IllegalArgumentException("standalone test workers bind loopback addresses only, not " + h);
      }
    }
    StandaloneCluster c = null;
    try {
      c = new StandaloneCluster(sparkHome, workerHosts, coresPerWorker, workerMemory);
      return c;
    } catch (IOException | RuntimeException | Error e) {
      if (c != null) {
        c.close();
      }
      throw e instanceof IOException ? new UncheckedIOException((IOException) e) : (RuntimeException) wrap(e);
    }
  }

  private static RuntimeException wrap(Throwable e) {
    return e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e);
  }

  public String masterUrl() {
    return masterUrl;
  }

  /** The Master's and Workers' processes (the executors are their children). */
  public List<Process> processes() {
    return List.copyOf(processes);
  }

  private void start(String name, String host, String sparkHome, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String flags = Files.readString(Path.of(sparkHome, "jvm.flags"), StandardCharsets.UTF_8).trim();
    cmd.addAll(Arrays.asList(flags.split("\\s+")));
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-cp");
    cmd.add(Path.of(sparkHome, "conf") + File.separator + File.pathSeparator + Path.of(sparkHome, "jars") + File.separator + "*");
    cmd.add(mainClass);
    cmd.addAll(Arrays.asList(args));
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_HOME", sparkHome);
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", host);
    pb.environment().remove("SPARK_LOCAL_HOSTNAME");
    pb.environment().remove("SPARK_MASTER_HOST");
    processes.add(pb.start());
    logs.add(log);
  }

  private static int freePort(String host) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(host, 0));
      return s.getLocalPort();
    }
  }

  private void awaitListening(String host, int port, Process p, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), 200);
        return;
      } catch (IOException notYet) {
        if (!p.isAlive()) {
          throw new IllegalStateException("the Spark Master exited with " + p.exitValue() + ":\n" + logTails());
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("the Spark Master did not listen on " + host + ":" + port + " within "
              + timeoutMillis + " ms:\n" + logTails());
        }
        sleep(100);
      }
    }
  }

  /** The last lines of every daemon's log (for failure messages). */
  public String logTails() {
    StringBuilder sb = new StringBuilder();
    for (Path log : logs) {
      try {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        sb.append("--- ").append(log.getFileName()).append('\n');
        lines.subList(Math.max(0, lines.size() - 20), lines.size()).forEach(l -> sb.append(l).append('\n'));
      } catch (IOException e) {
        sb.append("--- ").append(log.getFileName()).append(": ").append(e).append('\n');
      }
    }
    return sb.toString();
  }

  /** Kills every JVM of this cluster (children first), waits for them, deletes the work files. */
  @Override
  public void close() {
    List<ProcessHandle> survivors = kill();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    deleteTree(dir);
    if (!survivors.isEmpty()) {
      throw new IllegalStateException("standalone cluster processes survived: " + survivors);
    }
  }

  private synchronized List<ProcessHandle> kill() {
    List<ProcessHandle> all = new ArrayList<>();
    for (Process p : processes) {
      p.descendants().forEach(all::add); // executors, started by the Workers
      all.add(p.toHandle());
    }
    all.forEach(ProcessHandle::destroy);
    long deadline = System.currentTimeMillis() + 10_000;
    for (ProcessHandle h : all) {
      try {
        h.onExit().get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
      } catch (Exception stillAlive) {
        h.destroyForcibly();
      }
    }
    List<ProcessHandle> survivors = new ArrayList<>();
    for (ProcessHandle h : all) {
      try {
        h.onExit().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        survivors.add(h);
      }
    }
    return survivors;
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temporary files; not worth failing a test over
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
