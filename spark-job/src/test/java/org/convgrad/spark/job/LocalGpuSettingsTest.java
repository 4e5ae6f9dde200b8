package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.EngineUnavailableException;
import org.convgrad.engine.Padding;
import org.convgrad.spark.frame.ConvgradFrames;
import org.convgrad.spark.testing.JobFixture;
import org.convgrad.spark.testing.SparkExtension;
import org.convgrad.spark.testing.SparkTest;
import org.convgrad.spark.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local master whose tasks ask for GPUs (a GPU cluster's settings in a notebook on a laptop):
 * Spark would never schedule them, so the job and the DataFrame call are refused at once, saying
 * which setting to remove, instead of waiting for ever.
 */
@SparkTest(conf = {
    "spark.executor.resource.gpu.amount=1",
    "spark.executor.resource.gpu.discoveryScript=" + SparkExtension.FAKE_GPU_SCRIPT,
    "spark.task.resource.gpu.amount=1"})
class LocalGpuSettingsTest {
  @TempDir Path dir;

  @Test
  void theJobAndTheDataFrameCallAreRefusedInSeconds(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    EngineUnavailableException job = assertThrows(EngineUnavailableException.class, () -> f.job("out").build().run(spark));
    assertTrue(job.getMessage().startsWith("spark.task.resource.gpu.amount is 1, but a local master (")
        && job.getMessage().contains(") gives tasks no GPUs"), job.getMessage());
    assertTrue(!Files.exists(dir.resolve("out")));

    StructType schema = new StructType().add("dy", DataTypes.createArrayType(DataTypes.FloatType, false));
    List<Row> rows = List.of(RowFactory.create((Object) new float[6 * 6 * 3]));
    EngineUnavailableException frame = assertThrows(EngineUnavailableException.class, () -> ConvgradFrames.backpropInput(
        spark.createDataFrame(rows, schema), "dy", "dx", TestData.random(DType.FLOAT32, 1, 3, 3, 2, 3),
        BackpropInputOp.of(o -> o.inputSizes(11, 11).strides(2).padding(Padding.SAME))));
    assertTrue(frame.getMessage().equals(job.getMessage()), frame.getMessage());
  }

  @Test
  void whySparkItselfNeverSchedulesThem(SparkSession spark) throws Exception {
    // The refusal's premise: should a Spark release schedule them, this fails and the refusal must go.
    java.util.concurrent.ExecutorService caller = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      java.util.concurrent.Future<Long> count = caller.submit(() -> spark.range(0, 4, 1, 2).javaRDD().count());
      assertThrows(java.util.concurrent.TimeoutException.class, () -> count.get(10, java.util.concurrent.TimeUnit.SECONDS),
          "a plain count's tasks never get a GPU on a local master");
    } finally {
      spark.sparkContext().cancelAllJobs();
      caller.shutdownNow();
    }
  }
}
