package org.convgrad.spark.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

@SparkClusterTest
class SparkClusterHarnessTest {

  @Test
  void executorsAreSeparateJvms(SparkSession spark, JavaSparkContext jsc) {
    assertEquals(SparkExtension.CLUSTER_MASTER, spark.sparkContext().master());
    long driverPid = ProcessHandle.current().pid();
    List<Integer> slices = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      slices.add(i);
    }
    List<Long> pids =
        jsc.parallelize(slices, 8)
            .mapPartitions(
                it -> {
                  Thread.sleep(200); // keep both executors busy, so both take tasks
                  return Collections.singletonList(ProcessHandle.current().pid()).iterator();
                })
            .collect();
    Set<Long> distinct = new HashSet<>(pids);
    assertFalse(distinct.contains(driverPid), "a task ran in the driver's JVM: " + pids);
    assertEquals(2, distinct.size(), "tasks should have run in two executor JVMs: " + pids);
    assertTrue(spark.sparkContext().statusTracker().getExecutorInfos().length >= 3);
  }
}
