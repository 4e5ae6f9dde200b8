package org.convgrad.spark.task;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link JobEngine}s each executor JVM builds once per job and device, and shares between all
 * the tasks and batches that run there, keyed by the job's broadcast and the device.
 *
 * <p><b>Lifetime.</b> Jobs that run at once in one executor (two convgrad jobs, or chained
 * DataFrame calls, whose tasks take turns) each keep their engines. An engine is closed, which
 * stops its threads and frees its GPU memory, once no task has used it for its job's {@link
 * JobSpec#engineIdleMillis} ({@code spark.convgrad.engine.idleTimeout}), when more than {@link
 * #MAX_IDLE} jobs are idle (the least recently used first, after two seconds idle), when its job
 * ends in this JVM ({@link #retire}: on a local master, whose tasks run in the driver), or when
 * another SparkContext starts in this JVM; never while a task uses it.
 */
public final class ExecutorEngines {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngines.class);

  /** Jobs whose engines are kept while idle, at most: each holds a packed filter, and threads or GPU memory. */
  static final int MAX_IDLE = 4;

  /** How long an idle job's engines are kept whatever {@link #MAX_IDLE} says. */
  static final long GRACE_NANOS = 2_000_000_000L;

  /** The longest idle timeout honoured (ten years: "never"), so that no deadline overflows. */
  static final long MAX_IDLE_MILLIS = TimeUnit.DAYS.toMillis(3650);
  private static final long MAX_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(MAX_IDLE_MILLIS) + GRACE_NANOS;

  /** Engines built in this JVM since it started (tests check that tasks share one). */
  static final AtomicInteger BUILDS = new AtomicInteger();

  /** Filters packed in this JVM since it started. */
  static final AtomicInteger PACKS = new AtomicInteger();

  /** The engines tasks may acquire, by job broadcast and device. Guarded by the class. */
  private static final Map<String, JobEngine> OPEN = new HashMap<>();

  /** The engines being built, outside the lock, by key; a task of the same job waits for its build. Guarded by the class. */
  private static final Map<String, Build> BUILDING = new HashMap<>();

  /** The broadcasts of this context's jobs that have ended here ({@link #retire}). Guarded by the class. */
  private static final Set<Long> ENDED = new HashSet<>();

  /** The engines not closed yet: those open, and those retired that a task still holds. Guarded by the class. */
  private static final Set<JobEngine> LIVE = new HashSet<>();

  /**
   * The SparkEnv (SparkContext, in a driver) whose broadcasts key {@link #OPEN}, weakly: a stopped
   * context's must not stay reachable from here. Guarded by the class.
   */
  private static WeakReference<@Nullable SparkEnv> env = new WeakReference<>(null);

  /** Closes idle engines when no task comes by to do it. Guarded by the class. */
  private static @Nullable ScheduledExecutorService reaper;
  /** Whether the reaper has a sweep to come, and when (System.nanoTime()). Guarded by the class. */
  private static boolean reapPending;
  private static long reapDue;

  private ExecutorEngines() {}

  /**
   * This JVM's state for the job of {@code spec} on {@code device} ({@code cpu} or {@code gpu N}),
   * built on first use and held until the task completes.
   */
  public static JobEngine acquire(Broadcast<byte[]> spec, LongAccumulator built, String device) {
    TaskContext ctx = TaskContext.get();
    if (ctx == null) {
      throw new IllegalStateException("convgrad's executor engines serve Spark tasks only");
    }
    JobEngine h = acquire(spec.id(), () -> JobSpec.fromBytes(spec.value()), built, device, ctx.cpus());
    try {
      ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> release(h));
    } catch (RuntimeException | Error e) {
      release(h);
      throw e;
    }
    return h;
  }

  /**
   * The holder of the job of broadcast {@code broadcastId} on {@code device}, built from {@code spec}
   * on first use, held until {@link #release}. The build (the broadcast's fetch, a GPU's start, the
   * packing) runs outside the lock: other jobs' tasks acquire and release meanwhile, and this job's
   * other tasks wait for the one build. When it fails, each of them tries for itself.
   */
  static JobEngine acquire(long broadcastId, Supplier<JobSpec> spec, @Nullable LongAccumulator built, String device,
      int taskCpus) {
    String key = broadcastId + " " + device;
    while (true) {
      TaskContext task = TaskContext.get();
      if (task != null) {
        task.killTaskIfInterrupted(); // a cancelled task that waited stops here instead of building
      }
      Build build;
      boolean mine = false;
      synchronized (ExecutorEngines.class) {
        SparkEnv context = currentContext();
        JobEngine h = OPEN.get(key);
        if (h != null) {
          return hold(h);
        }
        build = BUILDING.get(key);
        if (build == null) {
          build = new Build(broadcastId, context);
          BUILDING.put(key, build);
          mine = true;
        }
      }
      if (mine) {
        return build(key, build, spec, built, device, taskCpus);
      }
      JobEngine h;
      try {
        h = build.done.get();
      } catch (ExecutionException e) {
        continue; // the build failed: this task tries for itself, and fails with its own error if it must
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the engine of job " + broadcastId, e);
      }
      synchronized (ExecutorEngines.class) {
        if (!h.closed && !h.retired) {
          return hold(h);
        }
      } // its job or context ended, or it was closed (a zero idle timeout): build again
    }
  }

  /** An engine being built outside the lock, which the same job's tasks wait for. */
  private static final class Build {
    final CompletableFuture<JobEngine> done = new CompletableFuture<>();
    final long broadcastId;
    final @Nullable SparkEnv context;

    Build(long broadcastId, @Nullable SparkEnv context) {
      this.broadcastId = broadcastId;
      this.context = context;
    }
  }

  /**
   * Builds what {@code build} promises and registers it, held by this task; or, when anything fails
   * (a broadcast that cannot be fetched throws a checked exception Java does not see), removes the
   * build and fails its waiters, who then try for themselves.
   */
  private static JobEngine build(String key, Build build, Supplier<JobSpec> spec, @Nullable LongAccumulator built,
      String device, int taskCpus) {
    JobEngine h;
    int cores;
    try {
      cores = ExecutorResources.executorCores();
      h = new JobEngine(build.broadcastId, spec.get(), device, cores, taskCpus);
    } catch (Throwable t) {
      synchronized (ExecutorEngines.class) {
        BUILDING.remove(key, build);
      }
      build.done.completeExceptionally(t);
      throw t;
    }
    try {
      synchronized (ExecutorEngines.class) {
        BUILDING.remove(key, build);
        LIVE.add(h);
        h.idleSince = System.nanoTime();
        h.users++; // the builder's hold, before any sweep can see it idle
        if (build.context == env.get() && !ENDED.contains(build.broadcastId)) {
          OPEN.put(key, h);
        } else {
          h.retired = true; // its context or job has ended since: it serves this task, then closes
        }
        BUILDS.incrementAndGet();
        PACKS.incrementAndGet();
      }
    } catch (Throwable t) {
      synchronized (ExecutorEngines.class) {
        OPEN.remove(key, h);
        close(h);
      }
      build.done.completeExceptionally(t);
      throw t;
    }
    build.done.complete(h);
    try {
      LOG.info("convgrad job {}: engine {} built for {} of this executor ({} cores, {} task(s) at once, {} thread(s)"
              + " per task, a pool of {}), filter packed once: {}", h.spec.jobId, h.spec.engine, device, cores,
          h.concurrentTasks, h.threadsPerTask, h.engine.threads(), h.packed);
      if (built != null) {
        built.add(1);
      }
      synchronized (ExecutorEngines.class) {
        sweep();
      }
    } catch (RuntimeException | Error e) {
      release(h);
      throw e;
    }
    return h;
  }

  /**
   * The SparkEnv of the tasks now running. Another SparkContext in this JVM (a notebook's new
   * session, say) numbers its broadcasts from 0 again, so the engines of the one before, built or
   * being built, are retired: none may serve a task of another context.
   */
  private static @Nullable SparkEnv currentContext() {
    SparkEnv current = SparkEnv.get();
    if (current != env.get()) {
      for (JobEngine old : OPEN.values()) {
        retire(old);
      }
      OPEN.clear();
      BUILDING.clear(); // their builders register them retired (their context is not the current one)
      ENDED.clear();
      env = new WeakReference<>(current);
    }
    return current;
  }

  /** One more task holds {@code h}. Under the lock. */
  private static JobEngine hold(JobEngine h) {
    h.users++;
    try {
      sweep();
    } catch (RuntimeException | Error e) {
      release(h);
      throw e;
    }
    return h;
  }

  /** How many tasks wait for the build of the engine of {@code broadcastId} on {@code device} (for tests). */
  static synchronized int waitingFor(long broadcastId, String device) {
    Build b = BUILDING.get(broadcastId + " " + device);
    return b == null ? 0 : b.done.getNumberOfDependents();
  }

  /** The end of one {@link #acquire}: a task is done with {@code h}. */
  static synchronized void release(JobEngine h) {
    h.users--;
    h.idleSince = System.nanoTime();
    if (h.retired && h.users <= 0) {
      close(h);
    }
    sweep();
  }

  /**
   * The job of broadcast {@code broadcastId} has ended: its engines in this JVM close, at once
   * where no task holds them and otherwise when the last one ends. A later task builds anew.
   */
  public static synchronized void retire(long broadcastId) {
    ENDED.add(broadcastId); // an engine of it built after this, for a task that still ran, closes after that task
    retireOpen(broadcastId);
  }

  /** Retires the open engines of the job of {@code broadcastId}, not those being built. */
  private static void retireOpen(long broadcastId) {
    for (Iterator<JobEngine> it = OPEN.values().iterator(); it.hasNext(); ) {
      JobEngine h = it.next();
      if (h.broadcastId == broadcastId) {
        it.remove();
        retire(h);
      }
    }
  }

  private static void retire(JobEngine h) {
    h.retired = true;
    if (h.users <= 0) {
      close(h);
    }
  }

  /**
   * Closes the engines idle past their timeout and, while more than {@link #MAX_IDLE} jobs have no
   * task holding one of their engines, the engines of the job least recently used, once it has been
   * idle for {@link #GRACE_NANOS} (the calls of a chained DataFrame take turns in every task); then
   * has the reaper come back when the next one is due.
   */
  private static void sweep() {
    long now = System.nanoTime();
    long due = now + MAX_IDLE_NANOS; // later than any deadline to come
    boolean anyDue = false;
    Map<Long, Long> idleJobs = new HashMap<>(); // broadcast -> when it was last used; held jobs absent
    Set<Long> held = new HashSet<>();
    for (Iterator<JobEngine> it = OPEN.values().iterator(); it.hasNext(); ) {
      JobEngine h = it.next();
      if (h.users > 0) {
        held.add(h.broadcastId);
      } else if (now - h.idleDeadline() >= 0) {
        it.remove();
        close(h);
      } else {
        due = earlier(due, h.idleDeadline());
        anyDue = true;
        idleJobs.merge(h.broadcastId, h.idleSince, (a, b) -> a - b < 0 ? b : a);
      }
    }
    idleJobs.keySet().removeAll(held);
    List<Map.Entry<Long, Long>> lru = new ArrayList<>(idleJobs.entrySet());
    lru.sort((x, y) -> Long.compare(x.getValue() - now, y.getValue() - now));
    for (int i = 0; i < lru.size() - MAX_IDLE; i++) {
      long lastUsed = lru.get(i).getValue();
      if (now - lastUsed < GRACE_NANOS) {
        due = earlier(due, lastUsed + GRACE_NANOS);
        anyDue = true;
        break;
      }
      retireOpen(lru.get(i).getKey());
    }
    if (anyDue && (!reapPending || due - reapDue < 0)) {
      if (reaper == null) {
        reaper = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "convgrad-engine-reaper");
          t.setDaemon(true);
          return t;
        });
      }
      reaper.schedule(ExecutorEngines::reap, Math.max(0, due - now) + 1_000_000, TimeUnit.NANOSECONDS);
      reapPending = true; // only once it is scheduled: a failed schedule is tried again by the next sweep
      reapDue = due;
    }
  }

  private static synchronized void reap() {
    if (reapPending && System.nanoTime() - reapDue >= 0) {
      reapPending = false;
    }
    sweep();
  }

  /** The earlier of two System.nanoTime() values (which compare by their difference). */
  private static long earlier(long a, long b) {
    return a - b < 0 ? a : b;
  }

  private static void close(JobEngine h) {
    if (h.closed) {
      return;
    }
    h.closed = true;
    LIVE.remove(h);
    try {
      h.engine.close();
      LOG.info("convgrad job {}: engine for {} of this executor closed", h.spec.jobId, h.device);
    } catch (RuntimeException | Error e) {
      LOG.warn("convgrad job {}: closing the engine for {} failed", h.spec.jobId, h.device, e);
    }
  }

  /** Engines of the job {@code jobId} ({@link JobSpec#jobId}) not closed in this JVM. */
  public static synchronized int open(String jobId) {
    int n = 0;
    for (JobEngine h : LIVE) {
      n += h.spec.jobId.equals(jobId) ? 1 : 0;
    }
    return n;
  }

  /** Engines built in this JVM so far. */
  public static int builds() {
    return BUILDS.get();
  }

  /** Filters packed in this JVM so far (one per engine: every batch of every task reuses it). */
  public static int packs() {
    return PACKS.get();
  }
}
