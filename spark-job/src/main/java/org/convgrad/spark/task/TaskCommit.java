package org.convgrad.spark.task;

import java.io.Serializable;
import org.jspecify.annotations.Nullable;

/**
 * What a task attempt reports to the driver when it has written its part under its temporary
 * name: the driver commits exactly the attempt whose report Spark accepted for the shard.
 */
public final class TaskCommit implements Serializable {
  private static final long serialVersionUID = 1L;

  public int shard;
  public String attemptPath = "";
  public long samples;
  public long firstSample;
  /**
   * For a band of one sample's result rows: the rows {@code [firstRow, endRow)} (else both 0). A band
   * counts its sample in {@link #samples} once, in the sample's last band.
   */
  public long firstRow;
  public long endRow;
  /**
   * For batches and bands computed on their own values: the largest magnitude among the out_backprop
   * values the task read (NaN: one was not finite), and up to which magnitude its kernel chooses the
   * tiles it chooses for zeros ({@link org.convgrad.engine.band.BandedRun}); and whether a batch or
   * band chose those tiles (its values kept within the limit). When
   * the dataset goes past the limit, the driver computes the shards that did so again, choosing as
   * the whole dataset does.
   */
  public double outBackpropMaxAbs;
  public double outBackpropLimit = Double.POSITIVE_INFINITY;
  public boolean choseTilesWithinLimit;
  public long firstId;
  public long lastId;
  public long bytes;
  public String crc32c = "";
  public int attemptNumber;
  public long taskAttemptId;
  public String executorId = "";
  public String kernel = "";
  /** What the kernel says of itself, device included: {@code gpu (implicit-gemm-f32, device 0 NVIDIA H200)}. */
  public String kernelDescription = "";
  /** Where the task computed: {@code cpu}, or {@code gpu N} for the GPU of ordinal N. */
  public String device = "";
  /** Engine threads the task ran with (see ExecutorEngines). */
  public int threads;
  /** The GPU address Spark assigned to the task, when it ran on the CPU all the same. */
  public @Nullable String gpuFallback;
  /** Why that GPU was not used (the GPU probe's one line). */
  public @Nullable String gpuFallbackReason;
  public double seconds;
  /** Of {@link #seconds}: reading samples, computing, writing (and closing) the part. */
  public double readSeconds;
  public double computeSeconds;
  public double writeSeconds;
  public double flops;
  /**
   * Set when the task found input it cannot use: the one line the command line prints for it
   * ({@code InvalidArgument: ...} or {@code Error: ...}). Nothing of the attempt is kept.
   */
  public @Nullable String rejection;

  public TaskCommit() {}
}
