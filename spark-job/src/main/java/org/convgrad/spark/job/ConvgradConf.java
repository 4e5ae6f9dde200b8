package org.convgrad.spark.job;

import java.util.List;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.sql.SparkSession;
import org.convgrad.engine.InvalidArgumentException;

/**
 * convgrad's own Spark settings ({@code spark.convgrad.*}), typed, with defaults and the
 * documentation from which conf/spark-defaults.conf's list is written. Read on the driver from
 * the session's configuration and shipped to the tasks inside the job's broadcast.
 */
public final class ConvgradConf {
  /** One setting: key, default and what it does. */
  public static final class Entry {
    private final String key;
    private final String defaultValue;
    private final String doc;

    Entry(String key, String defaultValue, String doc) {
      this.key = key;
      this.defaultValue = defaultValue;
      this.doc = doc;
    }

    public String key() {
      return key;
    }

    public String defaultValue() {
      return defaultValue;
    }

    public String doc() {
      return doc;
    }

    public String get(SparkSession spark) {
      return spark.conf().get(key, defaultValue);
    }

    /** The setting as a number, or bytes ({@link #parseBytesOrLong}); a value that is neither names the key. */
    public long getLong(SparkSession spark) {
      String v = get(spark);
      try {
        return parseBytesOrLong(v);
      } catch (NumberFormatException | ArithmeticException e) {
        throw new InvalidArgumentException(key + " is '" + v + "'; expected a number, or bytes such as 65536, 64k, 64m"
            + " or 1g");
      }
    }

    /** {@link #getLong} for a size that must be at least one byte. */
    public long getBytes(SparkSession spark) {
      long v = getLong(spark);
      if (v < 1) {
        throw new InvalidArgumentException(key + " is " + get(spark) + "; it must be at least 1 byte");
      }
      return v;
    }

    /** The setting as a duration in milliseconds ({@code 500ms}, {@code 30s}, {@code 5min}; a bare number is seconds). */
    public long getMillis(SparkSession spark) {
      String v = get(spark);
      try {
        long ms = JavaUtils.timeStringAsMs(v.trim().matches("\\d+") ? v.trim() + "s" : v);
        if (ms >= 0) {
          return ms;
        }
      } catch (NumberFormatException e) {
        // named below
      }
      throw new InvalidArgumentException(key + " is '" + v + "'; expected a duration such as 500ms, 30s or 5min");
    }

    public boolean getBoolean(SparkSession spark) {
      return Boolean.parseBoolean(get(spark).trim());
    }
  }

  public static final Entry BATCH_MAX_BYTES =
      new Entry(
          "spark.convgrad.batch.maxBytes", "64m",
          "Memory one engine batch may use in a task (out_backprop plus input gradient); a task"
              + " runs its shard in as many batches as this needs (at least one sample each).");

  public static final Entry ENGINE_IDLE_TIMEOUT =
      new Entry(
          "spark.convgrad.engine.idleTimeout", "30s",
          "How long an executor keeps a job's engine (its threads, packed filter and GPU memory) after"
              + " the job's last task there; a job that comes back within it reuses the engine.");

  public static final Entry TEST_FAIL_FIRST_ATTEMPT =
      new Entry(
          "spark.convgrad.test.failFirstAttempt", "false",
          "Tests only: every task's first attempt fails after writing half of its part.");

  public static final Entry TEST_KILL_EXECUTOR_ONCE =
      new Entry(
          "spark.convgrad.test.killExecutorOnce", "",
          "Tests only: a marker file path; the first task that creates it halts its executor's JVM"
              + " in the middle of its shard.");

  public static final Entry TEST_SLOW_FIRST_ATTEMPT_MILLIS =
      new Entry(
          "spark.convgrad.test.slowFirstAttemptMillis", "0",
          "Tests only: the first attempt of shard 0 sleeps this long before it writes (for speculation).");

  public static final Entry TEST_FAIL_SHARD =
      new Entry(
          "spark.convgrad.test.failShard", "-1",
          "Tests only: every attempt of this shard fails halfway, so the job fails.");

  public static final Entry TEST_OUT_OF_MEMORY =
      new Entry(
          "spark.convgrad.test.outOfMemory", "false",
          "Tests only: every task's first batch throws OutOfMemoryError, as in a heap too small for it.");

  public static final Entry TEST_FAIL_ASSEMBLY =
      new Entry(
          "spark.convgrad.test.failAssembly", "false",
          "Tests only: the assembly of --assemble fails after the job's output is committed.");

  public static final Entry TEST_FAIL_COMMIT =
      new Entry(
          "spark.convgrad.test.failCommit", "false",
          "Tests only: the job's commit fails after its tasks have ended (a storage failure).");

  public static final List<Entry> ALL =
      List.of(BATCH_MAX_BYTES, ENGINE_IDLE_TIMEOUT, TEST_FAIL_FIRST_ATTEMPT, TEST_KILL_EXECUTOR_ONCE, TEST_SLOW_FIRST_ATTEMPT_MILLIS,
          TEST_FAIL_SHARD, TEST_OUT_OF_MEMORY, TEST_FAIL_ASSEMBLY, TEST_FAIL_COMMIT);

  private ConvgradConf() {}

  /** {@code 123}, {@code 64k}, {@code 64m}, {@code 1g} (or {@code 64kb}, {@code 64mb}, {@code 1gb}, as Spark writes sizes). */
  static long parseBytesOrLong(String s) {
    String v = s.trim().toLowerCase();
    if (v.endsWith("kb") || v.endsWith("mb") || v.endsWith("gb")) {
      v = v.substring(0, v.length() - 1);
    }
    long mult = 1;
    if (v.endsWith("k") || v.endsWith("m") || v.endsWith("g")) {
      mult = v.endsWith("k") ? 1L << 10 : v.endsWith("m") ? 1L << 20 : 1L << 30;
      v = v.substring(0, v.length() - 1);
    }
    return Math.multiplyExact(Long.parseLong(v), mult);
  }
}
