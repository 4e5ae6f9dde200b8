package org.convgrad.notebooks;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.convgrad.spark.testing.SparkClusterTest;
import org.convgrad.spark.testing.SparkExtension;
import org.junit.jupiter.api.Test;

/**
 * The notes again on local-cluster[2,1,1024]: their closures and REPL classes travel to executor
 * JVMs, as on a cluster. The executors have (fake) GPUs, so the GPU note shows what a GPU cluster's
 * scheduling gives a CPU engine: every task was assigned a GPU and ran on the CPU, and says so.
 */
@SparkClusterTest(conf = {
    "spark.repl.class.outputDir=" + Notes.REPL_CLASSES,
    "spark.worker.resource.gpu.amount=1",
    "spark.worker.resource.gpu.discoveryScript=" + SparkExtension.FAKE_GPU_SCRIPT,
    "spark.executor.resource.gpu.amount=1",
    "spark.executor.resource.gpu.discoveryScript=" + SparkExtension.FAKE_GPU_SCRIPT,
    "spark.task.resource.gpu.amount=1"})
class NotebooksClusterTest {
  @Test
  void everyNoteRunsWithExecutorsInJvmsOfTheirOwn(SparkSession spark) throws Exception {
    for (Notes.Note n : Notes.all()) {
      Notes.run(n, spark, n.name().startsWith("4.")
          ? Map.of("Run the job", List.of("were assigned a GPU but ran on the CPU"),
              "Does this cluster offer GPUs?", List.of("executors ask for 1 GPU(s) each"))
          : Map.of());
    }
  }
}
