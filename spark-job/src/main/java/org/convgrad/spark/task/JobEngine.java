package org.convgrad.spark.task;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.EngineUnavailableException;
import org.convgrad.engine.band.OutBackpropScan;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.job.EngineChoice;

/**
 * One job's engine on one device of an executor, as {@link ExecutorEngines} builds, shares and
 * closes it: the decoded job description, the filter, the engine (its threads, or its GPU) and the
 * filter packed for the engine's kernel (in device memory for a GPU). Thread-safe.
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
public final class JobEngine {
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
  int users; // guarded by ExecutorEngines.class
  long idleSince; // System.nanoTime(); guarded by ExecutorEngines.class
  boolean retired; // guarded by ExecutorEngines.class
  boolean closed; // guarded by ExecutorEngines.class

  JobEngine(long broadcastId, JobSpec spec, String device, int executorCores, int taskCpus) {
    this.broadcastId = broadcastId;
    this.spec = spec;
    this.device = device;
    this.filter = spec.filter();
    this.concurrentTasks = Math.max(1, executorCores / Math.max(1, taskCpus));
    this.threadsPerTask = spec.threads > 0 ? spec.threads : Math.max(1, executorCores / concurrentTasks);
    int poolThreads = concurrentTasks * (threadsPerTask - 1) + 1;
    EngineChoice choice = EngineChoice.parse(spec.engine);
    String address = device.equals(ExecutorResources.CPU) ? null : device.substring("gpu ".length());
    Integer ordinal = address == null ? null : ExecutorResources.ordinal(address);
    if (address != null && ordinal == null && choice == EngineChoice.GPU) {
      throw new EngineUnavailableException("engine gpu: " + ExecutorResources.notAnOrdinal(address));
    }
    // An address that is no ordinal leaves auto on the CPU; the task says why (ShardTask).
    EngineKind kind = choice.kindFor(ordinal != null);
    this.engine = Engine.create(b -> b.kind(kind).device(ordinal == null ? 0 : ordinal).threads(poolThreads));
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

  long idleDeadline() {
    return idleSince + TimeUnit.MILLISECONDS.toNanos(Math.min(spec.engineIdleMillis, ExecutorEngines.MAX_IDLE_MILLIS));
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

  /** As {@link #describe(Conv2dBackpropInput)}, for a call that chose its tiles by {@code chosenBy}. */
  public String describe(Conv2dBackpropInput op, OutBackpropScan chosenBy) {
    return packed.fits(op) ? packed.kernel().describe(op, packed, chosenBy) : describe(op);
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
   * depend on the values), found in the same pass. A band of one sample ({@link
   * Conv2dBackpropInput#band} of {@link #op op(1)}) chooses by its own rows in the same way.
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
  private OutBackpropScan scan(Tensor outBackprop) {
    return packed.kernel().scan(outBackprop);
  }
}
