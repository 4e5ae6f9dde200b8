package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.engine.testing.Problem;
import org.convgrad.engine.testing.Views;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real CUDA kernels, executed on the CPU by the emulated device through the GPU kernel's own
 * planning, parameter blocks and chunking, against the reference kernel: the awkward shapes of the
 * SIMD tests (channels 1, 3, 15, 16, 17, 33; sizes 1, 2, 7, 31; strides 1-4; every padding;
 * dilations; groups; both layouts; every dtype), the GPU's tile boundaries, empty outputs and
 * batches, and random problems. Each problem runs with the planner's choice and with every
 * strategy that can compute it forced.
 */
class GpuEmulatedKernelTest {
  private static EmulatedGpu gpu;

  @BeforeAll
  static void start() {
    gpu = EmulatedGpu.start();
  }

  @AfterAll
  static void stop() {
    if (gpu != null) {
      gpu.close();
    }
  }

  static List<GpuCase> shapes() {
    List<GpuCase> c = new ArrayList<>();
    for (int ic : new int[] {1, 3, 15, 16, 17, 33}) {
      for (int oc : new int[] {1, 3, 16, 17}) {
        c.add(GpuCase.of(2, 7, 7, ic, 3, oc, 1, Padding.SAME));
        c.add(GpuCase.of(1, 7, 7, ic, 3, oc, 2, Padding.VALID));
      }
    }
    for (int size : new int[] {1, 2, 7, 31}) {
      for (int s = 1; s <= 4; s++) {
        for (Padding pad : new Padding[] {Padding.SAME, Padding.VALID}) {
          if (pad == Padding.VALID && size < 3) {
            continue;
          }
          c.add(GpuCase.of(1, size, size, 9, 3, 6, s, pad));
        }
      }
    }
    c.add(GpuCase.explicit(2, 9, 11, 18, 3, 4, 20, 2, 3, 0, 0, 2, 1, 0, 3, 0, 0));
    c.add(GpuCase.explicit(1, 13, 10, 16, 5, 2, 8, 3, 1, 0, 0, 4, 0, 1, 5, 0, 0));
    // Filter larger than the input; out_backprop of spatial size 0 (VALID, i=1, k=5, s=3).
    c.add(GpuCase.of(1, 3, 3, 12, 7, 5, 1, Padding.SAME));
    c.add(GpuCase.of(1, 3, 3, 12, 7, 5, 2, Padding.SAME));
    c.add(GpuCase.of(2, 1, 1, 12, 5, 9, 3, Padding.VALID));
    c.add(new GpuCase(2, 4, 1, 12, 1, 5, 12, 9, 1, 3, 1, 1, Padding.VALID, new long[0], DataFormat.NHWC,
        DType.FLOAT32)); // ow = (1 - 5 + 3) / 3 = 0
    // Pointwise.
    c.add(GpuCase.of(3, 7, 5, 33, 1, 19, 1, Padding.VALID));
    // Dilations, with strides; huge dilation with stride 3 (period of the phase taps > 1).
    c.add(GpuCase.of(2, 12, 13, 17, 3, 9, 1, Padding.SAME).dilated(2));
    c.add(GpuCase.of(1, 15, 15, 8, 3, 20, 2, Padding.SAME).dilated(3));
    c.add(GpuCase.of(1, 9, 9, 18, 2, 5, 3, Padding.VALID).dilated(2));
    c.add(new GpuCase(1, 11, 10, 10, 3, 2, 10, 8, 3, 2, 2, 4, Padding.SAME, new long[0], DataFormat.NHWC, DType.FLOAT32));
    // Groups: depthwise, few and many channels per group.
    c.add(GpuCase.of(2, 9, 9, 8, 3, 8, 1, Padding.SAME).grouped(8));
    c.add(GpuCase.of(1, 9, 9, 34, 3, 6, 2, Padding.SAME).grouped(2));
    c.add(GpuCase.of(1, 8, 8, 48, 3, 48, 1, Padding.SAME).grouped(3));
    c.add(GpuCase.of(1, 7, 7, 64, 3, 32, 2, Padding.VALID).grouped(4));
    // S3-like: 3 in channels, 7x7, stride 2.
    c.add(GpuCase.of(2, 23, 22, 3, 7, 64, 2, Padding.SAME));
    // Tile boundaries: GEMM rows (pixels of a phase) 127/128/129 and 63/64/65, in channels 63/64/65,
    // out channels around the K chunks (8 on CUDA cores, 16 on tensor cores).
    for (int pixels : new int[] {63, 64, 65, 127, 128, 129}) {
      c.add(GpuCase.of(1, 1, pixels, 16, 1, 8, 1, Padding.VALID));
    }
    for (int ic : new int[] {63, 64, 65}) {
      c.add(GpuCase.of(1, 3, 5, ic, 1, 9, 1, Padding.VALID));
    }
    for (int oc : new int[] {7, 8, 9, 15, 16, 17, 31, 33}) {
      c.add(GpuCase.of(1, 4, 5, 16, 2, oc, 1, Padding.SAME));
    }
    c.add(GpuCase.of(3, 13, 11, 16, 3, 16, 2, Padding.SAME)); // rows of a phase cross samples in a tile
    // Every layout and dtype over a few shapes.
    List<GpuCase> base = List.of(
        GpuCase.of(2, 9, 8, 17, 3, 19, 2, Padding.SAME),
        GpuCase.of(1, 11, 11, 3, 7, 40, 2, Padding.SAME),
        GpuCase.of(2, 6, 6, 32, 3, 18, 1, Padding.SAME).grouped(2).dilated(2),
        GpuCase.of(2, 5, 6, 33, 1, 16, 1, Padding.VALID),
        GpuCase.of(1, 9, 10, 24, 3, 20, 1, Padding.SAME),
        GpuCase.explicit(2, 7, 9, 20, 3, 3, 17, 2, 2, 0, 0, 1, 2, 2, 0, 0, 0));
    for (GpuCase b : base) {
      for (DataFormat f : DataFormat.values()) {
        for (DType t : DType.values()) {
          c.add(b.with(f).with(t));
        }
      }
    }
    c.add(GpuCase.of(1, 31, 31, 17, 4, 16, 3, Padding.SAME).with(DataFormat.NCHW).with(DType.FLOAT64));
    c.add(GpuCase.of(1, 1, 1, 3, 5, 4, 3, Padding.VALID).with(DataFormat.NCHW).with(DType.HALF));
    return c;
  }

  /** Every strategy that computes the case, and the planner's choice (null). */
  static List<@Nullable Strategy> strategies(Conv2dBackpropInput op) {
    List<@Nullable Strategy> s = new ArrayList<>();
    s.add(null);
    s.add(Strategy.DIRECT);
    if (LaunchPlanner.gemmFits(op.geometry())) {
      s.add(Strategy.IMPLICIT_GEMM);
      if (Strategy.TENSOR_CORE.accepts(op.dtype())) {
        s.add(Strategy.TENSOR_CORE);
      }
    }
    return s;
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (GpuCase c : shapes()) {
      for (Strategy s : strategies(c.op())) {
        out.add(Arguments.of(c, s == null ? "planned" : s.label(c.dtype())));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void matchesReference(GpuCase c, String strategy) {
    Conv2dBackpropInput op = c.op();
    Strategy s = strategy.equals("planned") ? null : strategyOf(strategy);
    Tensor[] wdy = EmulatedGpu.operands(op, c.toString().hashCode());
    Tensor dx = EmulatedGpu.run(gpu.kernel(s), op, wdy[0], wdy[1]);
    GpuAsserts.assertMatchesReference(op, wdy[0], wdy[1], dx, c + " " + strategy);
  }

  static Strategy strategyOf(String label) {
    for (Strategy s : Strategy.values()) {
      for (DType t : DType.values()) {
        if (s.label(t).equals(label)) {
          return s;
        }
      }
    }
    throw new IllegalArgumentException(label);
  }

  /** Random problems over everything the op accepts (the differential tests' generator). */
  static Stream<Arguments> randomProblems() {
    List<Arguments> out = new ArrayList<>();
    long seed = 9000;
    for (DType t : DType.values()) {
      for (DataFormat f : DataFormat.values()) {
        for (int i = 0; i < 12; i++) {
          out.add(Arguments.of(seed++, t, f));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "seed {0} {1} {2}")
  @MethodSource("randomProblems")
  void randomProblemsMatchTheReference(long seed, DType t, DataFormat f) {
    Problem p = Problem.random(seed, t, f, true);
    for (Strategy s : strategies(p.op)) {
      Tensor dx = EmulatedGpu.run(gpu.kernel(s), p.op, p.filter, p.outBackprop);
      GpuAsserts.assertMatchesReference(p.op, p.filter, p.outBackprop, dx, p + " " + s);
    }
  }

  static Stream<Arguments> viewCases() {
    List<Arguments> out = new ArrayList<>();
    for (GpuCase b : List.of(GpuCase.of(2, 9, 8, 17, 3, 19, 2, Padding.SAME), GpuCase.of(2, 5, 6, 33, 1, 16, 1, Padding.VALID))) {
      for (DataFormat f : DataFormat.values()) {
        for (DType t : DType.values()) {
          out.add(Arguments.of(b.with(f).with(t)));
        }
      }
    }
    return out.stream();
  }

  /**
   * out_backprop and the result as views into larger arrays (a band's rows inside a large tensor's
   * chunk): copied to and from the device in place, the bits of plain tensors, nothing outside the
   * views touched.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("viewCases")
  void viewsAreCopiedToAndFromTheDeviceInPlace(GpuCase c) {
    Conv2dBackpropInput op = c.op();
    Tensor[] wdy = EmulatedGpu.operands(op, c.toString().hashCode());
    for (Strategy s : strategies(op)) {
      Tensor plain = EmulatedGpu.run(gpu.kernel(s), op, wdy[0], wdy[1]);
      Tensor dy = Views.copyOf(wdy[1]);
      Tensor dx = Views.fenced(op.dtype(), op.inputShape());
      gpu.kernel(s).compute(op, wdy[0], dy, dx, WorkPool.singleThreaded());
      Views.assertSameBits(plain, dx, c + " " + s);
      Views.assertFencesIntact(dx, c + " " + s + ", result");
      Views.assertFencesIntact(dy, c + " " + s + ", out_backprop");
    }
  }

  @Test
  void anEmptyBatchAndAnEmptyResultLaunchNothingAndReturnEmptyTensors() {
    for (GpuCase c : List.of(GpuCase.of(0, 5, 5, 16, 3, 8, 1, Padding.SAME), GpuCase.of(2, 0, 5, 16, 3, 8, 1, Padding.SAME))) {
      Conv2dBackpropInput op = c.op();
      Tensor[] wdy = EmulatedGpu.operands(op, 1);
      for (Strategy s : strategies(op)) {
        assertEquals(0, EmulatedGpu.run(gpu.kernel(s), op, wdy[0], wdy[1]).size(), c.toString());
      }
    }
  }

  /**
   * Geometries beyond int indexing: a stride of 2^31 - 1 and a left pad of 2^32 (TensorFlow accepts
   * both); the kernels index in int64.
   */
  @Test
  void geometriesBeyondIntIndexing() {
    Shape w = Shape.of(3, 3, 16, 8);
    Conv2dBackpropInput huge = Conv2dBackpropInput.of(new long[] {1, 5, 5, 16}, w, DType.FLOAT32,
        Shape.of(1, 1, 1, 8), DType.FLOAT32, ConvParams.of(p -> p.strides(Integer.MAX_VALUE).padding(Padding.SAME)));
    Conv2dBackpropInput padded = Conv2dBackpropInput.of(new long[] {1, 5, 5, 16}, w, DType.FLOAT32,
        Shape.of(1, 3, 5, 8), DType.FLOAT32,
        ConvParams.of(p -> p.strides(1, 1 << 30).padding(Padding.EXPLICIT).explicitPaddings(0, 0, 0, 0, 1L << 32, 0, 0, 0)));
    for (Conv2dBackpropInput op : List.of(huge, padded)) {
      Tensor[] wdy = EmulatedGpu.operands(op, 3);
      for (Strategy s : strategies(op)) {
        GpuAsserts.assertMatchesReference(op, wdy[0], wdy[1], EmulatedGpu.run(gpu.kernel(s), op, wdy[0], wdy[1]), op + " " + s);
      }
    }
  }

  /**
   * A filter with inf and NaN: the planner sends it to the direct kernel, which skips the taps
   * outside out_backprop as the reference does (a GEMM would multiply masked zeros by inf).
   */
  @Test
  void nonFiniteFilterValuesReachOnlyWhatTheReferenceGivesThem() {
    Conv2dBackpropInput op = GpuCase.of(1, 12, 12, 16, 7, 8, 2, Padding.SAME).op();
    Tensor[] wdy = EmulatedGpu.operands(op, 11);
    double[] wv = wdy[0].toDoubleArray().clone();
    wv[0] = Double.POSITIVE_INFINITY;
    wv[wv.length - 1] = Double.NaN;
    Tensor w = Tensor.fromDoubles(DType.FLOAT32, op.filterShape(), wv);
    assertEquals(Strategy.IMPLICIT_GEMM, gpu.kernel(null).strategy(op, true));
    assertEquals(Strategy.DIRECT, gpu.kernel(null).strategy(op, false));
    Tensor dx = EmulatedGpu.run(gpu.kernel(null), op, w, wdy[1]);
    GpuAsserts.assertMatchesReference(op, w, wdy[1], dx, "non-finite filter");
    Tensor expected = GpuAsserts.reference(op, w, wdy[1]);
    int finite = 0;
    for (int i = 0; i < expected.size(); i++) {
      finite += Double.isFinite(expected.getFlat(i)) ? 1 : 0;
    }
    org.junit.jupiter.api.Assertions.assertTrue(finite > 0 && finite < expected.size(), "some, not all, elements are finite");
  }
}
