package org.convgrad.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
  void aCallInProgressWhenThePoolClosesStillRunsAllItsTasks() throws Exception {
    WorkPool pool = new WorkPool(2); // one helper thread
    CountDownLatch helperBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // A call whose helper holds the pool's only thread until released.
    Thread holder = new Thread(() -> pool.parallelFor(2, i -> {
      if (Thread.currentThread().getName().startsWith("convgrad-")) {
        helperBusy.countDown();
        awaitUninterruptibly(release);
      } else {
        awaitUninterruptibly(helperBusy);
      }
    }));
    holder.setDaemon(true);
    holder.start();
    assertTrue(helperBusy.await(10, TimeUnit.SECONDS));
    // A second call: its helper waits in the queue; its own thread runs every task, then waits for it.
    AtomicInteger ran = new AtomicInteger();
    CountDownLatch secondRunning = new CountDownLatch(1); // its helper is submitted before its own tasks run
    FutureTask<Integer> second = new FutureTask<>(() -> {
      pool.parallelFor(4, i -> {
        ran.incrementAndGet();
        secondRunning.countDown();
      });
      return ran.get();
    });
    Thread caller = new Thread(second);
    caller.setDaemon(true);
    caller.start();
    assertTrue(secondRunning.await(10, TimeUnit.SECONDS));
    pool.close(); // takes the queued helper off the queue: the second call must not wait for it forever
    assertEquals(4, second.get(10, TimeUnit.SECONDS));
    release.countDown();
    holder.join(10_000);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(4, i -> {}));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    WorkPool one = new WorkPool(1);
    one.close();
    assertThrows(IllegalStateException.class, () -> one.parallelFor(1, i -> {}), "one thread or several");
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    while (true) {
      try {
        latch.await();
        return;
      } catch (InterruptedException e) {
        // close() interrupts the pool's threads; the test releases this one itself
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
