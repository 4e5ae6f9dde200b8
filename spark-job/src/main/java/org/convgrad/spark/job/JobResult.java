package org.convgrad.spark.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.convgrad.spark.commit.Manifest;
import org.convgrad.spark.task.TaskCommit;

/**
 * What a finished job did: its manifest, the committed task attempts, and the figures of its
 * summary. Immutable.
 *
 * <pre>{@code
 * JobResult r = job.run(spark);
 * r.samples(); r.seconds(); r.samplesPerSecond(); r.gflops(); r.engine(); r.manifest().parts;
 * for (JobResult.ExecutorFigures e : r.perExecutor()) { ... }
 * }</pre>
 */
public final class JobResult {
  private final Manifest manifest;
  private final List<TaskCommit> parts;
  private final long samples;
  private final double seconds;
  private final double taskPhaseSeconds;
  private final double flops;
  private final String engine;
  private final int gpuFallbackTasks;
  private final long enginesBuilt;
  private final int shardsComputedAgain;

  JobResult(Manifest manifest, List<TaskCommit> parts, double seconds, double taskPhaseSeconds, String engine,
      int gpuFallbackTasks, long enginesBuilt, int shardsComputedAgain) {
    this.manifest = manifest;
    this.parts = List.copyOf(parts);
    long n = 0;
    double f = 0;
    for (TaskCommit c : parts) {
      n += c.samples;
      f += c.flops;
    }
    this.samples = n;
    this.flops = f;
    this.seconds = seconds;
    this.taskPhaseSeconds = taskPhaseSeconds;
    this.engine = engine;
    this.gpuFallbackTasks = gpuFallbackTasks;
    this.enginesBuilt = enginesBuilt;
    this.shardsComputedAgain = shardsComputedAgain;
  }

  /** The committed output's manifest (parts in sample order, shape, dtype, checksums). */
  public Manifest manifest() {
    return manifest;
  }

  /** The committed task attempts, in sample order. */
  public List<TaskCommit> parts() {
    return parts;
  }

  public long samples() {
    return samples;
  }

  /** Wall time of the whole job on the driver: validation, tasks, commit and assembly. */
  public double seconds() {
    return seconds;
  }

  public double samplesPerSecond() {
    return samples / seconds;
  }

  /** The direct convolution's multiply-adds times two, per second of the job's wall time. */
  public double gflops() {
    return flops / seconds / 1e9;
  }

  /** Which engine and kernels ran, for example {@code cpu (simd kernel)}. */
  public String engine() {
    return engine;
  }

  /** Tasks that Spark gave a GPU and that ran on the CPU (a GPU convgrad could not use). */
  public int gpuFallbackTasks() {
    return gpuFallbackTasks;
  }

  /** Engines the executors built for this job (one per executor JVM). */
  public long enginesBuilt() {
    return enginesBuilt;
  }

  /**
   * Shards computed a second time because out_backprop holds a value past the limit of the tiles
   * that some of their batches chose on their own values (Winograd's): they now choose as the whole
   * dataset does, as one {@code bin/convgrad} call would.
   */
  public int shardsComputedAgain() {
    return shardsComputedAgain;
  }

  /** The one line a user reads at the end. */
  public String summary() {
    return String.format(Locale.ROOT,
        "convgrad: %d samples in %.2f s: %.1f samples/s, %.2f GFLOP/s, engine %s, %d task%s%s%s",
        samples, seconds, samplesPerSecond(), gflops(), engine, parts.size(), parts.size() == 1 ? "" : "s",
        shardsComputedAgain > 0
            ? " (" + shardsComputedAgain + " computed again: out_backprop holds a value too large for their first"
                + " tiles)"
            : "",
        gpuFallbackTasks > 0
            ? " (" + gpuFallbackTasks + " task(s) were assigned a GPU but ran on the CPU: " + fallbackReason() + ")"
            : "");
  }

  private String fallbackReason() {
    for (TaskCommit c : parts) {
      if (c.gpuFallbackReason != null && !c.gpuFallbackReason.isEmpty()) {
        return c.gpuFallbackReason;
      }
    }
    return "the GPU was not usable";
  }

  /**
   * Where the time went: the job's wall time split into the driver's work before and after the
   * tasks and the task phase, and the task phase's time summed over tasks (read, compute, write),
   * with the engine's own rate (FLOPs over compute time alone).
   */
  public String timeProfile() {
    double read = 0;
    double compute = 0;
    double write = 0;
    double all = 0;
    for (TaskCommit c : parts) {
      read += c.readSeconds;
      compute += c.computeSeconds;
      write += c.writeSeconds;
      all += c.seconds;
    }
    return String.format(Locale.ROOT,
        "time: %.2f s on the driver outside the tasks (validation, planning, commit, assembly), %.2f s of tasks;"
            + " summed over %d tasks: read %.2f s, compute %.2f s, write %.2f s, other %.2f s; engine rate %.1f"
            + " GFLOP/s per task",
        seconds - taskPhaseSeconds, taskPhaseSeconds, parts.size(), read, compute, write, all - read - compute - write,
        compute > 0 ? flops / compute / 1e9 : 0.0);
  }

  /** The figures of one executor: its tasks, samples and time. */
  public record ExecutorFigures(String executorId, int tasks, long samples, double taskSeconds,
      double computeSeconds, double flops) {
    /** Samples per second of this executor's task time. */
    public double samplesPerSecond() {
      return taskSeconds > 0 ? samples / taskSeconds : 0;
    }

    /** The engine's rate on this executor: FLOPs per second of compute time. */
    public double gflops() {
      return computeSeconds > 0 ? flops / computeSeconds / 1e9 : 0;
    }
  }

  /** The committed tasks' figures per executor, in order of executor id. */
  public List<ExecutorFigures> perExecutor() {
    Map<String, double[]> by = new LinkedHashMap<>();
    for (TaskCommit c : parts) {
      double[] v = by.computeIfAbsent(c.executorId, k -> new double[5]);
      v[0] += 1;
      v[1] += c.samples;
      v[2] += c.seconds;
      v[3] += c.computeSeconds;
      v[4] += c.flops;
    }
    List<ExecutorFigures> out = new ArrayList<>();
    by.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> out.add(new ExecutorFigures(e.getKey(),
        (int) e.getValue()[0], (long) e.getValue()[1], e.getValue()[2], e.getValue()[3], e.getValue()[4])));
    return out;
  }
}
