package org.convgrad.spark.task;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.convgrad.engine.kernel.gpu.GpuProbe;
import org.convgrad.engine.kernel.gpu.GpuSupport;
import org.jspecify.annotations.Nullable;

/**
 * What the executor a task runs in offers it: the cores Spark schedules on, and the GPU Spark
 * assigned the task (on a local master, GPU 0), which {@link ExecutorEngines} builds engines for.
 */
public final class ExecutorResources {
  /** The device key of the CPU engine; a GPU's is {@code gpu <ordinal>}. */
  public static final String CPU = "cpu";

  private ExecutorResources() {}

  /** The GPU address Spark assigned the running task (the first, where it assigned several), or null. */
  public static @Nullable String assignedGpu(@Nullable TaskContext ctx) {
    Map<String, ResourceInformation> resources = ctx == null ? null : ctx.resourcesJMap();
    ResourceInformation gpu = resources == null ? null : resources.get("gpu");
    if (gpu == null || gpu.addresses().length == 0) {
      return null;
    }
    return gpu.addresses()[0];
  }

  /**
   * The CUDA device ordinal a GPU address names, or null when it is not one (a number from 0): a
   * discovery script may report anything, a UUID, say, or a failing nvidia-smi's complaint.
   */
  public static @Nullable Integer ordinal(String address) {
    if (!address.matches("[0-9]{1,9}")) {
      return null;
    }
    return Integer.valueOf(address);
  }

  /**
   * Why a task did not compute on the GPU of {@code address}: the address itself, the probe's reason,
   * or, for a usable GPU, that an AUTO engine found too little of its memory free when it was built.
   */
  public static String unusableReason(String address) {
    Integer ordinal = ordinal(address);
    if (ordinal == null) {
      return notAnOrdinal(address);
    }
    GpuProbe probe = GpuSupport.probe(ordinal);
    if (!probe.usable()) {
      return probe.reason();
    }
    return "device " + ordinal + " (" + probe.deviceName() + ") had too little memory free for the job's filter and a"
        + " sample beside its reserve when the task's engine was built (" + (probe.freeBytes() >> 20) + " MiB free now)";
  }

  static String notAnOrdinal(String address) {
    return "Spark assigned GPU address '" + address + "', which is not a CUDA device ordinal (a number from 0): check"
        + " spark.executor.resource.gpu.discoveryScript (conf/gpu-discovery.sh reports ordinals)";
  }

  /**
   * The device a task computes on: the GPU Spark assigned it; on a local master, where Spark
   * assigns none, GPU 0 (the engine still runs on the CPU where no GPU is usable); else the CPU.
   */
  public static String device(@Nullable String assigned) {
    if (assigned != null) {
      return "gpu " + assigned;
    }
    boolean local = SparkEnv.get() == null || "driver".equals(SparkEnv.get().executorId());
    return local ? "gpu 0" : CPU;
  }

  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?\\])?");
  private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*\\d+\\s*,\\s*(\\d+)\\s*,.*\\]");

  /** The cores of this executor: what Spark schedules tasks on, not what the machine has. */
  public static int executorCores() {
    SparkEnv env = SparkEnv.get();
    if (env == null) {
      return Runtime.getRuntime().availableProcessors();
    }
    return executorCores(env.conf(), env.executorId());
  }

  public static int executorCores(SparkConf conf, String executorId) {
    String master = conf.get("spark.master", "");
    if ("driver".equals(executorId)) { // local mode: tasks run in the driver
      Matcher m = LOCAL.matcher(master.trim());
      if (m.matches()) {
        String n = m.group(1);
        return n == null ? 1 : "*".equals(n) ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
      }
    }
    if (conf.contains("spark.executor.cores")) {
      return Math.max(1, conf.getInt("spark.executor.cores", 1));
    }
    Matcher m = LOCAL_CLUSTER.matcher(master.trim());
    if (m.matches()) {
      return Integer.parseInt(m.group(1));
    }
    // Standalone executors take all of their worker's cores by default; YARN and Kubernetes
    // default to 1 (and set spark.executor.cores when told otherwise).
    return master.startsWith("spark://") ? Runtime.getRuntime().availableProcessors() : 1;
  }
}
