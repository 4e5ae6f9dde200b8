package org.convgrad.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.engine.testing.Problem;
import org.convgrad.engine.testing.ScatterOracle;
import org.convgrad.engine.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReferenceKernelTest {
  private static final ReferenceKernel KERNEL = new ReferenceKernel();

  static Stream<Arguments> problems() {
    return Stream.of(DType.values())
        .flatMap(t -> Stream.of(DataFormat.values()).flatMap(f -> LongStream.range(0, 40).mapToObj(s -> Arguments.of(t, f, s))));
  }

  @ParameterizedTest(name = "{0} {1} seed {2}")
  @MethodSource("problems")
  void equalsTheScatterFormulationOnRandomProblems(DType dtype, DataFormat format, long seed) {
    Problem p = Problem.random(seed * 31 + dtype.ordinal() * 7 + format.ordinal(), dtype, format, true);
    ScatterOracle oracle = ScatterOracle.compute(p.op, p.filter, p.outBackprop);
    Tolerance.assertClose(oracle.asTensor(p.op), run(p.op, p.filter, p.outBackprop, 1), oracle.magnitude, p.toString());
  }

  @Test
  void resultDoesNotDependOnTheThreadCount() {
    for (long seed = 0; seed < 20; seed++) {
      Problem p = Problem.random(seed, DType.FLOAT32, DataFormat.NHWC, true);
      float[] one = run(p.op, p.filter, p.outBackprop, 1).float32Data();
      for (int threads : new int[] {2, 3, 7}) {
        assertArrayEquals(one, run(p.op, p.filter, p.outBackprop, threads).float32Data(), p + ", threads " + threads);
      }
    }
  }

  @Test
  void zeroOutputSizeGivesZeros() {
    // VALID with input 1, filter 5, stride 3: o = (1 - 5 + 3) / 3 = 0 in C's truncating division.
    ConvParams params = ConvParams.of(b -> b.strides(3).padding(Padding.VALID));
    Tensor filter = Tensor.fromDoubles(DType.FLOAT32, Shape.of(5, 5, 2, 3), new double[150]);
    Tensor dy = Tensor.zeros(DType.FLOAT32, Shape.of(2, 0, 0, 3));
    Conv2dBackpropInput op = Conv2dBackpropInput.of(new long[] {2, 1, 1, 2}, filter, dy, params);
    Tensor dx = run(op, filter, dy, 2);
    assertEquals(Shape.of(2, 1, 1, 2), dx.shape());
    assertArrayEquals(new float[4], dx.float32Data());
  }

  @Test
  void emptyBatchGivesAnEmptyResult() {
    ConvParams params = ConvParams.of(b -> b.padding(Padding.SAME));
    Tensor filter = Tensor.zeros(DType.FLOAT64, Shape.of(3, 3, 4, 5));
    Tensor dy = Tensor.zeros(DType.FLOAT64, Shape.of(0, 6, 6, 5));
    Conv2dBackpropInput op = Conv2dBackpropInput.of(new long[] {0, 6, 6, 4}, filter, dy, params);
    assertEquals(0, run(op, filter, dy, 2).size());
  }

  @Test
  void handWorkedStrideTwoExample() {
    // 1-D along the width: input 4, filter [1, 2, 3], stride 2, SAME -> o = 2, pad_total = 1,
    // pad_before = 0. dx[x] = sum over taps with x - kx = 2 * ox.
    ConvParams params = ConvParams.of(b -> b.strides(1, 2).padding(Padding.SAME));
    Tensor filter = Tensor.ofFloat32(Shape.of(1, 3, 1, 1), new float[] {1, 2, 3});
    Tensor dy = Tensor.ofFloat32(Shape.of(1, 1, 2, 1), new float[] {10, 100});
    Conv2dBackpropInput op = Conv2dBackpropInput.of(new long[] {1, 1, 4, 1}, filter, dy, params);
    // x=0: kx=0,ox=0 -> 1*10; x=1: kx=1,ox=0 -> 2*10; x=2: kx=2,ox=0 -> 3*10 + kx=0,ox=1 -> 1*100;
    // x=3: kx=1,ox=1 -> 2*100.
    assertArrayEquals(new float[] {10, 20, 130, 200}, run(op, filter, dy, 1).float32Data());
  }

  private static Tensor run(Conv2dBackpropInput op, Tensor filter, Tensor dy, int threads) {
    Tensor dx = Tensor.zeros(op.dtype(), op.inputShape());
    try (WorkPool pool = new WorkPool(threads)) {
      KERNEL.compute(op, filter, dy, dx, pool);
    }
    return dx;
  }
}
