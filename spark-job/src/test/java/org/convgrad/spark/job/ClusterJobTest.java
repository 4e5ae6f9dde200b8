package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.spark.task.TaskCommit;
import org.convgrad.spark.testing.JobFixture;
import org.convgrad.spark.testing.SparkClusterTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on local-cluster[2,1,1024] (executors in their own JVMs): results bit for bit the
 * single-process engine's, an executor killed mid-job. (Speculation needs executors on distinct
 * hosts, which local-cluster does not give: see SpeculationJobTest.)
 */
@SparkClusterTest
class ClusterJobTest {
  @TempDir Path dir;

  @Test
  void resultIsBitIdenticalAcrossExecutorJvms(SparkSession spark) throws Exception {
    for (DataFormat format : DataFormat.values()) {
      Path sub = Files.createDirectories(dir.resolve(format.name()));
      JobFixture f = new JobFixture(sub, format, DType.FLOAT32);
      ConvgradJob.Builder o = f.job("out");
      o.samplesPerTask(2);
      JobResult r = o.build().run(spark);
      f.assertCommitted("out");
      f.assertAssembledNpy("out");
      Set<String> executors = new HashSet<>();
      for (TaskCommit c : r.parts()) {
        executors.add(c.executorId);
      }
      assertTrue(r.enginesBuilt() <= 2 + 1, "an engine per executor JVM, not per task: " + r.enginesBuilt());
      assertTrue(!executors.contains("driver"), executors.toString());
    }
  }

  @Test
  void gpuEngineOnAClusterWithoutGpusFailsOnTheDriverInSeconds(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    ConvgradJob job = f.job("out").engine(EngineChoice.GPU).build();
    long t0 = System.nanoTime();
    org.convgrad.engine.EngineUnavailableException e =
        assertThrows(org.convgrad.engine.EngineUnavailableException.class, () -> job.run(spark));
    assertTrue(e.getMessage().contains("the cluster offers no GPUs"), e.getMessage());
    assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
    assertTrue(!Files.exists(dir.resolve("out")));
  }

  @Test
  void anExecutorKilledMidJobLosesAndDuplicatesNothing(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    spark.conf().set(ConvgradConf.TEST_KILL_EXECUTOR_ONCE.key(), dir.resolve("killed").toString());
    spark.conf().set(ConvgradConf.BATCH_MAX_BYTES.key(), "1k");
    ConvgradJob.Builder o = f.job("out");
    o.samplesPerTask(3);
    o.build().run(spark);
    assertTrue(Files.exists(dir.resolve("killed")), "no executor was killed");
    f.assertCommitted("out");
    f.assertAssembledNpy("out");
  }
}
