package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.convgrad.engine.Padding;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.testing.SparkTest;
import org.convgrad.spark.testing.TestData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Everything wrong is refused on the driver, in seconds, before any Spark job or task runs. */
@SparkTest
class JobValidationTest {
  @TempDir Path dir;
  private final AtomicInteger jobs = new AtomicInteger();
  private final SparkListener listener =
      new SparkListener() {
        @Override
        public void onJobStart(SparkListenerJobStart jobStart) {
          jobs.incrementAndGet();
        }
      };

  @BeforeEach
  void listen(SparkSession spark) {
    spark.sparkContext().addSparkListener(listener);
  }

  @AfterEach
  void unlisten(SparkSession spark) {
    spark.sparkContext().removeSparkListener(listener);
  }

  private ConvgradJob.Builder options(String dy, String filter) {
    return ConvgradJob.builder()
        .outBackprop(dy)
        .filter(filter)
        .op(o -> o.inputSizes(6, 6).padding(Padding.SAME))
        .output(dir.resolve("out").toString());
  }

  private Path dy(long n, long c) throws Exception {
    return TestData.npy(dir.resolve("dy.npy"), TestData.random(DType.FLOAT32, 1, n, 6, 6, c));
  }

  private Path filter(long in, long out) throws Exception {
    return TestData.npy(dir.resolve("w.npy"), TestData.random(DType.FLOAT32, 2, 3, 3, in, out));
  }

  private void assertNothingRan() {
    assertEquals(0, jobs.get(), "a Spark job started");
    assertFalse(Files.exists(dir.resolve("out")), "output directory left behind");
  }

  @Test
  void inconsistentFilterFailsWithTheOpsMessage(SparkSession spark) throws Exception {
    ConvgradJob.Builder o = options(dy(4, 5).toString(), filter(2, 3).toString());
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> o.build().run(spark));
    assertTrue(e.getMessage().contains("filter and out_backprop must have the same out_depth"), e.getMessage());
    assertNothingRan();
  }

  @Test
  void inputSizesOfAnotherBatchFailWithTheOpsMessage(SparkSession spark) throws Exception {
    ConvgradJob.Builder o = options(dy(4, 3).toString(), filter(2, 3).toString());
    o.op(b -> b.inputSizes(5, 6, 6, 2).padding(Padding.SAME));
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> o.build().run(spark));
    assertTrue(e.getMessage().contains("must have the same batch size"), e.getMessage());
    assertNothingRan();
  }

  @Test
  void wrongOutputSizeFailsWithTheOpsMessage(SparkSession spark) throws Exception {
    ConvgradJob.Builder o = options(dy(4, 3).toString(), filter(2, 3).toString());
    o.op(b -> b.inputSizes(6, 6).strides(2).padding(Padding.SAME));
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> o.build().run(spark));
    assertNothingRan();
  }

  @Test
  void missingDatasetAndFilterAreNamed(SparkSession spark) throws Exception {
    ConvgradJob.Builder o = options(dir.resolve("nope").toString(), filter(2, 3).toString());
    DatasetException e = assertThrows(DatasetException.class, () -> o.build().run(spark));
    assertTrue(e.getMessage().contains("does not exist") && e.getMessage().contains("nope"), e.getMessage());
    ConvgradJob.Builder o2 = options(dy(4, 3).toString(), dir.resolve("w-missing.npy").toString());
    DatasetException e2 = assertThrows(DatasetException.class, () -> o2.build().run(spark));
    assertTrue(e2.getMessage().contains("filter") && e2.getMessage().contains("does not exist"), e2.getMessage());
    assertNothingRan();
  }

  @Test
  void emptyDatasetIsRefused(SparkSession spark) throws Exception {
    Files.createDirectories(dir.resolve("empty"));
    ConvgradJob.Builder o = options(dir.resolve("empty").toString(), filter(2, 3).toString());
    DatasetException e = assertThrows(DatasetException.class, () -> o.build().run(spark));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
    ConvgradJob.Builder o2 = options(TestData.npy(dir.resolve("none.npy"),
        TestData.random(DType.FLOAT32, 1, 0, 6, 6, 3)).toString(), filter(2, 3).toString());
    DatasetException e2 = assertThrows(DatasetException.class, () -> o2.build().run(spark));
    assertTrue(e2.getMessage().contains("no samples"), e2.getMessage());
    assertNothingRan();
  }

  @Test
  void gpuEngineWithoutAGpuFailsOnTheDriverWithTheProbesReason(SparkSession spark) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(org.convgrad.engine.kernel.gpu.GpuSupport.probe(0).usable(),
        "this machine has a usable GPU");
    ConvgradJob job = options(dy(4, 3).toString(), filter(2, 3).toString()).engine(EngineChoice.GPU).build();
    org.convgrad.engine.EngineUnavailableException e =
        assertThrows(org.convgrad.engine.EngineUnavailableException.class, () -> job.run(spark));
    assertTrue(e.getMessage().startsWith("--engine gpu: no usable GPU on this machine: ")
        && e.getMessage().contains(org.convgrad.engine.kernel.gpu.GpuSupport.probe(0).reason()), e.getMessage());
    assertNothingRan();
  }

  @Test
  void commandLineExitsWithStatus2AndOneLine() throws Exception {
    String[] args = {"--out-backprop", dy(4, 5).toString(), "--filter", filter(2, 3).toString(), "--input-sizes", "6,6",
        "--padding", "SAME", "--output", dir.resolve("out").toString()};
    assertEquals(2, ConvgradSparkJob.run(args));
    assertEquals(2, ConvgradSparkJob.run(new String[] {"--padding", "SAME"}));
    assertNothingRan();
  }
}
