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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.band.OutBackpropScan;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.job.EngineChoice;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each executor JVM builds once per job and device, and shares between all the tasks and
 * batches that run there: the decoded job description, the filter, the engine (with its threads,
 * or its GPU) and the filter packed for the engine's kernel (in device memory for a GPU), keyed by
 * the job's broadcast and the device.
 *
 * <p><b>Lifetime.</b> Jobs that run at once in one executor (two convgrad jobs, or chained
 * DataFrame calls, whose tasks take turns) each keep their engines. An engine is closed, which
 * stops its threads and frees its GPU memory, once no task has used it for its job's {@link
 * JobSpec#engineIdleMillis} ({@code spark.convgrad.engine.idleTimeout}), when more than {@link
 * #MAX_IDLE} jobs are idle (the least recently used first, after two seconds idle), when its job
 * ends in this JVM ({@link #retire}: on a local master, whose tasks run in the driver), or when
 * another SparkContext starts in this JVM; never while a task uses it.
 *
 * <p><b>Devices.</b> A task that Spark assigned a GPU ({@code TaskContext.resources()}) uses the
 * engine of that GPU's ordinal, one per GPU and job in the JVM; on a local master, where Spark
 * assigns none, GPU 0 is the task's. Which engine runs on a device is the job's {@link
 * EngineChoice#kindFor}. Without a device, the CPU engine.
 *
 * <p><b>Threads.</b> At most {@code K = executor cores / spark.task.cpus} tasks run at once in an
 * executor. Each task gets {@code T} engine threads: {@code --threads} when given, otherwise
 * {@code executor cores / K} (that is, {@code spark.task.cpus}, plus a share of any cores that do
 * not divide evenly). A job's CPU engine has a pool of {@code K*(T-1) + 1} threads: the engine
 * counts the calling thread as one of its threads, each of the K running tasks brings its own, and
 * the {@code K*(T-1)} helper threads they share make {@code K*T} threads in all, the executor's cores.
 * A task that runs alone (the last one, a straggler) may use idle helpers too; two jobs that share
 * an executor's K task slots may so run up to twice its cores in threads between them. Results do
 * not depend on the thread count (every result element is computed by one thread in a fixed order).
 * On {@code local[2]} and {@code local-cluster[2,1,m]}: T = 1, a pool of 1 (no helper threads).
 */
public final class ExecutorEngines {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngines.class);

  /** The key of the CPU engine; a GPU's is {@code gpu <ordinal>}. */
  static final String CPU = "cpu";

  /** Jobs whose engines are kept while idle, at most: each holds a packed filter, and threads or GPU memory. */
  static final int MAX_IDLE = 4;

  /** How long an idle job's engines are kept whatever {@link #MAX_IDLE} says. */
  static final long GRACE_NANOS = 2_000_000_000L;

  /** The longest idle timeout honoured (ten years: "never"), so that no deadline overflows. */
  private static final long MAX_IDLE_MILLIS = TimeUnit.DAYS.toMillis(3650);
  private static final long MAX_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(MAX_IDLE_MILLIS) + GRACE_NANOS;

  /** Engines built in this JVM since it started (tests check that tasks share one). */
  static final AtomicInteger BUILDS = new AtomicInteger();

  /** Filters packed in this JVM since it started. */
  static final AtomicInteger PACKS = new AtomicInteger();

  /** The engines tasks may acquire, by job broadcast and device. Guarded by the class. */
  private static final Map<String, Holder> OPEN = new HashMap<>();

  /** The engines being built, outside the lock, by key; a task of the same job waits for its build. Guarded by the class. */
  private static final Map<String, Build> BUILDING = new HashMap<>();

  /** The broadcasts of this context's jobs that have ended here ({@link #retire}). Guarded by the class. */
  private static final Set<Long> ENDED = new HashSet<>();

  /** The engines not closed yet: those open, and those retired that a task still holds. Guarded by the class. */
  private static final Set<Holder> LIVE = new HashSet<>();

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

  /** One job's state on one device of this executor. Thread-safe. */
  public static final class Holder {
    final long broadcastId;
    public final JobSpec spec;
    /** {@code cpu}, or {@code gpu N} for the GPU of ordinal N. */
    public final String device;
    public final Tensor filter;
    public final Engine engine;
    /** The filter packed once for the kernel the engine runs for this job's problems. */
    public final PackedFilter packed;
    /** Engine threads per task (T). */
    public final int threadsPerTask;
    /** Tasks this executor runs at once (K). */
    public final int concurrentTasks;
    private final ConcurrentMap<Long, Conv2dBackpropInput> ops = new ConcurrentHashMap<>();
    private int users; // guarded by ExecutorEngines.class
    private long idleSince; // System.nanoTime(); guarded by ExecutorEngines.class
    private boolean retired; // guarded by ExecutorEngines.class
    private boolean closed; // guarded by ExecutorEngines.class

    Holder(long broadcastId, JobSpec spec, String device, int executorCores, int taskCpus) {
      this.broadcastId = broadcastId;
      this.spec = spec;
      this.device = device;
      this.filter = spec.filter();
      this.concurrentTasks = Math.max(1, executorCores / Math.max(1, taskCpus));
      this.threadsPerTask = spec.threads > 0 ? spec.threads : Math.max(1, executorCores / concurrentTasks);
      int poolThreads = concurrentTasks * (threadsPerTask - 1) + 1;
      boolean gpu = !device.equals(CPU);
      EngineKind kind = EngineChoice.parse(spec.engine).kindFor(gpu);
      int ordinal = gpu ? Integer.parseInt(device.substring("gpu ".length())) : 0;
      this.engine = Engine.create(b -> b.kind(kind).device(ordinal).threads(poolThreads));
      try {
        this.packed = engine.pack(op(1), filter);
      } catch (RuntimeException | Error e) { // an OutOfMemoryError too: the task lives on, and must not leak threads
        engine.close();
        throw e;
      }
      this.idleSince = System.nanoTime();
    }

    /** Whether the engine is closed: its threads stopped, its GPU memory freed. */
    boolean isClosed() {
      synchronized (ExecutorEngines.class) {
        return closed;
      }
    }

    private long idleDeadline() {
      return idleSince + TimeUnit.MILLISECONDS.toNanos(Math.min(spec.engineIdleMillis, MAX_IDLE_MILLIS));
    }

    /** The validated problem of a batch of {@code batch} samples (cached per batch size). */
    public Conv2dBackpropInput op(long batch) {
      return ops.computeIfAbsent(
          batch,
          n -> spec.op.bindBatch(n, spec.dataset.sampleShape(), filter.shape(), filter.dtype(), spec.dataset.dtype()));
    }

    /** The kernel that computes batches of {@code op}'s kind. */
    public String kernel(Conv2dBackpropInput op) {
      return packed.fits(op) ? packed.kernel().name() : engine.kernelFor(op).name();
    }

    /** What the kernel that computes batches of {@code op}'s kind says of itself (its device included). */
    public String describe(Conv2dBackpropInput op) {
      return (packed.fits(op) ? packed.kernel() : engine.kernelFor(op)).describe(op);
    }

    /**
     * The input gradient of a batch, with the packed filter (the same bits as the engine gives with
     * the plain filter, see {@link Engine#backpropInput(Conv2dBackpropInput, PackedFilter, Tensor)}).
     */
    public Tensor backpropInput(Conv2dBackpropInput op, Tensor outBackprop) {
      if (packed.fits(op)) {
        return engine.backpropInput(op, packed, outBackprop);
      }
      return engine.backpropInput(op, filter, outBackprop);
    }

    /**
     * {@link #backpropInput(Conv2dBackpropInput, Tensor)}, with the scan of the batch's out_backprop
     * by which its kernel chose its tiles ({@link OutBackpropScan#EMPTY} where its choice does not
     * depend on the values), found in the same pass.
     */
    public Engine.Scanned backpropInputScanned(Conv2dBackpropInput op, Tensor outBackprop) {
      if (packed.fits(op)) {
        return engine.backpropInputScanned(op, packed, outBackprop);
      }
      return new Engine.Scanned(engine.backpropInput(op, filter, outBackprop), scan(outBackprop));
    }

    /**
     * The result of a batch, or the result rows of a band of one sample ({@link
     * Conv2dBackpropInput#band} of {@link #op op(1)}), with the tiles the whole dataset's out_backprop
     * ({@code whole}) chooses: those samples' or rows' result, bit for bit ({@link
     * OutBackpropScan#EMPTY}: the tiles it chooses for values within {@link #outBackpropLimit}).
     */
    public Tensor backpropInput(Conv2dBackpropInput band, Tensor outBackpropRows, OutBackpropScan whole) {
      return engine.backpropInput(band, packed, outBackpropRows, whole);
    }

    /** Up to which magnitude of out_backprop's values the packed filter's kernel chooses the tiles it does for zeros. */
    public double outBackpropLimit() {
      return packed.kernel().outBackpropLimit(op(1), packed);
    }

    /** The scan of out_backprop values by the packed filter's kernel. */
    public OutBackpropScan scan(Tensor outBackprop) {
      return packed.kernel().scan(outBackprop);
    }
  }

  private ExecutorEngines() {}

  /**
   * This JVM's state for the job of {@code spec} on {@code device} ({@code cpu} or {@code gpu N}),
   * built on first use and held until the task completes.
   */
  public static Holder acquire(Broadcast<byte[]> spec, LongAccumulator built, String device) {
    TaskContext ctx = TaskContext.get();
    if (ctx == null) {
      throw new IllegalStateException("convgrad's executor engines serve Spark tasks only");
    }
    Holder h = acquire(spec.id(), () -> JobSpec.fromBytes(spec.value()), built, device, ctx.cpus());
    try {
      ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> release(h));
    } catch (RuntimeException | Error e) {
      release(h);
      throw e;
    }
    return h;
  }

  /** The GPU address Spark assigned the running task (the first, where it assigned several), or null. */
  public static @Nullable String assignedGpu(@Nullable TaskContext ctx) {
    Map<String, ResourceInformation> resources = ctx == null ? null : ctx.resourcesJMap();
    ResourceInformation gpu = resources == null ? null : resources.get("gpu");
    if (gpu == null || gpu.addresses().length == 0) {
      return null;
    }
    return gpu.addresses()[0];
  }

  /**
   * The device a task computes on: the GPU Spark assigned it; on a local master, where Spark
   * assigns none, GPU 0 (the engine still runs on the CPU where no GPU is usable); else the CPU.
   */
  public static String device(@Nullable String assigned) {
    if (assigned != null) {
      return "gpu " + assigned;
    }
    boolean local = SparkEnv.get() == null || "driver".equals(SparkEnv.get().executorId());
    return local ? "gpu 0" : CPU;
  }

  /**
   * The holder of the job of broadcast {@code broadcastId} on {@code device}, built from {@code spec}
   * on first use, held until {@link #release}. The build (the broadcast's fetch, a GPU's start, the
   * packing) runs outside the lock: other jobs' tasks acquire and release meanwhile, and this job's
   * other tasks wait for the one build. When it fails, each of them tries for itself.
   */
  static Holder acquire(long broadcastId, Supplier<JobSpec> spec, @Nullable LongAccumulator built, String device,
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
        Holder h = OPEN.get(key);
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
      Holder h;
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
    final CompletableFuture<Holder> done = new CompletableFuture<>();
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
  private static Holder build(String key, Build build, Supplier<JobSpec> spec, @Nullable LongAccumulator built,
      String device, int taskCpus) {
    Holder h;
    int cores;
    try {
      cores = executorCores();
      h = new Holder(build.broadcastId, spec.get(), device, cores, taskCpus);
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
      for (Holder old : OPEN.values()) {
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
  private static Holder hold(Holder h) {
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
  static synchronized void release(Holder h) {
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
    for (Iterator<Holder> it = OPEN.values().iterator(); it.hasNext(); ) {
      Holder h = it.next();
      if (h.broadcastId == broadcastId) {
        it.remove();
        retire(h);
      }
    }
  }

  private static void retire(Holder h) {
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
    for (Iterator<Holder> it = OPEN.values().iterator(); it.hasNext(); ) {
      Holder h = it.next();
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

  private static void close(Holder h) {
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
    for (Holder h : LIVE) {
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

  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?\\])?");
  private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*\\d+\\s*,\\s*(\\d+)\\s*,.*\\]");

  /** The cores of this executor: what Spark schedules tasks on, not what the machine has. */
  static int executorCores() {
    SparkEnv env = SparkEnv.get();
    if (env == null) {
      return Runtime.getRuntime().availableProcessors();
    }
    return executorCores(env.conf(), env.executorId());
  }

  static int executorCores(SparkConf conf, String executorId) {
    String master = conf.get("spark.master", "");
    if ("driver".equals(executorId)) { // local mode: tasks run in the driver
      Matcher m = LOCAL.matcher(master.trim());
      if (m.matches()) {
        String n = m.group(1);
        return n == null ? 1 : "*".equals(n) ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
      }
    }
    if (conf.contains("spark.executor.cores")) {
      return Math.max(1, conf.getInt("spark.executor.cores", 1));
    }
    Matcher m = LOCAL_CLUSTER.matcher(master.trim());
    if (m.matches()) {
      return Integer.parseInt(m.group(1));
    }
    // Standalone executors take all of their worker's cores by default; YARN and Kubernetes
    // default to 1 (and set spark.executor.cores when told otherwise).
    return master.startsWith("spark://") ? Runtime.getRuntime().availableProcessors() : 1;
  }
}
