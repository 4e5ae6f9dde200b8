package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.spark.io.SampleDataset;
import org.convgrad.spark.io.Shard;
import org.junit.jupiter.api.Test;

class ShardPlannerTest {
  private static SampleDataset twoFiles() {
    return new SampleDataset("d", SampleDataset.Format.ARROW,
        List.of(new SampleDataset.DataFile("a", 5, 0), new SampleDataset.DataFile("b", 3, 5)), new long[] {2, 2, 1},
        DType.FLOAT32);
  }

  @Test
  void shardsHoldWholeSamplesInOrderAndNeverSpanFiles() {
    List<Shard> shards = ShardPlanner.plan(twoFiles(), 2);
    assertEquals(5, shards.size());
    long next = 0;
    for (int i = 0; i < shards.size(); i++) {
      Shard s = shards.get(i);
      assertEquals(i, s.index());
      assertEquals(next, s.firstSample());
      next += s.rows();
    }
    assertEquals(8, next);
    assertEquals(1, shards.get(2).rows()); // the uneven end of file a
    assertEquals("b", shards.get(3).file());
    assertEquals(0, shards.get(3).firstRow());
  }

  @Test
  void oneSamplePerTaskAndOneTaskForAll() {
    assertEquals(8, ShardPlanner.plan(twoFiles(), 1).size());
    assertEquals(2, ShardPlanner.plan(twoFiles(), 100).size());
  }

  @Test
  void defaultSizeGivesAboutThreeTasksPerSlot() {
    assertEquals(34, ShardPlanner.defaultSamplesPerTask(200, 2));
    assertEquals(1, ShardPlanner.defaultSamplesPerTask(3, 4));
  }

  @Test
  void rejectsNonPositiveSize() {
    assertThrows(InvalidArgumentException.class, () -> ShardPlanner.plan(twoFiles(), 0));
  }
}
