package org.convgrad.engine;

import java.util.List;
import java.util.function.Consumer;
import org.convgrad.engine.kernel.BackpropInputKernel;
import org.convgrad.engine.kernel.KernelRegistry;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Tensor;

/**
 * Computes {@code conv2d_backprop_input} with the best kernel of its {@link EngineKind} that accepts
 * the problem, on a thread pool it owns. Thread-safe; close it to stop its threads.
 */
public final class Engine implements AutoCloseable {
  private final EngineKind kind;
  private final List<BackpropInputKernel> kernels;
  private final WorkPool pool;

  private Engine(Builder b) {
    this.kind = b.kind;
    this.kernels = KernelRegistry.kernelsFor(b.kind);
    this.pool = new WorkPool(b.threads);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** An engine built by {@code spec} from the defaults (AUTO, one thread per processor). */
  public static Engine create(Consumer<Builder> spec) {
    Builder b = builder();
    spec.accept(b);
    return b.build();
  }

  public EngineKind kind() {
    return kind;
  }

  public int threads() {
    return pool.threads();
  }

  /** The kernel this engine runs for {@code op}. */
  public BackpropInputKernel kernelFor(Conv2dBackpropInput op) {
    for (BackpropInputKernel k : kernels) {
      if (k.supports(op)) {
        return k;
      }
    }
    throw new InvalidArgumentException(
        "engine " + kind.name().toLowerCase() + " has no kernel for " + op + " (kernels: " + names() + ")");
  }

  /** The input gradient of {@code op}, a new tensor of shape {@code op.inputShape()}. */
  public Tensor backpropInput(Conv2dBackpropInput op, Tensor filter, Tensor outBackprop) {
    op.checkOperands(filter, outBackprop);
    Tensor result = Tensor.zeros(op.dtype(), op.inputShape());
    kernelFor(op).compute(op, filter, outBackprop, result, pool);
    return result;
  }

  /** Validates and computes in one call, as TensorFlow's op does. */
  public Tensor backpropInput(long[] inputSizes, Tensor filter, Tensor outBackprop, ConvParams params) {
    return backpropInput(Conv2dBackpropInput.of(inputSizes, filter, outBackprop, params), filter, outBackprop);
  }

  private String names() {
    StringBuilder sb = new StringBuilder();
    for (BackpropInputKernel k : kernels) {
      sb.append(sb.length() == 0 ? "" : ", ").append(k.name());
    }
    return sb.toString();
  }

  @Override
  public void close() {
    pool.close();
  }

  public static final class Builder {
    private EngineKind kind = EngineKind.AUTO;
    private int threads = Runtime.getRuntime().availableProcessors();

    private Builder() {}

    public Builder kind(EngineKind kind) {
      this.kind = kind;
      return this;
    }

    /** Worker threads, the caller's included; at least 1. */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new InvalidArgumentException("threads must be at least 1, but got " + threads);
      }
      this.threads = threads;
      return this;
    }

    public Engine build() {
      return new Engine(this);
    }
  }
}
