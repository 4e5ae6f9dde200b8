package org.convgrad.spark.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.convgrad.engine.EngineKind;
import org.convgrad.spark.job.EngineChoice;
import org.junit.jupiter.api.Test;

class ExecutorResourcesTest {
  private static int cores(String master, String executorId, String... kv) {
    SparkConf conf = new SparkConf(false).set("spark.master", master);
    for (int i = 0; i < kv.length; i += 2) {
      conf.set(kv[i], kv[i + 1]);
    }
    return ExecutorResources.executorCores(conf, executorId);
  }

  @Test
  void executorCoresFollowWhatSparkSchedulesOn() {
    int machine = Runtime.getRuntime().availableProcessors();
    assertEquals(1, cores("local", "driver"));
    assertEquals(2, cores("local[2]", "driver"));
    assertEquals(3, cores("local[3,4]", "driver"));
    assertEquals(machine, cores("local[*]", "driver"));
    assertEquals(1, cores("local-cluster[2,1,1024]", "0"));
    assertEquals(3, cores("local-cluster[2, 3, 2048]", "1"));
    assertEquals(4, cores("spark://127.0.0.1:7077", "0", "spark.executor.cores", "4"));
    assertEquals(machine, cores("spark://127.0.0.1:7077", "0"));
    assertEquals(1, cores("yarn", "3"));
    assertEquals(5, cores("yarn", "3", "spark.executor.cores", "5"));
  }

  @Test
  void aTaskWithAGpuRunsAutoOrGpuOnItAndATaskWithoutOneTheCpuKernels() {
    assertEquals(EngineKind.SIMD, EngineChoice.CPU.kindFor(true));
    assertEquals(EngineKind.SIMD, EngineChoice.CPU.kindFor(false));
    assertEquals(EngineKind.AUTO, EngineChoice.AUTO.kindFor(true));
    assertEquals(EngineKind.SIMD, EngineChoice.AUTO.kindFor(false), "a GPU Spark did not assign is another task's");
    assertEquals(EngineKind.GPU, EngineChoice.GPU.kindFor(true));
  }

  @Test
  void tasksThatAskForGpusOnALocalMasterAreRefusedWhateverTheEngineForSparkWouldNeverScheduleThem() {
    SparkConf conf = new SparkConf(false).set("spark.master", "local[4]").set("spark.task.resource.gpu.amount", "1");
    for (EngineChoice choice : EngineChoice.values()) {
      org.convgrad.engine.EngineUnavailableException e = org.junit.jupiter.api.Assertions.assertThrows(
          org.convgrad.engine.EngineUnavailableException.class, () -> choice.checkAvailable(conf), choice.name());
      org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("spark.task.resource.gpu.amount is 1, but a"
          + " local master (local[4]) gives tasks no GPUs"), e.getMessage());
    }
    // A local cluster's executors do offer them (from a discovery script), and the CPU engines run there.
    EngineChoice.AUTO.checkAvailable(conf.clone().set("spark.master", "local-cluster[2,1,1024]"));
    EngineChoice.CPU.checkAvailable(new SparkConf(false).set("spark.master", "local[4]"));
  }
}
