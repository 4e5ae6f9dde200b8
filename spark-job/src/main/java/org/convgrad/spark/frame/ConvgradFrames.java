package org.convgrad.spark.frame;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.io.SampleDataset;
import org.convgrad.spark.job.OpArgs;
import org.convgrad.spark.task.ExecutorEngines;
import org.convgrad.spark.task.JobSpec;

/**
 * The DataFrame API: {@code conv2d_backprop_input} on a column of flattened samples.
 *
 * <pre>{@code
 * Dataset<Row> withDx = ConvgradFrames.backpropInput(df, "dy", "dx", filter,
 *     new long[] {6, 6, 3},                                   // one sample's out_backprop shape
 *     new OpArgs(new long[] {11, 11}, new long[] {2}, "SAME", new long[0], new long[] {1}, "NHWC"));
 * }</pre>
 *
 * The input column is {@code array<float>} (float32) or {@code array<double>} (float64), one
 * sample per row in C order; the result adds {@code outputColumn} of the same type holding the
 * sample's input gradient, flattened. Each partition is computed in batches of whole rows
 * (bounded in memory) by the executor's shared engine, built once per executor JVM; the filter is
 * broadcast once. The op is validated on the driver first (TensorFlow's message). A row whose
 * array has the wrong length fails its task with a message naming the expected shape.
 *
 * <p>Limitation: values cross the Row boundary element by element (Spark's public Row API boxes
 * array elements); the batch itself is one tensor.
 */
public final class ConvgradFrames {
  private ConvgradFrames() {}

  /** Rows per engine batch: as many as fit in 64 MiB of in + out data, at least 1. */
  static int batchRows(long sampleElements, long gradElements, int byteSize) {
    return (int) Math.max(1, Math.min(4096, (64L << 20) / Math.max(1, (sampleElements + gradElements) * byteSize)));
  }

  public static Dataset<Row> backpropInput(Dataset<Row> df, String inputColumn, String outputColumn, Tensor filter,
      long[] sampleShape, OpArgs op) {
    StructType schema = df.schema();
    int idx = schema.fieldIndex(inputColumn);
    DataType el = ((ArrayType) schema.fields()[idx].dataType()).elementType();
    DType dtype;
    if (el.equals(DataTypes.FloatType)) {
      dtype = DType.FLOAT32;
    } else if (el.equals(DataTypes.DoubleType)) {
      dtype = DType.FLOAT64;
    } else {
      throw new InvalidArgumentException("column " + inputColumn + " is array<" + el.simpleString()
          + ">; expected array<float> or array<double>");
    }
    Conv2dBackpropInput one = op.op(1, sampleShape, filter.shape(), filter.dtype(), dtype);
    long sampleElements = Shape.of(sampleShape).elementCount();
    long gradElements = one.inputShape().elementCount();
    int batch = batchRows(sampleElements, gradElements, dtype.byteSize());

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(df.sparkSession().sparkContext());
    SampleDataset described = new SampleDataset("dataframe column " + inputColumn, SampleDataset.Format.ARROW,
        List.of(), sampleShape, dtype);
    JobSpec spec = new JobSpec(new Configuration(false), "frame", op, described, filter, "auto", 0, 64L << 20, "",
        false, "", 0, -1);
    Broadcast<byte[]> b = jsc.broadcast(spec.toBytes());
    LongAccumulator built = jsc.sc().longAccumulator("convgrad engines built");
    LongAccumulator samples = jsc.sc().longAccumulator("convgrad samples");
    StructType out = schema.add(new StructField(outputColumn, DataTypes.createArrayType(el, false), true,
        org.apache.spark.sql.types.Metadata.empty()));
    int per = (int) sampleElements;
    MapPartitionsFunction<Row, Row> f = rows -> new Iterator<Row>() {
      private Iterator<Row> current = Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        if (current.hasNext()) {
          return true;
        }
        if (!rows.hasNext()) {
          return false;
        }
        current = compute(rows, b, built, samples, idx, batch, per, sampleShape, dtype);
        return current.hasNext();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return current.next();
      }
    };
    return df.mapPartitions(f, Encoders.row(out));
  }

  private static Iterator<Row> compute(Iterator<Row> rows, Broadcast<byte[]> b, LongAccumulator built,
      LongAccumulator samples, int idx, int batch, int sampleElements, long[] sampleShape, DType dtype) {
    ExecutorEngines.Holder h = ExecutorEngines.acquire(b, built);
    List<Row> in = new ArrayList<>(batch);
    while (in.size() < batch && rows.hasNext()) {
      in.add(rows.next());
    }
    int n = in.size();
    Tensor dy = Tensor.zeros(dtype, OpArgs.batchShape(n, sampleShape));
    for (int r = 0; r < n; r++) {
      List<Object> values = in.get(r).getList(idx);
      if (values == null || values.size() != sampleElements) {
        throw new InvalidArgumentException("a row has " + (values == null ? "no" : values.size())
            + " values in column " + idx + "; a sample of shape " + java.util.Arrays.toString(sampleShape) + " needs "
            + sampleElements);
      }
      int base = r * sampleElements;
      if (dtype == DType.FLOAT32) {
        float[] d = dy.float32Data();
        for (int i = 0; i < sampleElements; i++) {
          d[base + i] = (Float) values.get(i);
        }
      } else {
        double[] d = dy.float64Data();
        for (int i = 0; i < sampleElements; i++) {
          d[base + i] = (Double) values.get(i);
        }
      }
    }
    Tensor dx = h.backpropInput(h.op(n), dy);
    samples.add(n);
    int per = dx.size() / n;
    List<Row> result = new ArrayList<>(n);
    for (int r = 0; r < n; r++) {
      Row row = in.get(r);
      Object[] values = new Object[row.length() + 1];
      for (int i = 0; i < row.length(); i++) {
        values[i] = row.get(i);
      }
      if (dtype == DType.FLOAT32) {
        float[] v = new float[per];
        System.arraycopy(dx.float32Data(), r * per, v, 0, per);
        values[row.length()] = v;
      } else {
        double[] v = new double[per];
        System.arraycopy(dx.float64Data(), r * per, v, 0, per);
        values[row.length()] = v;
      }
      result.add(RowFactory.create(values));
    }
    return result.iterator();
  }
}
