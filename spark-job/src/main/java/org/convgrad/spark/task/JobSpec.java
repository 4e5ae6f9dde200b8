package org.convgrad.spark.task;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.io.SampleDataset;

/**
 * Everything a task needs besides its shard, broadcast once per job as bytes (Java
 * serialization, decoded once per executor JVM): the op (the same typed description the driver
 * validated), the dataset's description,
 * the filter, the engine settings (the session's {@code spark.convgrad.*} included), where attempts write, and the test-only fault settings.
 */
public final class JobSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  public final String jobId;
  public final BackpropInputOp op;
  public final SampleDataset dataset;
  public final DType filterType;
  public final long[] filterShape;
  /** float[], double[] or short[] (half, bfloat16 bits). */
  private final Object filterData;
  public final String engine;
  /** Engine threads per task; 0: the executor's cores / the tasks it runs at once. */
  public final int threads;
  public final long batchMaxBytes;
  /** How long an executor keeps this job's engine after its last task ({@link ExecutorEngines}). */
  public final long engineIdleMillis;
  public final String attemptDir;
  public final boolean testFailFirstAttempt;
  public final String testKillExecutorMarker;
  public final long testSlowFirstAttemptMillis;
  public final long testFailShard;
  public final boolean testOutOfMemory;
  private final byte[] hadoopConf;
  private transient org.apache.hadoop.conf.@org.jspecify.annotations.Nullable Configuration conf;

  public JobSpec(org.apache.hadoop.conf.Configuration hadoopConf, String jobId, BackpropInputOp op, SampleDataset dataset, Tensor filter, String engine, int threads,
      long batchMaxBytes, long engineIdleMillis, String attemptDir, boolean testFailFirstAttempt, String testKillExecutorMarker,
      long testSlowFirstAttemptMillis, long testFailShard, boolean testOutOfMemory) {
    this.jobId = jobId;
    this.op = op;
    this.dataset = dataset;
    this.filterType = filter.dtype();
    this.filterShape = filter.shape().toArray();
    Tensor own = filter.ownArray(); // a view's elements alone travel
    this.filterData = own.dtype() == DType.FLOAT32 ? own.float32Data()
        : own.dtype() == DType.FLOAT64 ? own.float64Data() : own.bits16Data();
    this.engine = engine;
    this.threads = threads;
    this.batchMaxBytes = batchMaxBytes;
    this.engineIdleMillis = engineIdleMillis;
    this.attemptDir = attemptDir;
    this.testFailFirstAttempt = testFailFirstAttempt;
    this.testKillExecutorMarker = testKillExecutorMarker;
    this.testSlowFirstAttemptMillis = testSlowFirstAttemptMillis;
    this.testFailShard = testFailShard;
    this.testOutOfMemory = testOutOfMemory;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
      hadoopConf.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.hadoopConf = bytes.toByteArray();
  }

  /** The driver's Hadoop configuration (spark.hadoop.* included), as tasks open files with it. */
  public synchronized org.apache.hadoop.conf.Configuration hadoopConf() {
    if (conf == null) {
      org.apache.hadoop.conf.Configuration c = new org.apache.hadoop.conf.Configuration(false);
      try (java.io.DataInputStream in = new java.io.DataInputStream(new ByteArrayInputStream(hadoopConf))) {
        c.readFields(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      conf = c;
    }
    return conf;
  }

  public Tensor filter() {
    Shape shape = Shape.of(filterShape);
    switch (filterType) {
      case FLOAT32:
        return Tensor.ofFloat32(shape, (float[]) filterData);
      case FLOAT64:
        return Tensor.ofFloat64(shape, (double[]) filterData);
      default:
        return Tensor.ofBits16(filterType, shape, (short[]) filterData);
    }
  }

  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static JobSpec fromBytes(byte[] bytes) {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      return (JobSpec) in.readObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("executor lacks convgrad's classes: " + e.getMessage(), e);
    }
  }
}
