package org.convgrad.spark.task;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.broadcast.Broadcast;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.job.EngineChoice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each executor JVM builds once per job and shares between its tasks: the decoded job
 * description, the filter and the engine (with its threads), keyed by the job's broadcast. A new
 * job's broadcast replaces (and closes) the previous job's engine.
 */
public final class ExecutorEngines {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngines.class);

  /** Engines built in this JVM since it started (tests check that tasks share one). */
  static final AtomicInteger BUILDS = new AtomicInteger();

  private static Holder current;

  /** One job's executor-side state. */
  public static final class Holder {
    final long broadcastId;
    public final JobSpec spec;
    public final Tensor filter;
    public final Engine engine;
    private final ConcurrentMap<Long, Conv2dBackpropInput> ops = new ConcurrentHashMap<>();

    Holder(long broadcastId, JobSpec spec) {
      this.broadcastId = broadcastId;
      this.spec = spec;
      this.filter = spec.filter();
      int threads = Math.max(1, spec.threads);
      this.engine = Engine.create(b -> b.kind(EngineChoice.parse(spec.engine).cpuKind()).threads(threads));
    }

    /** The validated problem of a batch of {@code batch} samples (cached per batch size). */
    public Conv2dBackpropInput op(long batch) {
      return ops.computeIfAbsent(
          batch,
          n -> spec.op.op(n, spec.dataset.sampleShape(), filter.shape(), filter.dtype(), spec.dataset.dtype()));
    }
  }

  private ExecutorEngines() {}

  /** This JVM's state for the job of {@code spec}, built on first use. */
  public static synchronized Holder acquire(Broadcast<byte[]> spec, org.apache.spark.util.LongAccumulator built) {
    if (current != null && current.broadcastId == spec.id()) {
      return current;
    }
    if (current != null) {
      current.engine.close();
    }
    current = new Holder(spec.id(), JobSpec.fromBytes(spec.value()));
    BUILDS.incrementAndGet();
    built.add(1);
    LOG.info("convgrad job {}: engine {} with {} thread(s) built for this executor",
        current.spec.jobId, current.spec.engine, current.engine.threads());
    return current;
  }

  /** Engines built in this JVM so far. */
  public static int builds() {
    return BUILDS.get();
  }
}
