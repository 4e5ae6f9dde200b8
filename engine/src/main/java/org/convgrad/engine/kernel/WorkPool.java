package org.convgrad.engine.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.IntToLongFunction;

/**
 * The engine's own threads. Work is split into tasks by index; which thread runs a task never
 * changes what the task computes, so results do not depend on the thread count.
 */
public final class WorkPool implements AutoCloseable {
  /** The least {@link #balance} {@link #grain} looks for. */
  public static final double MIN_BALANCE = 0.9;

  private static final AtomicInteger POOLS = new AtomicInteger();

  private final int threads;
  private final ExecutorService executor;
  private volatile boolean closed;

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
    requireOpen();
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
    try {
      for (int i = 0; i < helpers; i++) {
        futures.add(executor.submit(worker));
      }
    } catch (RejectedExecutionException e) {
      // Closed meanwhile: the caller's thread does what helpers would have done.
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
      } catch (CancellationException e) {
        // A helper that close() took off the queue before it ran: the caller's thread ran its tasks.
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

  /**
   * The share of the threads' time that {@code tasks} tasks of equal cost keep busy, each thread
   * taking the next task when it is done: {@code tasks / (threads * rounds)}. 56 tasks on 16
   * threads run in 4 rounds, the last with 8 threads idle: 0.875.
   */
  public static double balance(long tasks, int threads) {
    long rounds = (tasks + threads - 1) / threads;
    return (double) tasks / ((double) threads * rounds);
  }

  /**
   * The largest task size in {@code [1, max]} whose split, {@code tasksOfSize.applyAsLong(size)}
   * tasks, has a {@link #balance} of at least {@link #MIN_BALANCE} on {@code threads} threads; the
   * best balanced size when none has. A kernel's largest size is the one that runs fastest on a
   * thread; on many threads fewer, smaller tasks would leave threads idle at the end.
   */
  public static int grain(int max, int threads, IntToLongFunction tasksOfSize) {
    int best = Math.max(1, max);
    double bestBalance = balance(tasksOfSize.applyAsLong(best), threads);
    for (int size = best; size >= 1 && bestBalance < MIN_BALANCE; size--) {
      double b = balance(tasksOfSize.applyAsLong(size), threads);
      if (b > bestBalance) {
        best = size;
        bestBalance = b;
      }
    }
    return best;
  }

  /** @throws IllegalStateException once the pool (its engine) is closed */
  public void requireOpen() {
    if (closed) {
      throw new IllegalStateException("this convgrad engine is closed; create another");
    }
  }

  /**
   * Stops the threads. A call in progress on another thread still returns, its result whole: the
   * helpers still queued are cancelled, and that call's own thread runs their tasks.
   */
  @Override
  public void close() {
    closed = true;
    if (executor != null) {
      for (Runnable queued : executor.shutdownNow()) {
        if (queued instanceof Future<?> f) {
          f.cancel(false);
        }
      }
    }
  }
}
