package org.convgrad.engine.tf;

import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.engine.testing.Problem;
import org.convgrad.engine.testing.ScatterOracle;
import org.convgrad.engine.testing.Tolerance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * convgrad returns what TensorFlow returns: seeded random problems over batch, sizes, channels,
 * filter sizes (larger than the input, even), strides 1-4 (larger than the filter too), the three
 * paddings, both layouts, dilations, groups, 2-value input_sizes and every dtype, on every CPU
 * engine kind. Tolerances per dtype are in {@link Tolerance}.
 */
class TensorFlowDifferentialTest {
  private static final int PROBLEMS_PER_CASE = 40;
  private static Engine scalar;
  private static Engine auto;

  @BeforeAll
  static void engines() {
    scalar = Engine.create(b -> b.kind(EngineKind.SCALAR).threads(2));
    auto = Engine.create(b -> b.kind(EngineKind.AUTO).threads(2));
  }

  @AfterAll
  static void close() {
    scalar.close();
    auto.close();
  }

  static Stream<Arguments> cases() {
    return Stream.of(DType.values())
        .flatMap(t -> Stream.of(DataFormat.values()).map(f -> Arguments.of(t, f)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void matchesTensorFlowOnRandomProblems(DType dtype, DataFormat format) {
    LongStream.range(0, PROBLEMS_PER_CASE).forEach(i -> {
      long seed = 1_000 * dtype.ordinal() + 100 * format.ordinal() + i;
      Problem p = Problem.random(seed, dtype, format, true);
      Tensor expected = TensorFlowReference.backpropInput(p.op, p.inputSizes, p.filter, p.outBackprop);
      double[] scale = ScatterOracle.compute(p.op, p.filter, p.outBackprop).magnitude;
      Tolerance.assertClose(expected, scalar.backpropInput(p.op, p.filter, p.outBackprop), scale, "scalar, " + p);
      Tolerance.assertClose(expected, auto.backpropInput(p.op, p.filter, p.outBackprop), scale, "auto, " + p);
    });
  }
}
