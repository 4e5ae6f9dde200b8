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
}
