package org.convgrad.spark.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.job.OpArgs;
import org.convgrad.spark.testing.SparkTest;
import org.convgrad.spark.testing.TestData;
import org.junit.jupiter.api.Test;

@SparkTest
class ConvgradFramesTest {
  @Test
  void addsTheInputGradientColumnBitForBit(SparkSession spark) {
    int n = 7;
    Tensor dy = TestData.random(DType.FLOAT32, 5, n, 6, 6, 3);
    Tensor w = TestData.random(DType.FLOAT32, 6, 3, 3, 2, 3);
    int per = 6 * 6 * 3;
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Float[] v = new Float[per];
      for (int j = 0; j < per; j++) {
        v[j] = dy.float32Data()[i * per + j];
      }
      rows.add(RowFactory.create((long) i, java.util.Arrays.asList(v)));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("dy", DataTypes.createArrayType(DataTypes.FloatType, false));
    Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(10); // more partitions than rows
    Dataset<Row> out = ConvgradFrames.backpropInput(df, "dy", "dx", w, new long[] {6, 6, 3},
        new OpArgs(new long[] {11, 11}, new long[] {2}, "SAME", new long[0], new long[] {1}, "NHWC"));
    List<Row> got = out.orderBy("id").collectAsList();
    Tensor expected;
    try (Engine e = Engine.create(b -> b.threads(1))) {
      expected = e.backpropInput(new long[] {11, 11}, w, dy, ConvParams.of(p -> p.strides(2).padding(Padding.SAME)));
    }
    int outPer = 11 * 11 * 2;
    assertEquals(n, got.size());
    for (int i = 0; i < n; i++) {
      List<Float> dx = got.get(i).getList(2);
      float[] a = new float[outPer];
      for (int j = 0; j < outPer; j++) {
        a[j] = dx.get(j);
      }
      float[] e = java.util.Arrays.copyOfRange(expected.float32Data(), i * outPer, (i + 1) * outPer);
      assertArrayEquals(e, a, "row " + i);
    }
  }
}
