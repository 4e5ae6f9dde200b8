package org.convgrad.spark.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.Engine;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.job.ConvgradConf;
import org.convgrad.spark.task.ExecutorEngines;
import org.convgrad.spark.testing.JobFixture;
import org.convgrad.spark.testing.SparkExtension;
import org.convgrad.spark.testing.SparkTest;
import org.convgrad.spark.testing.TestData;
import org.junit.jupiter.api.Test;

@SparkTest
class ConvgradFramesTest {
  private static final int OUT_PER = 11 * 11 * 2;
  private static final BackpropInputOp OP = BackpropInputOp.of(o -> o.inputSizes(11, 11).strides(2).padding(Padding.SAME));

  /** Rows (id, dy) of samples [first, first + count) of {@code dy}, boxed here only (test data). */
  private static List<Row> rows(Tensor dy, int first, int count) {
    List<Row> rows = new ArrayList<>();
    int per = (int) (dy.size() / dy.shape().get(0));
    for (int i = first; i < first + count; i++) {
      Object[] v = new Object[per];
      for (int j = 0; j < per; j++) {
        v[j] = dy.dtype() == DType.FLOAT32 ? (Object) dy.float32Data()[i * per + j] : (Object) dy.float64Data()[i * per + j];
      }
      rows.add(RowFactory.create((long) i, v)); // an array: createDataFrame(JavaRDD) takes no java.util.List
    }
    return rows;
  }

  private static StructType schema(DType dtype) {
    DataType el = dtype == DType.FLOAT32 ? DataTypes.FloatType : DataTypes.DoubleType;
    return new StructType().add("id", DataTypes.LongType).add("dy", DataTypes.createArrayType(el, false));
  }

  private static Tensor expected(Tensor w, Tensor dy) {
    try (Engine e = Engine.create(b -> b.threads(1))) {
      return e.backpropInput(new long[] {11, 11}, w, dy, ConvParams.of(p -> p.strides(2).padding(Padding.SAME)));
    }
  }

  /** Every output row, ordered by id, equals the single-process engine's result bit for bit. */
  private static void assertBitIdentical(Dataset<Row> out, Tensor expected, int n) {
    List<Row> got = out.orderBy("id").collectAsList();
    assertEquals(n, got.size());
    for (int i = 0; i < n; i++) {
      assertEquals((long) i, got.get(i).getLong(0));
      List<Object> dx = got.get(i).getList(2);
      assertEquals(OUT_PER, dx.size());
      if (expected.dtype() == DType.FLOAT32) {
        float[] a = new float[OUT_PER];
        for (int j = 0; j < OUT_PER; j++) {
          a[j] = (Float) dx.get(j);
        }
        assertArrayEquals(Arrays.copyOfRange(expected.float32Data(), i * OUT_PER, (i + 1) * OUT_PER), a, "row " + i);
      } else {
        double[] a = new double[OUT_PER];
        for (int j = 0; j < OUT_PER; j++) {
          a[j] = (Double) dx.get(j);
        }
        assertArrayEquals(Arrays.copyOfRange(expected.float64Data(), i * OUT_PER, (i + 1) * OUT_PER), a, "row " + i);
      }
    }
  }

  @Test
  void addsTheInputGradientColumnBitForBit(SparkSession spark) {
    int n = 7;
    Tensor dy = TestData.random(DType.FLOAT32, 5, n, 6, 6, 3);
    Tensor w = TestData.random(DType.FLOAT32, 6, 3, 3, 2, 3);
    Dataset<Row> df = spark.createDataFrame(rows(dy, 0, n), schema(DType.FLOAT32)).repartition(10); // more partitions than rows
    Dataset<Row> out = ConvgradFrames.backpropInput(df, "dy", "dx", w, OP);
    assertEquals(schema(DType.FLOAT32).add("dx", DataTypes.createArrayType(DataTypes.FloatType, false)), out.schema());
    assertBitIdentical(out, expected(w, dy), n);
  }

  @Test
  void float64ColumnsGiveFloat64GradientsBitForBit(SparkSession spark) {
    int n = 5;
    Tensor dy = TestData.random(DType.FLOAT64, 7, n, 6, 6, 3);
    Tensor w = TestData.random(DType.FLOAT64, 8, 3, 3, 2, 3);
    Dataset<Row> df = spark.createDataFrame(rows(dy, 0, n), schema(DType.FLOAT64)).repartition(2);
    Dataset<Row> out = ConvgradFrames.backpropInput(df, "dy", "dx", w, OP);
    assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, false), out.schema().apply("dx").dataType());
    assertBitIdentical(out, expected(w, dy), n);
  }

  @Test
  void unevenPartitionsAndShortLastBatches(SparkSession spark, JavaSparkContext jsc) {
    int n = 12;
    Tensor dy = TestData.random(DType.FLOAT32, 9, n, 6, 6, 3);
    Tensor w = TestData.random(DType.FLOAT32, 10, 3, 3, 2, 3);
    StructType schema = schema(DType.FLOAT32);
    // partitions of 1, 4, 5, 0 and 2 rows
    Dataset<Row> df = spark.createDataFrame(jsc.parallelize(rows(dy, 0, 1), 1), schema)
        .union(spark.createDataFrame(jsc.parallelize(rows(dy, 1, 9), 2), schema))
        .union(spark.createDataFrame(jsc.parallelize(new ArrayList<Row>(), 1), schema))
        .union(spark.createDataFrame(jsc.parallelize(rows(dy, 10, 2), 1), schema));
    List<Integer> sizes = df.javaRDD().mapPartitions(it -> {
      int c = 0;
      for (; it.hasNext(); it.next()) {
        c++;
      }
      return List.of(c).iterator();
    }).collect();
    assertEquals(List.of(1, 4, 5, 0, 2), sizes);
    Dataset<Row> out = ConvgradFrames.backpropInput(df, "dy", "dx", w, OP, 2); // batches of <= 2 rows
    assertEquals(5, out.javaRDD().getNumPartitions(), "partitions are kept");
    assertBitIdentical(out, expected(w, dy), n);
  }

  @Test
  void aRowsResultDoesNotDependOnTheRowsBatchedWithIt(SparkSession spark) {
    // 3x3 at stride 1 with 16 channels: Winograd, unless a value passes its limit (about 2e35 here),
    // which only the last row's does.
    int n = 6;
    Tensor dy = TestData.random(DType.FLOAT32, 31, n, 8, 8, 16);
    dy.float32Data()[5 * 8 * 8 * 16 + 7] = 1e37f;
    Tensor w = TestData.random(DType.FLOAT32, 32, 3, 3, 16, 16);
    BackpropInputOp op = BackpropInputOp.of(b -> b.inputSizes(8, 8).padding(Padding.SAME));
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("dy", DataTypes.createArrayType(DataTypes.FloatType, false));
    Tensor bySample = Tensor.zeros(DType.FLOAT32, org.convgrad.engine.tensor.Shape.of(n, 8, 8, 16));
    try (Engine e = Engine.create(b -> b.threads(1))) {
      int per = 8 * 8 * 16;
      for (int i = 0; i < n; i++) {
        float[] one = e.backpropInput(new long[] {8, 8}, w, JobFixture.rows(dy, i, 1),
            ConvParams.of(p -> p.padding(Padding.SAME))).float32Data();
        System.arraycopy(one, 0, bySample.float32Data(), i * per, per);
      }
    }
    for (int batch : new int[] {1, 2, 6}) {
      Dataset<Row> df = spark.createDataFrame(rows(dy, 0, n), schema).coalesce(1);
      List<Row> got = ConvgradFrames.backpropInput(df, "dy", "dx", w, op, batch).orderBy("id").collectAsList();
      for (int i = 0; i < n; i++) {
        List<Object> dx = got.get(i).getList(2);
        float[] a = new float[dx.size()];
        for (int j = 0; j < a.length; j++) {
          a[j] = (Float) dx.get(j);
        }
        assertArrayEquals(Arrays.copyOfRange(bySample.float32Data(), i * a.length, (i + 1) * a.length), a,
            "row " + i + ", batches of " + batch);
      }
    }
  }

  @Test
  void chainedCallsKeepOneEngineEachAcrossPartitions(SparkSession spark) {
    int n = 8;
    Tensor dy = TestData.random(DType.FLOAT32, 41, n, 6, 6, 3);
    Tensor w1 = TestData.random(DType.FLOAT32, 42, 3, 3, 2, 3);
    Tensor w2 = TestData.random(DType.FLOAT32, 43, 3, 3, 2, 3);
    Dataset<Row> df = spark.createDataFrame(rows(dy, 0, n), schema(DType.FLOAT32)).repartition(8);
    int builds = ExecutorEngines.builds();
    Dataset<Row> out = ConvgradFrames.backpropInput(ConvgradFrames.backpropInput(df, "dy", "dx1", w1, OP),
        "dy", "dx2", w2, OP); // each partition's task runs both calls' engines, in turns
    assertBitIdentical(out.drop("dx2"), expected(w1, dy), n);
    assertBitIdentical(out.drop("dx1"), expected(w2, dy), n);
    assertEquals(2, ExecutorEngines.builds() - builds, "one engine per call in this JVM, over 8 partitions and 2 actions");
  }

  /**
   * Each SparkContext numbers its broadcasts from 0, so the same steps in a new context (a
   * notebook's new session) give a call's filter the id it had in the old one: the old context's
   * engine, still kept for its idle timeout, must not compute with its filter.
   */
  @Test
  void aNewSparkContextInTheJvmNeverUsesAnEngineOfTheOldOne(SparkSession shared) {
    int n = 3;
    Tensor dy = TestData.random(DType.FLOAT32, 51, n, 6, 6, 3);
    shared.stop();
    for (long seed : new long[] {52, 53}) {
      Tensor w = TestData.random(DType.FLOAT32, seed, 3, 3, 2, 3);
      SparkSession spark = SparkSession.builder().config(SparkExtension.baseConf(SparkExtension.LOCAL_MASTER))
          .getOrCreate();
      try {
        Dataset<Row> df = spark.createDataFrame(rows(dy, 0, n), schema(DType.FLOAT32)).coalesce(1);
        assertBitIdentical(ConvgradFrames.backpropInput(df, "dy", "dx", w, OP), expected(w, dy), n);
      } finally {
        spark.stop();
      }
    }
  }

  @Test
  void aTaskOutOfMemoryFailsTheCallAndLeavesTheJvmRunning(SparkSession spark) {
    Tensor dy = TestData.random(DType.FLOAT32, 61, 2, 6, 6, 3);
    Tensor w = TestData.random(DType.FLOAT32, 62, 3, 3, 2, 3);
    Dataset<Row> df = spark.createDataFrame(rows(dy, 0, 2), schema(DType.FLOAT32));
    spark.conf().set(ConvgradConf.TEST_OUT_OF_MEMORY.key(), "true");
    Dataset<Row> out = ConvgradFrames.backpropInput(df, "dy", "dx", w, OP);
    Exception e = assertThrows(Exception.class, out::collectAsList);
    assertTrue(String.valueOf(e.getMessage()).contains("Error: out of memory in a task (Java heap space (injected"),
        e.getMessage());
    spark.conf().set(ConvgradConf.TEST_OUT_OF_MEMORY.key(), "false");
    assertBitIdentical(ConvgradFrames.backpropInput(df, "dy", "dx", w, OP), expected(w, dy), 2);
  }

  @Test
  void anOutputColumnThatExistsIsRefused(SparkSession spark) {
    Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create(0L, new Object[0])), schema(DType.FLOAT32));
    Tensor w = TestData.random(DType.FLOAT32, 6, 3, 3, 2, 3);
    for (String taken : new String[] {"dy", "id", "ID"}) {
      InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
          () -> ConvgradFrames.backpropInput(df, "dy", taken, w, OP));
      assertTrue(e.getMessage().startsWith("outputColumn " + taken + " is already a column"), e.getMessage());
    }
  }

  @Test
  void aRowOfTheWrongLengthFailsWithTheExpectedShape(SparkSession spark) {
    List<Row> bad = List.of(RowFactory.create(0L, new Object[] {1f, 2f, 3f}));
    Dataset<Row> df = spark.createDataFrame(bad, schema(DType.FLOAT32));
    Tensor w = TestData.random(DType.FLOAT32, 6, 3, 3, 2, 3);
    Exception e = assertThrows(Exception.class,
        () -> ConvgradFrames.backpropInput(df, "dy", "dx", w, OP).collectAsList());
    String all = String.valueOf(e.getMessage()) + e.getCause();
    assertTrue(all.contains("3 values in column dy") && all.contains("[6, 6, 3] needs 108"), all);
  }
}
