package org.convgrad.spark.job;

import java.util.List;
import org.convgrad.spark.commit.Manifest;
import org.convgrad.spark.task.TaskCommit;

/** What a finished job did: its manifest, the committed attempts and the figures of its summary. */
public final class JobResult {
  public final Manifest manifest;
  public final List<TaskCommit> parts;
  public final long samples;
  public final double seconds;
  public final double flops;
  public final String engine;
  /** Tasks that Spark gave a GPU and that ran on the CPU (no GPU backend yet). */
  public final int gpuFallbackTasks;
  public final long enginesBuilt;

  JobResult(Manifest manifest, List<TaskCommit> parts, double seconds, String engine, int gpuFallbackTasks,
      long enginesBuilt) {
    this.manifest = manifest;
    this.parts = parts;
    long n = 0;
    double f = 0;
    for (TaskCommit c : parts) {
      n += c.samples;
      f += c.flops;
    }
    this.samples = n;
    this.flops = f;
    this.seconds = seconds;
    this.engine = engine;
    this.gpuFallbackTasks = gpuFallbackTasks;
    this.enginesBuilt = enginesBuilt;
  }

  /** The one line a user reads at the end. */
  public String summary() {
    return String.format(
        "convgrad: %d samples in %.2f s: %.1f samples/s, %.2f GFLOP/s, engine %s, %d task%s%s",
        samples, seconds, samples / seconds, flops / seconds / 1e9, engine, parts.size(),
        parts.size() == 1 ? "" : "s",
        gpuFallbackTasks > 0
            ? " (" + gpuFallbackTasks + " task(s) were assigned a GPU but ran on the CPU: no GPU backend in this build)"
            : "");
  }

  /** Where the committed attempts spent their time, summed over tasks (a profile, not wall time). */
  public String taskTimes() {
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
    return String.format(java.util.Locale.ROOT,
        "task time summed over %d tasks: read %.2f s, compute %.2f s, write %.2f s, other %.2f s",
        parts.size(), read, compute, write, all - read - compute - write);
  }
}
