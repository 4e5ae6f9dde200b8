package org.convgrad.engine.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The engine's own threads. Work is split into tasks by index; which thread runs a task never
 * changes what the task computes, so results do not depend on the thread count.
 */
public final class WorkPool implements AutoCloseable {
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final int threads;
  private final ExecutorService executor;

  public WorkPool(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, but got " + threads);
    }
    this.threads = threads;
    int pool = POOLS.incrementAndGet();
    AtomicInteger count = new AtomicInteger();
    this.executor =
        threads == 1
            ? null
            : Executors.newFixedThreadPool(
                threads - 1,
                r -> {
                  Thread t = new Thread(r, "convgrad-" + pool + "-" + count.incrementAndGet());
                  t.setDaemon(true);
                  return t;
                });
  }

  /** A pool of one thread: the caller's. */
  public static WorkPool singleThreaded() {
    return new WorkPool(1);
  }

  public int threads() {
    return threads;
  }

  /**
   * Runs {@code body} for every task index in {@code [0, tasks)} and returns when all are done;
   * the caller's thread works too. The first failure is rethrown.
   */
  public void parallelFor(int tasks, IntConsumer body) {
    if (executor == null || tasks <= 1) {
      for (int i = 0; i < tasks; i++) {
        body.accept(i);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    Runnable worker =
        () -> {
          for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) {
            body.accept(i);
          }
        };
    int helpers = Math.min(threads - 1, tasks - 1);
    List<Future<?>> futures = new ArrayList<>(helpers);
    for (int i = 0; i < helpers; i++) {
      futures.add(executor.submit(worker));
    }
    Throwable failure = null;
    try {
      worker.run();
    } catch (RuntimeException | Error e) {
      next.set(tasks); // let the helpers stop early
      failure = e;
    }
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for convgrad worker threads", e);
      }
    }
    // The first failure, as it was thrown: an OutOfMemoryError stays one.
    if (failure instanceof RuntimeException) {
      throw (RuntimeException) failure;
    }
    if (failure instanceof Error) {
      throw (Error) failure;
    }
    if (failure != null) {
      throw new IllegalStateException("a convgrad worker thread failed", failure);
    }
  }

  @Override
  public void close() {
    if (executor != null) {
      executor.shutdownNow();
    }
  }
}
