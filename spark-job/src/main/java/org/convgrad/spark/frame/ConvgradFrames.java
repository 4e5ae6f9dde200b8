package org.convgrad.spark.frame;

import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.util.LongAccumulator;
import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.band.BandedRun;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.io.SampleDataset;
import org.convgrad.spark.job.ConvgradConf;
import org.convgrad.spark.job.EngineChoice;
import org.convgrad.spark.task.ExecutorEngines;
import org.convgrad.spark.task.ExecutorResources;
import org.convgrad.spark.task.JobEngine;
import org.convgrad.spark.task.JobSpec;
import org.convgrad.spark.task.TaskOutOfMemoryException;

/**
 * The DataFrame API: {@code conv2d_backprop_input} on a column of flattened samples.
 *
 * <pre>{@code
 * BackpropInputOp op = BackpropInputOp.of(o -> o.inputSizes(11, 11).strides(2).padding(Padding.SAME));
 * Dataset<Row> withDx = ConvgradFrames.backpropInput(df, "dy", "dx", filter, op);
 * }</pre>
 *
 * The input column is {@code array<float>} (float32) or {@code array<double>} (float64), one
 * sample per row in C order, of the shape the op and the filter give out_backprop ({@link
 * BackpropInputOp#outBackpropSampleShape}); the result adds {@code outputColumn} of the same type
 * holding the sample's input gradient, flattened. The op is validated on the driver first
 * (TensorFlow's message); the filter is broadcast once. A row whose array has the wrong length, is null or holds
 * a null fails its task with a message naming the expected shape.
 *
 * <p>No value is boxed: each partition is read as Spark's internal rows ({@code
 * queryExecution().toRdd()}), a batch of whole rows (at most 64 MiB of in + out data) is copied in
 * bulk from the rows' arrays into one tensor, the executor's shared engine (built, with the filter
 * packed, once per executor JVM) computes it, and each output row is the input row joined with a
 * slice of the result copied in bulk into an {@code UnsafeArrayData}. The result DataFrame is
 * made from those rows directly ({@code SparkSession.internalCreateDataFrame}).
 */
public final class ConvgradFrames {
  private ConvgradFrames() {}

  /** Rows per engine batch: as many as fit in 64 MiB of in + out data, at least 1. */
  static int batchRows(long sampleElements, long gradElements, int byteSize) {
    return (int) Math.max(1, Math.min(4096, (64L << 20) / Math.max(1, (sampleElements + gradElements) * byteSize)));
  }

  /**
   * {@code df} with the input gradient of each row's sample in {@code inputColumn} added as {@code
   * outputColumn}.
   *
   * @throws InvalidArgumentException on the driver, for a column of another type or an op TensorFlow would reject
   */
  public static Dataset<Row> backpropInput(Dataset<Row> df, String inputColumn, String outputColumn, Tensor filter,
      BackpropInputOp op) {
    return backpropInput(df, inputColumn, outputColumn, filter, op, 0);
  }

  /** As above, with at most {@code maxBatchRows} rows per engine batch (0: by memory alone). */
  public static Dataset<Row> backpropInput(Dataset<Row> df, String inputColumn, String outputColumn, Tensor filter,
      BackpropInputOp op, int maxBatchRows) {
    long[] sampleShape = op.outBackpropSampleShape(filter.shape());
    StructType schema = df.schema();
    int idx = schema.fieldIndex(inputColumn);
    boolean caseSensitive = Boolean.parseBoolean(df.sparkSession().conf().get("spark.sql.caseSensitive", "false"));
    for (String name : schema.fieldNames()) {
      if (caseSensitive ? name.equals(outputColumn) : name.equalsIgnoreCase(outputColumn)) {
        // Spark would add a second column of that name, which no later select can name.
        throw new InvalidArgumentException("outputColumn " + outputColumn + " is already a column of the DataFrame ("
            + name + "); choose a new name");
      }
    }
    DataType type = schema.fields()[idx].dataType();
    if (!(type instanceof ArrayType)) {
      throw new InvalidArgumentException("column " + inputColumn + " is " + type.simpleString()
          + "; expected array<float> or array<double>");
    }
    ArrayType arrayType = (ArrayType) type;
    DataType el = arrayType.elementType();
    DType dtype;
    if (el.equals(DataTypes.FloatType)) {
      dtype = DType.FLOAT32;
    } else if (el.equals(DataTypes.DoubleType)) {
      dtype = DType.FLOAT64;
    } else {
      throw new InvalidArgumentException("column " + inputColumn + " is array<" + el.simpleString()
          + ">; expected array<float> or array<double>");
    }
    Conv2dBackpropInput one = op.bindBatch(1, sampleShape, filter.shape(), filter.dtype(), dtype);
    long sampleElements = Shape.of(sampleShape).elementCount();
    long gradElements = one.inputShape().elementCount();
    int batch = batchRows(sampleElements, gradElements, dtype.byteSize());
    if (maxBatchRows > 0) {
      batch = Math.min(batch, maxBatchRows);
    }

    org.apache.spark.sql.classic.SparkSession session = (org.apache.spark.sql.classic.SparkSession) df.sparkSession();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(session.sparkContext());
    EngineChoice.AUTO.checkAvailable(jsc.getConf()); // a local master whose tasks ask for GPUs never runs them
    SampleDataset described = new SampleDataset("dataframe column " + inputColumn, SampleDataset.Format.ARROW,
        List.of(), sampleShape, dtype);
    JobSpec spec = new JobSpec(new Configuration(false), "frame", op, described, filter, "auto", 0, 64L << 20,
        ConvgradConf.ENGINE_IDLE_TIMEOUT.getMillis(session), "",
        false, "", 0, -1, ConvgradConf.TEST_OUT_OF_MEMORY.getBoolean(session));
    Broadcast<byte[]> b = jsc.broadcast(spec.toBytes());
    LongAccumulator built = jsc.sc().longAccumulator("convgrad engines built");
    LongAccumulator samples = jsc.sc().longAccumulator("convgrad samples");
    StructType out = schema.add(new StructField(outputColumn, DataTypes.createArrayType(el, false), true,
        Metadata.empty()));

    RDD<InternalRow> rows = df.queryExecution().toRdd();
    PartitionFunction f = new PartitionFunction(b, built, samples, idx, arrayType.containsNull(), batch,
        (int) sampleElements, sampleShape, dtype, inputColumn);
    RDD<InternalRow> result = rows.toJavaRDD().mapPartitions(f, true).rdd();
    return session.internalCreateDataFrame(result, out, false);
  }

  /** One partition: batches of whole rows through the executor's engine. */
  private static final class PartitionFunction implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<byte[]> spec;
    private final LongAccumulator built;
    private final LongAccumulator samples;
    private final int idx;
    private final boolean containsNull;
    private final int batch;
    private final int sampleElements;
    private final long[] sampleShape;
    private final DType dtype;
    private final String column;

    PartitionFunction(Broadcast<byte[]> spec, LongAccumulator built, LongAccumulator samples, int idx,
        boolean containsNull, int batch, int sampleElements, long[] sampleShape, DType dtype, String column) {
      this.spec = spec;
      this.built = built;
      this.samples = samples;
      this.idx = idx;
      this.containsNull = containsNull;
      this.batch = batch;
      this.sampleElements = sampleElements;
      this.sampleShape = sampleShape;
      this.dtype = dtype;
      this.column = column;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
      if (!rows.hasNext()) {
        return Collections.emptyIterator();
      }
      JobEngine h;
      try {
        h = ExecutorEngines.acquire(spec, built,
            ExecutorResources.device(ExecutorResources.assignedGpu(org.apache.spark.TaskContext.get())));
      } catch (OutOfMemoryError e) {
        throw TaskOutOfMemoryException.of(e);
      }
      return new Iterator<InternalRow>() {
        private InternalRow[] in = new InternalRow[0];
        private Tensor dx;
        private int n;
        private int next;

        @Override
        public boolean hasNext() {
          if (next < n) {
            return true;
          }
          if (!rows.hasNext()) {
            in = new InternalRow[0];
            dx = null;
            return false;
          }
          try {
            TaskOutOfMemoryException.injectFor(h.spec);
            computeBatch(rows, h);
          } catch (OutOfMemoryError e) {
            throw TaskOutOfMemoryException.of(e);
          }
          return next < n;
        }

        @Override
        public InternalRow next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          int r = next++;
          int per = dx.size() / n;
          UnsafeArrayData values = dtype == DType.FLOAT32
              ? UnsafeArrayData.fromPrimitiveArray(dx.float32Data(), Math.toIntExact(Platform.FLOAT_ARRAY_OFFSET + (long) r * per * 4), per, 4)
              : UnsafeArrayData.fromPrimitiveArray(dx.float64Data(), Math.toIntExact(Platform.DOUBLE_ARRAY_OFFSET + (long) r * per * 8), per, 8);
          InternalRow row = in[r];
          in[r] = null;
          return new JoinedRow(row, new GenericInternalRow(new Object[] {values}));
        }

        private void computeBatch(Iterator<InternalRow> source, JobEngine holder) {
          // Rows of toRdd() may be reused by the iterator: keep copies (bytes, not values).
          InternalRow[] kept = new InternalRow[batch];
          int count = 0;
          while (count < batch && source.hasNext()) {
            kept[count++] = source.next().copy();
          }
          if (count < batch) {
            kept = Arrays.copyOf(kept, count);
          }
          Tensor dy = Tensor.zeros(dtype, BackpropInputOp.batchShape(count, sampleShape));
          float[] f32 = dtype == DType.FLOAT32 ? dy.float32Data() : null;
          double[] f64 = dtype == DType.FLOAT64 ? dy.float64Data() : null;
          for (int r = 0; r < count; r++) {
            copySample(kept[r], r, f32, f64);
          }
          dx = bySample(holder, dy, count);
          samples.add(count);
          in = kept;
          n = count;
          next = 0;
        }
      };
    }

    /**
     * The batch's result, each sample with the tiles its own values choose. The kernel chooses once
     * per call, by the largest magnitude in it ({@link JobEngine#outBackpropLimit}), so
     * a batch holding a value past that limit (which the call finds as it computes, and which is
     * rare) computes its samples again one by one: no row's result then depends on how the DataFrame
     * is partitioned or cut into batches.
     */
    private Tensor bySample(JobEngine h, Tensor dy, int count) {
      Engine.Scanned batch = h.backpropInputScanned(h.op(count), dy);
      double limit = h.outBackpropLimit();
      if (count == 1 || limit == Double.POSITIVE_INFINITY || BandedRun.within(batch.scan(), limit)) {
        return batch.result();
      }
      Tensor dx = Tensor.zeros(dtype, h.op(count).inputShape());
      int out = (int) (dx.size() / count);
      for (int r = 0; r < count; r++) {
        Tensor one = Tensor.zeros(dtype, BackpropInputOp.batchShape(1, sampleShape));
        System.arraycopy(data(dy), r * sampleElements, data(one), 0, sampleElements);
        System.arraycopy(data(h.backpropInput(h.op(1), one)), 0, data(dx), r * out, out);
      }
      return dx;
    }

    /** The float32 or float64 array of a tensor of this column's dtype. */
    private Object data(Tensor t) {
      return dtype == DType.FLOAT32 ? t.float32Data() : t.float64Data();
    }

    /** Copies row {@code r}'s sample into the batch, in bulk. */
    private void copySample(InternalRow row, int r, float[] f32, double[] f64) {
      ArrayData values = row.isNullAt(idx) ? null : row.getArray(idx);
      if (values == null || values.numElements() != sampleElements) {
        throw new InvalidArgumentException("a row has " + (values == null ? "no" : values.numElements())
            + " values in column " + column + "; a sample of shape " + Arrays.toString(sampleShape) + " needs "
            + sampleElements);
      }
      if (containsNull) {
        for (int i = 0; i < sampleElements; i++) {
          if (values.isNullAt(i)) {
            throw new InvalidArgumentException("a row holds a null at index " + i + " of column " + column
                + "; samples must not hold nulls");
          }
        }
      }
      long base = (long) r * sampleElements;
      if (values instanceof UnsafeArrayData) {
        UnsafeArrayData u = (UnsafeArrayData) values;
        long src = u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(sampleElements);
        if (f32 != null) {
          Platform.copyMemory(u.getBaseObject(), src, f32, Platform.FLOAT_ARRAY_OFFSET + base * 4, sampleElements * 4L);
        } else {
          Platform.copyMemory(u.getBaseObject(), src, f64, Platform.DOUBLE_ARRAY_OFFSET + base * 8, sampleElements * 8L);
        }
      } else if (f32 != null) {
        System.arraycopy(values.toFloatArray(), 0, f32, (int) base, sampleElements);
      } else {
        System.arraycopy(values.toDoubleArray(), 0, f64, (int) base, sampleElements);
      }
    }
  }
}
