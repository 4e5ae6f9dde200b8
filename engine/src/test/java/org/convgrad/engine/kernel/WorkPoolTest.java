package org.convgrad.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkPoolTest {
  @Test
  void runsEveryTaskOnce() {
    try (WorkPool pool = new WorkPool(3)) {
      AtomicIntegerArray runs = new AtomicIntegerArray(1000);
      pool.parallelFor(1000, runs::incrementAndGet);
      for (int i = 0; i < 1000; i++) {
        assertEquals(1, runs.get(i), "task " + i);
      }
    }
  }

  @Test
  void rethrowsTheFailureAsItWasThrown() {
    try (WorkPool pool = new WorkPool(2)) {
      IllegalArgumentException bad = new IllegalArgumentException("bad input");
      assertSame(bad, assertThrows(IllegalArgumentException.class, () -> pool.parallelFor(100, i -> {
        if (i == 42) {
          throw bad;
        }
      })));
      OutOfMemoryError oom = new OutOfMemoryError("test");
      assertSame(oom, assertThrows(OutOfMemoryError.class, () -> pool.parallelFor(100, i -> {
        if (i == 7) {
          throw oom;
        }
      })));
    }
  }

  @Test
  void balanceIsTheShareOfTheThreadsTimeSpentOnTasks() {
    assertEquals(1.0, WorkPool.balance(32, 16));
    assertEquals(0.875, WorkPool.balance(56, 16));
    assertEquals(0.25, WorkPool.balance(1, 4));
  }

  @Test
  void grainTakesTheLargestSizeThatKeepsTheThreadsBusy() {
    // 8 images of 28 bands: 4 bands a task gives 56 tasks (0.875 on 16 threads), 3 gives 80 (1.0).
    assertEquals(3, WorkPool.grain(4, 16, n -> 8L * ((28 + n - 1) / n)));
    assertEquals(4, WorkPool.grain(4, 2, n -> 8L * ((28 + n - 1) / n)));
    assertEquals(4, WorkPool.grain(4, 1, n -> 1));
    // No size reaches the bound: the best balanced one (3 tasks of 1 on 4 threads: 0.75).
    assertEquals(1, WorkPool.grain(3, 4, n -> (3 + n - 1) / n));
  }
}
