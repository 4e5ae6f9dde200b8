package org.convgrad.engine;

import java.util.function.Consumer;
import org.convgrad.engine.tensor.Tensor;

/**
 * The one-call entry point: {@code conv2d_backprop_input} as TensorFlow spells it.
 *
 * <pre>{@code
 * Tensor dx = ConvGrad.backpropInput(new long[] {8, 56, 56, 64}, filter, dy,
 *     p -> p.strides(2).padding(Padding.SAME));
 * }</pre>
 *
 * Uses a shared {@link EngineKind#AUTO} engine; build an {@link Engine} to choose kernels or
 * threads.
 */
public final class ConvGrad {
  private ConvGrad() {}

  public static Tensor backpropInput(long[] inputSizes, Tensor filter, Tensor outBackprop, ConvParams params) {
    return Shared.ENGINE.backpropInput(inputSizes, filter, outBackprop, params);
  }

  public static Tensor backpropInput(
      long[] inputSizes, Tensor filter, Tensor outBackprop, Consumer<ConvParams.Builder> params) {
    return backpropInput(inputSizes, filter, outBackprop, ConvParams.of(params));
  }

  /** The input gradient of {@code op} on these tensors (their shapes are checked against it). */
  public static Tensor backpropInput(BackpropInputOp op, Tensor filter, Tensor outBackprop) {
    return Shared.ENGINE.backpropInput(op.bind(filter, outBackprop), filter, outBackprop);
  }

  /** Created on first use, so that the class can be loaded without starting threads. */
  private static final class Shared {
    static final Engine ENGINE = Engine.builder().build();
  }
}
