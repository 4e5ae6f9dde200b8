package org.convgrad.spark.job;

import org.apache.spark.SparkConf;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.EngineUnavailableException;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.kernel.gpu.GpuProbe;
import org.convgrad.engine.kernel.gpu.GpuSupport;

/**
 * The job's {@code --engine}: {@code auto} runs each task on the GPU Spark assigned it where the
 * engine can use it, and on the CPU otherwise (and says so); {@code cpu} never uses a GPU; {@code
 * gpu} runs every task on a GPU and is refused on the driver when the cluster offers none.
 */
public enum EngineChoice {
  AUTO,
  CPU,
  GPU;

  public static EngineChoice parse(String name) {
    for (EngineChoice c : values()) {
      if (c.name().equalsIgnoreCase(name.trim())) {
        return c;
      }
    }
    throw new InvalidArgumentException("Invalid engine: '" + name + "', expected one of auto, cpu, gpu");
  }

  /**
   * Refuses, on the driver and in seconds, {@code gpu} where no task could get one: on a local
   * master, when this machine's GPU 0 is not usable (the probe's reason); on a cluster, when
   * executors and tasks ask Spark for no GPUs. And, whatever the engine, tasks that ask for GPUs on
   * a local master, which offers them none: Spark would wait for ever to schedule them.
   *
   * @throws EngineUnavailableException naming what is missing and what to do
   */
  public void checkAvailable(SparkConf conf) {
    String master = conf.get("spark.master", "");
    boolean local = master.startsWith("local") && !master.startsWith("local-cluster");
    if (local && amount(conf, "spark.task.resource.gpu.amount") > 0) {
      throw new EngineUnavailableException("spark.task.resource.gpu.amount is " + conf.get("spark.task.resource.gpu.amount")
          + ", but a local master (" + master + ") gives tasks no GPUs, so Spark would never schedule the job's tasks:"
          + " remove the spark.*.resource.gpu.* settings (a local job uses this machine's GPU 0 without them)");
    }
    if (this != GPU) {
      return;
    }
    if (local) {
      GpuProbe probe = GpuSupport.probe(0);
      if (!probe.usable()) {
        throw new EngineUnavailableException("--engine gpu: no usable GPU on this machine: " + probe.reason()
            + "; use --engine auto, which runs on the CPU and says so");
      }
      return;
    }
    if (amount(conf, "spark.executor.resource.gpu.amount") <= 0 || amount(conf, "spark.task.resource.gpu.amount") <= 0) {
      throw new EngineUnavailableException("--engine gpu: the cluster offers no GPUs (spark.executor.resource.gpu.amount"
          + " and spark.task.resource.gpu.amount are not set; see conf/spark-gpu-cluster.conf.example); use --engine"
          + " auto, which runs on the CPU and says so");
    }
  }

  private static double amount(SparkConf conf, String key) {
    try {
      return Double.parseDouble(conf.get(key, "0").trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * The engine a task builds. With a GPU (one Spark assigned, or a local master's GPU 0): {@code
   * gpu} the GPU engine, {@code auto} the AUTO engine on that device (the GPU where usable, else the
   * CPU). Without one, the CPU kernels: a GPU Spark did not assign belongs to another task.
   */
  public EngineKind kindFor(boolean hasDevice) {
    if (this == CPU || !hasDevice && this == AUTO) {
      return EngineKind.SIMD;
    }
    return this == GPU ? EngineKind.GPU : EngineKind.AUTO;
  }
}
