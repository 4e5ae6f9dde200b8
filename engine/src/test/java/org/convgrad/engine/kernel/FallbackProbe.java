package org.convgrad.engine.kernel;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/**
 * Run by {@link SimdFallbackTest} in a JVM without {@code --add-modules jdk.incubator.vector}:
 * prints which kernel AUTO and SIMD engines pick, and whether the result is the reference's.
 */
public final class FallbackProbe {
  private FallbackProbe() {}

  public static void main(String[] args) {
    Conv2dBackpropInput op =
        Conv2dBackpropInput.of(
            new long[] {1, 5, 5, 3}, Shape.of(3, 3, 3, 4), DType.FLOAT32, Shape.of(1, 3, 3, 4), DType.FLOAT32,
            ConvParams.of(b -> b.strides(2).padding(Padding.SAME)));
    float[] w = new float[3 * 3 * 3 * 4];
    float[] dy = new float[3 * 3 * 4];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 7) - 3;
    }
    for (int i = 0; i < dy.length; i++) {
      dy[i] = (i % 5) - 2;
    }
    Tensor filter = Tensor.ofFloat32(op.filterShape(), w);
    Tensor outBackprop = Tensor.ofFloat32(op.outBackpropShape(), dy);
    try (Engine auto = Engine.create(b -> b.kind(EngineKind.AUTO).threads(2));
        Engine simd = Engine.create(b -> b.kind(EngineKind.SIMD).threads(2));
        Engine scalar = Engine.create(b -> b.kind(EngineKind.SCALAR).threads(1))) {
      System.out.println("auto=" + auto.kernelFor(op).name());
      System.out.println("simd=" + simd.kernelFor(op).name());
      float[] expected = scalar.backpropInput(op, filter, outBackprop).float32Data();
      float[] actual = simd.backpropInput(op, filter, outBackprop).float32Data();
      System.out.println("same=" + java.util.Arrays.equals(expected, actual));
    }
  }
}
