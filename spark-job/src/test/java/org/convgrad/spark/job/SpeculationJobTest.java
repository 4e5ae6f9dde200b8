package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;
import org.apache.spark.sql.SparkSession;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.spark.testing.JobFixture;
import org.convgrad.spark.testing.SparkStandaloneTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Speculation, exactly once, on a standalone cluster whose two Workers (one single-core executor
 * each) are bound to 127.0.0.1 and 127.0.0.2: Spark sees two hosts, so it can run a speculative
 * copy of a stalled task on the other one. The first attempt of shard 0 stalls (a test-only
 * setting); the copy must launch, win, and the output must hold every sample exactly once, bit for
 * bit the single-process result.
 */
@SparkStandaloneTest(conf = {
    "spark.speculation=true",
    "spark.speculation.interval=100ms",
    "spark.speculation.quantile=0.5",
    "spark.speculation.multiplier=1.5",
    "spark.speculation.minTaskRuntime=300ms"})
class SpeculationJobTest {
  /** How long the first attempt of shard 0 stalls: far longer than the job takes without it. */
  private static final long STALL_MILLIS = 120_000;

  @TempDir Path dir;

  @Test
  void executorsRunOnTwoLoopbackHosts(SparkSession spark) {
    Set<String> hosts = new TreeSet<>();
    for (SparkExecutorInfo e : spark.sparkContext().statusTracker().getExecutorInfos()) {
      hosts.add(e.host());
    }
    // the driver's entry is on 127.0.0.1 too
    assertEquals(Set.of("127.0.0.1", "127.0.0.2"), hosts);
  }

  @Test
  void aStalledFirstAttemptIsSpeculatedOnTheOtherHostAndCommittedOnce(SparkSession spark) throws Exception {
    List<TaskInfo> started = new CopyOnWriteArrayList<>();
    SparkListener l = new SparkListener() {
      @Override
      public void onTaskStart(SparkListenerTaskStart e) {
        started.add(e.taskInfo());
      }
    };
    spark.sparkContext().addSparkListener(l);
    try {
      JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
      spark.conf().set(ConvgradConf.TEST_SLOW_FIRST_ATTEMPT_MILLIS.key(), String.valueOf(STALL_MILLIS));
      ConvgradJob.Builder o = f.job("out");
      o.samplesPerTask(2); // 6 shards: the other executor finishes 5 while shard 0 stalls
      JobResult r = o.build().run(spark);

      f.assertCommitted("out");
      f.assertAssembledNpy("out");
      assertEquals(12, r.samples());
      assertTrue(r.seconds() < STALL_MILLIS / 1000.0, "the job waited for the stalled attempt: " + r.seconds() + " s");

      TaskInfo speculative = await(started, true);
      TaskInfo original = await(started, false);
      assertEquals(0, speculative.index(), "the stalled shard 0 is the one speculated");
      assertNotEquals(original.host(), speculative.host(), "a speculative copy runs on another host");
      assertEquals(0, r.parts().get(0).shard);
      assertEquals(speculative.attemptNumber(), r.parts().get(0).attemptNumber,
          "shard 0 committed the speculative copy's part, not the stalled attempt's");
      System.out.println("shard 0: attempt 0 on " + original.host() + " stalled; speculative attempt "
          + speculative.attemptNumber() + " on " + speculative.host() + " committed; job " + r.seconds() + " s");
    } finally {
      spark.sparkContext().removeSparkListener(l);
    }
  }

  /** Shard 0's speculative (or first, non-speculative) attempt; the listener bus is asynchronous. */
  private static TaskInfo await(List<TaskInfo> started, boolean speculative) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      for (TaskInfo t : started) {
        if (t.index() == 0 && t.speculative() == speculative && (speculative || t.attemptNumber() == 0)) {
          return t;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no " + (speculative ? "speculative" : "first") + " attempt of shard 0 was started;"
        + " attempts seen: " + describe(started));
  }

  private static String describe(List<TaskInfo> started) {
    StringBuilder sb = new StringBuilder();
    for (TaskInfo t : started) {
      sb.append(String.format("[index %d attempt %d on %s%s] ", t.index(), t.attemptNumber(), t.host(),
          t.speculative() ? ", speculative" : ""));
    }
    return sb.toString();
  }
}
