package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.spark.task.TaskCommit;
import org.convgrad.spark.testing.JobFixture;
import org.convgrad.spark.testing.SparkClusterTest;
import org.convgrad.spark.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fake GPUs from conf/gpu-discovery.sh: tasks see their gpu, the job runs on the CPU and says so. */
@SparkClusterTest(conf = {
    "spark.worker.resource.gpu.amount=1",
    "spark.worker.resource.gpu.discoveryScript=" + SparkExtension.FAKE_GPU_SCRIPT,
    "spark.executor.resource.gpu.amount=1",
    "spark.executor.resource.gpu.discoveryScript=" + SparkExtension.FAKE_GPU_SCRIPT,
    "spark.task.resource.gpu.amount=1"})
class GpuClusterJobTest {
  @TempDir Path dir;

  @Test
  void tasksSeeTheirGpu(JavaSparkContext jsc) {
    List<String> gpus = jsc.parallelize(List.of(1, 2, 3, 4), 4)
        .map(i -> String.join(",", org.apache.spark.TaskContext.get().resourcesJMap().get("gpu").addresses()))
        .collect();
    assertEquals(List.of("0", "0", "0", "0"), gpus);
  }

  @Test
  void autoFallsBackToTheCpuAndSaysSo(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    ConvgradJob.Builder o = f.job("out");
    o.samplesPerTask(4);
    JobResult r = o.build().run(spark);
    f.assertAssembledNpy("out");
    assertEquals(r.parts().size(), r.gpuFallbackTasks());
    for (TaskCommit c : r.parts()) {
      assertEquals("0", c.gpuFallback);
    }
    assertTrue(r.summary().contains("assigned a GPU but ran on the CPU: "
        + org.convgrad.engine.kernel.gpu.GpuSupport.probe(0).reason()), r.summary());
    for (TaskCommit c : r.parts()) {
      assertEquals("cpu", c.device);
    }
    assertTrue(r.manifest().engine.contains("CPU fallback"), r.manifest().engine);
  }

  @Test
  void gpuEngineOnGpusItCannotUseIsTheTasksOneLineAndLeavesNoOutput(SparkSession spark) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(org.convgrad.engine.kernel.gpu.GpuSupport.probe(0).usable(),
        "this machine has a usable GPU");
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    ConvgradJob job = f.job("out").engine(EngineChoice.GPU).build();
    TaskRejectionException e = assertThrows(TaskRejectionException.class, () -> job.run(spark));
    assertTrue(e.line().startsWith("Error: engine gpu: no usable GPU: "), e.line());
    assertTrue(!java.nio.file.Files.exists(dir.resolve("out")), "the failed job's output is removed");
  }
}
