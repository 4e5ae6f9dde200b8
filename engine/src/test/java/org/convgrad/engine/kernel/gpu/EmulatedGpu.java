package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * One emulated device for a test class, and GPU kernels on it: the planner's choice, or one
 * strategy forced. Skips the test class, with the reason, only where g++ is missing.
 */
final class EmulatedGpu implements AutoCloseable {
  private static final WorkPool POOL = WorkPool.singleThreaded();

  final EmulatedDevice device;
  private final GpuBackpropInputKernel planned;
  private final Map<Strategy, GpuBackpropInputKernel> forced = new EnumMap<>(Strategy.class);

  EmulatedGpu(long memory, GpuOptions options) {
    String why = GpuEmulator.unavailableReason();
    assumeTrue(why == null, why);
    device = new EmulatedDevice(memory);
    planned = new GpuBackpropInputKernel(device, options);
    for (Strategy s : Strategy.values()) {
      forced.put(s, new GpuBackpropInputKernel(device, options.withForced(s)));
    }
  }

  static EmulatedGpu start() {
    return new EmulatedGpu(1L << 30, GpuOptions.defaults().withReserveBytes(0));
  }

  /** The kernel running {@code s}, or the planner's choice for null. */
  GpuBackpropInputKernel kernel(@Nullable Strategy s) {
    return s == null ? planned : forced.get(s);
  }

  /** The result of {@code op} by kernel {@code k}, from the emulated device. */
  static Tensor run(GpuBackpropInputKernel k, Conv2dBackpropInput op, Tensor w, Tensor dy) {
    Tensor out = Tensor.zeros(op.dtype(), op.inputShape());
    k.compute(op, w, dy, out, POOL);
    return out;
  }

  static Tensor[] operands(Conv2dBackpropInput op, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    return new Tensor[] {GpuAsserts.random(op.dtype(), op.filterShape(), rnd), GpuAsserts.random(op.dtype(), op.outBackpropShape(), rnd)};
  }

  @Override
  public void close() {
    // The kernels share the device: closing the first closes it; the rest only free their state.
    planned.close();
    for (GpuBackpropInputKernel k : forced.values()) {
      k.close();
    }
  }
}
