package org.convgrad.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.engine.testing.Problem;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code <conv2d(x, w), dy> == <x, conv2d_backprop_input(dy, w)>}, in float64, for every engine kind. */
class AdjointIdentityTest {
  @ParameterizedTest
  @EnumSource(value = EngineKind.class, names = {"SCALAR", "AUTO", "SIMD"})
  void holdsOnRandomProblems(EngineKind kind) {
    try (Engine engine = Engine.create(b -> b.kind(kind).threads(2))) {
      for (long seed = 0; seed < 200; seed++) {
        DataFormat format = DataFormat.values()[(int) (seed % 2)];
        Problem p = Problem.random(seed, DType.FLOAT64, format, true);
        Tensor x = Problem.randomTensor(new SplittableRandom(~seed), DType.FLOAT64, p.op.inputShape());
        Tensor y = ReferenceConv2dForward.forward(p.op, x, p.filter);
        Tensor dx = engine.backpropInput(p.op, p.filter, p.outBackprop);
        double lhs = dot(y, p.outBackprop);
        double rhs = dot(x, dx);
        assertEquals(lhs, rhs, 1e-9 * Math.max(1, Math.abs(lhs)), p.toString());
      }
    }
  }

  private static double dot(Tensor a, Tensor b) {
    double[] x = a.float64Data();
    double[] y = b.float64Data();
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += x[i] * y[i];
    }
    return s;
  }
}
