package org.convgrad.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.simd.SimdBackpropInputKernel;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.engine.testing.Problem;
import org.convgrad.engine.testing.Views;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every CPU kernel reads an out_backprop and writes a result that are views into larger arrays (the
 * rows of a band inside a large tensor's chunk) in place: the bits of plain tensors, every element
 * of the result written whatever it held, nothing outside either view read or written. Over random
 * problems and over each of the SIMD kernel's tiles (Winograd at strides 1 and 2, block, dot,
 * pixel, pointwise) in every dtype and layout. The GPU kernel's are GpuEmulatedKernelTest's.
 */
class KernelViewsTest {
  private static final WorkPool POOL = new WorkPool(2);

  @AfterAll
  static void close() {
    POOL.close();
  }

  /** NHWC-ordered {n, h, w, in, out, k, stride} (SAME) and the float32 tiles that run it. */
  private static final Object[][] TILES = {
      {new long[] {1, 9, 10, 16, 16, 3, 1}, "winograd"},
      {new long[] {2, 8, 9, 16, 12, 4, 2}, "winograd"}, // per stride phase
      {new long[] {2, 9, 8, 16, 12, 5, 2}, "winograd"}, // per stride phase, sub-filters of 3 and 2 taps
      {new long[] {2, 7, 6, 33, 19, 3, 2}, "winograd"}, // per stride phase, sub-filters of 2 and 1 taps
      {new long[] {2, 7, 6, 33, 19, 2, 2}, "block"}, // with 8 and 16 lanes alike
      {new long[] {1, 6, 7, 17, 16, 2, 2}, "dot"},
      {new long[] {2, 11, 9, 3, 24, 7, 2}, "pixel"},
      {new long[] {3, 5, 4, 33, 20, 1, 1}, "block"}}; // pointwise

  static Stream<Arguments> problems() {
    List<Arguments> out = new ArrayList<>();
    for (DType t : DType.values()) {
      for (DataFormat f : DataFormat.values()) {
        for (Object[] c : TILES) {
          long[] s = (long[]) c[0];
          out.add(Arguments.of(op(t, f, s), t == DType.FLOAT32 ? c[1] : "", t + " " + f + " " + Arrays.toString(s)));
        }
      }
    }
    for (long seed = 0; seed < 48; seed++) {
      DType t = DType.values()[(int) (seed % 4)];
      Problem p = Problem.random(seed, t, seed % 3 == 0 ? DataFormat.NCHW : DataFormat.NHWC, true);
      out.add(Arguments.of(p.op, "", "seed " + seed));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{2}")
  @MethodSource("problems")
  void aKernelComputesFromAViewIntoAViewThePlainTensorsBits(Conv2dBackpropInput op, String tiles, String name) {
    Tensor[] wdy = operands(op);
    for (BackpropInputKernel k : kernels(op)) {
      if (k instanceof SimdBackpropInputKernel && !tiles.isEmpty()) {
        assertTrue(k.describe(op).contains(tiles + "-f32"), k.describe(op) + " for " + name);
      }
      PackedFilter packed = k.pack(op, wdy[0]);
      Tensor plain = Tensor.zeros(op.dtype(), op.inputShape());
      k.compute(op, packed, wdy[1], plain, POOL);
      Tensor dy = Views.copyOf(wdy[1]);
      Tensor dx = Views.fenced(op.dtype(), op.inputShape()); // every element a NaN the kernel must overwrite
      k.compute(op, packed, dy, dx, POOL);
      String context = k.describe(op) + " " + op;
      Views.assertSameBits(plain, dx, context);
      Views.assertFencesIntact(dx, context + ", result");
      Views.assertFencesIntact(dy, context + ", out_backprop");
      Views.assertSameBits(wdy[1], dy, context + ": out_backprop changed");
    }
  }

  private static List<BackpropInputKernel> kernels(Conv2dBackpropInput op) {
    List<BackpropInputKernel> k = new ArrayList<>(List.of(new ReferenceKernel()));
    SimdBackpropInputKernel simd = new SimdBackpropInputKernel();
    if (SimdBackpropInputKernel.unusableReason() == null && simd.supports(op)) {
      k.add(simd);
    }
    return k;
  }

  private static Conv2dBackpropInput op(DType t, DataFormat f, long[] s) {
    long oh = (s[1] + s[6] - 1) / s[6];
    long ow = (s[2] + s[6] - 1) / s[6];
    ConvParams params = ConvParams.of(b -> b.strides(s[6], s[6]).padding(Padding.SAME).dataFormat(f));
    return Conv2dBackpropInput.of(f.order(s[0], s[1], s[2], s[3]), Shape.of(s[5], s[5], s[3], s[4]), t,
        Shape.of(f.order(s[0], oh, ow, s[4])), t, params);
  }

  private static Tensor[] operands(Conv2dBackpropInput op) {
    var r = new SplittableRandom(op.toString().hashCode());
    return new Tensor[] {Problem.randomTensor(r, op.dtype(), op.filterShape()),
        Problem.randomTensor(r, op.dtype(), op.outBackpropShape())};
  }
}
