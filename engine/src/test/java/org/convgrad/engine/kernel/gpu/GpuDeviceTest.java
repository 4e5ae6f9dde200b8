package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * On a real GPU (device {@code convgrad.gpu.device}, default 0): the emulated tests' problems with
 * every strategy against the reference kernel, and bitwise determinism over 3 runs and 2
 * chunkings. Skipped with the probe's reason where no GPU is usable (this machine and CI);
 * engine/src/test/gpu/run-on-gpu.sh runs it on a GPU machine.
 */
class GpuDeviceTest {
  private static final int ORDINAL = Integer.getInteger("convgrad.gpu.device", 0);
  private static final WorkPool POOL = WorkPool.singleThreaded();
  private static final List<GpuBackpropInputKernel> KERNELS = new ArrayList<>();

  @BeforeAll
  static void requireGpu() {
    GpuProbe p = GpuSupport.probe(ORDINAL);
    assumeTrue(p.usable(), "no usable GPU: " + p.reason());
  }

  @AfterAll
  static void close() {
    for (GpuBackpropInputKernel k : KERNELS) {
      k.close();
    }
    KERNELS.clear();
  }

  /** A kernel on the device, with the planner's choice (null) or a forced strategy. */
  static synchronized GpuBackpropInputKernel kernel(@Nullable Strategy s, GpuOptions base) {
    GpuBackpropInputKernel k =
        new GpuBackpropInputKernel(new JCudaDriverBinding().open(ORDINAL, Fatbin.image()), base.withForced(s));
    KERNELS.add(k);
    return k;
  }

  static Stream<Arguments> cases() {
    return GpuEmulatedKernelTest.cases();
  }

  private static final java.util.Map<String, GpuBackpropInputKernel> BY_STRATEGY = new java.util.HashMap<>();

  private static synchronized GpuBackpropInputKernel kernelFor(String strategy) {
    return BY_STRATEGY.computeIfAbsent(strategy, s -> kernel(
        s.equals("planned") ? null : GpuEmulatedKernelTest.strategyOf(s), GpuOptions.defaults()));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void matchesReference(GpuCase c, String strategy) {
    Conv2dBackpropInput op = c.op();
    Tensor[] wdy = EmulatedGpu.operands(op, c.toString().hashCode());
    Tensor dx = Tensor.zeros(op.dtype(), op.inputShape());
    kernelFor(strategy).compute(op, wdy[0], wdy[1], dx, POOL);
    GpuAsserts.assertMatchesReference(op, wdy[0], wdy[1], dx, c + " " + strategy + " on device " + ORDINAL);
  }

  @Test
  void threeRunsAndTwoChunkingsGiveTheSameBits() {
    for (GpuCase c : GpuChunkingDeterminismTest.problems()) {
      GpuCase big = c.batch(64);
      Conv2dBackpropInput op = big.op();
      Tensor[] wdy = EmulatedGpu.operands(op, 21);
      List<long[]> results = new ArrayList<>();
      for (long chunk : new long[] {Long.MAX_VALUE, 7}) {
        GpuBackpropInputKernel k = kernel(null, GpuOptions.defaults().withMaxChunkBatch(chunk));
        PackedFilter p = k.pack(op, wdy[0]);
        for (int run = 0; run < 3; run++) {
          Tensor dx = Tensor.zeros(op.dtype(), op.inputShape());
          k.compute(op, p, wdy[1], dx, POOL);
          results.add(GpuAsserts.bits(dx));
        }
      }
      for (int i = 1; i < results.size(); i++) {
        assertArrayEquals(results.get(0), results.get(i), big + ": run " + i + " (chunks of 7 from run 3)");
      }
    }
  }

  @Test
  void anEngineOnTheDeviceSaysWhatRuns() {
    Conv2dBackpropInput op = GpuCase.of(2, 9, 9, 32, 3, 32, 1, org.convgrad.engine.Padding.SAME).op();
    try (Engine e = Engine.create(b -> b.kind(EngineKind.GPU).device(ORDINAL))) {
      String d = e.kernelFor(op).describe(op);
      assertTrue(d.startsWith("gpu (implicit-gemm-f32, device " + ORDINAL + " "), d);
      Tensor[] wdy = EmulatedGpu.operands(op, 4);
      PackedFilter p = e.pack(op, wdy[0]);
      assertEquals(PackedLayout.bytes(op.geometry(), op.dtype()), p.bytes());
      GpuAsserts.assertMatchesReference(op, wdy[0], wdy[1], e.backpropInput(op, p, wdy[1]), d);
    }
    try (Engine auto = Engine.create(b -> b.kind(EngineKind.AUTO).device(ORDINAL))) {
      assertEquals("gpu", auto.kernelFor(op).name(), "AUTO runs a usable GPU first");
    }
  }
}
