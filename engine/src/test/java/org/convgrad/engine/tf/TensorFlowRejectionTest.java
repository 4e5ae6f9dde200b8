package org.convgrad.engine.tf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Consumer;
import java.util.stream.Stream;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every check TensorFlow makes, made by convgrad too: each case runs through TF's kernel and
 * through the descriptor, both must reject it, and each message must say what TF's says (convgrad
 * adds the values and what was expected).
 */
class TensorFlowRejectionTest {
  /** One rejected input: the phrase TF's message holds and the one convgrad's holds. */
  record Case(String name, long[] inputSizes, long[] filter, long[] dy, Consumer<ConvParams.Builder> params, String tfSays, String weSay) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> cases() {
    long[] f = {3, 3, 2, 4};
    return Stream.of(
        new Case("out_backprop too large", new long[] {1, 5, 5, 2}, f, new long[] {1, 4, 4, 4}, p -> p.padding(Padding.VALID),
            "Size of out_backprop doesn't match computed: actual = 4, computed = 3", "Size of out_backprop doesn't match computed: actual = 4, computed = 3"),
        new Case("stride 2 mismatch (TF issue 2118)", new long[] {1, 5, 5, 2}, f, new long[] {1, 2, 2, 4}, p -> p.strides(2).padding(Padding.SAME),
            "actual = 2, computed = 3", "consistent with input sizes 3 to 4"),
        new Case("negative output", new long[] {1, 1, 1, 2}, f, new long[] {1, 0, 0, 4}, p -> p.padding(Padding.VALID),
            "Computed output size would be negative: -1", "Computed output size would be negative: -1"),
        new Case("batch stride", new long[] {1, 5, 5, 2}, f, new long[] {1, 3, 3, 4}, p -> p.strides(2, 1, 1, 1),
            "does not yet support strides in the batch and depth dimensions", "does not yet support strides in the batch and depth dimensions"),
        new Case("3 strides", new long[] {1, 5, 5, 2}, f, new long[] {1, 3, 3, 4}, p -> p.strides(1, 1, 1),
            "Sliding window strides field must specify 4 dimensions", "Sliding window strides field must specify 4 dimensions"),
        new Case("zero stride", new long[] {1, 5, 5, 2}, f, new long[] {1, 3, 3, 4}, p -> p.strides(1, 0, 1, 1),
            "Row and column strides should be larger than 0", "Row and column strides should be larger than 0"),
        new Case("6 explicit paddings", new long[] {1, 5, 5, 2}, f, new long[] {1, 3, 3, 4}, p -> p.padding(Padding.EXPLICIT).explicitPaddings(0, 0, 0, 0, 0, 0),
            "explicit_paddings attribute must contain 8 values, but got: 6", "explicit_paddings attribute must contain 8 values, but got: 6"),
        new Case("EXPLICIT without paddings", new long[] {1, 5, 5, 2}, f, new long[] {1, 3, 3, 4}, p -> p.padding(Padding.EXPLICIT),
            "must contain 8 values, but got: 0", "must contain 8 values, but got: 0"),
        new Case("paddings with SAME", new long[] {1, 5, 5, 2}, f, new long[] {1, 5, 5, 4}, p -> p.padding(Padding.SAME).explicitPaddings(0, 0, 1, 1, 1, 1, 0, 0),
            "explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT", "must be empty if the padding attribute is not EXPLICIT"),
        new Case("negative padding", new long[] {1, 5, 5, 2}, f, new long[] {1, 3, 3, 4}, p -> p.padding(Padding.EXPLICIT).explicitPaddings(0, 0, -1, 1, 0, 0, 0, 0),
            "All elements of explicit_paddings must be nonnegative", "All elements of explicit_paddings must be nonnegative"),
        new Case("batch padding", new long[] {1, 5, 5, 2}, f, new long[] {1, 3, 3, 4}, p -> p.padding(Padding.EXPLICIT).explicitPaddings(1, 0, 0, 0, 0, 0, 0, 0),
            "Nonzero explicit padding in the batch or depth dimensions is not supported", "Nonzero explicit padding in the batch or depth dimensions is not supported"),
        new Case("depth not divisible", new long[] {1, 5, 5, 5}, f, new long[] {1, 3, 3, 4}, p -> p.padding(Padding.VALID),
            "input depth must be evenly divisible by filter depth", "input depth must be evenly divisible by filter depth"),
        new Case("filter depth 0", new long[] {1, 5, 5, 2}, new long[] {3, 3, 0, 4}, new long[] {1, 3, 3, 4}, p -> p.padding(Padding.VALID),
            "filter depth must be strictly greated than zero", "filter depth must be strictly greater than zero"),
        new Case("batch dilation", new long[] {1, 5, 5, 2}, f, new long[] {1, 3, 3, 4}, p -> p.dilations(2, 1, 1, 1),
            "does not yet support dilations in the batch and depth dimensions", "does not yet support dilations in the batch and depth dimensions"),
        new Case("3 dilations", new long[] {1, 5, 5, 2}, f, new long[] {1, 3, 3, 4}, p -> p.dilations(1, 1, 1),
            "Sliding window dilations field must specify 4 dimensions", "Sliding window dilations field must specify 4 dimensions"),
        new Case("batch mismatch", new long[] {2, 5, 5, 2}, f, new long[] {3, 3, 3, 4}, p -> p.padding(Padding.VALID),
            "input and out_backprop must have the same batch size. Input batch: 2, outbackprop batch: 3", "input and out_backprop must have the same batch size. Input batch: 2, outbackprop batch: 3"),
        new Case("out depth mismatch", new long[] {1, 5, 5, 2}, f, new long[] {1, 3, 3, 5}, p -> p.padding(Padding.VALID),
            "filter and out_backprop must have the same out_depth", "filter and out_backprop must have the same out_depth"),
        new Case("3 input sizes", new long[] {1, 5, 5}, f, new long[] {1, 3, 3, 4}, p -> p.padding(Padding.VALID),
            "requires input_sizes to contain 4 values or 2 values, but got: 3", "requires input_sizes to contain 4 values or 2 values, but got: 3"),
        new Case("filter rank 3", new long[] {1, 5, 5, 2}, new long[] {3, 3, 2}, new long[] {1, 3, 3, 4}, p -> p.padding(Padding.VALID),
            "filter must be 4-dimensional", "filter must be 4-dimensional"),
        new Case("out_backprop rank 3", new long[] {1, 5, 5, 2}, f, new long[] {3, 3, 4}, p -> p.padding(Padding.VALID),
            "must be 4-dimensional", "out_backprop must be 4-dimensional"),
        new Case("negative input size", new long[] {1, -3, 5, 2}, f, new long[] {1, 3, 3, 4}, p -> p.padding(Padding.VALID),
            "Dimension -3 must be >= 0", "Dimension -3 must be >= 0"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void rejectedLikeTensorFlow(Case c) {
    ConvParams params = ConvParams.of(c.params);
    Shape filter = Shape.of(c.filter);
    Shape dy = Shape.of(c.dy);
    RuntimeException tf = assertThrows(RuntimeException.class, () -> TensorFlowOracle.run(
        DType.FLOAT32, c.inputSizes, new byte[(int) filter.elementCount() * 4], filter,
        new byte[(int) dy.elementCount() * 4], dy, params.strides(), params.padding().name(),
        params.explicitPaddings(), params.dilations(), DataFormat.NHWC));
    // TF's exceptions (TFInvalidArgumentException, TFUnimplementedException) share no base class
    // below RuntimeException; the package says the rejection is TF's own.
    assertTrue(tf.getClass().getPackageName().equals("org.tensorflow.exceptions"), "TF threw " + tf);
    assertTrue(tf.getMessage().contains(c.tfSays), "TF said: " + tf.getMessage());
    InvalidArgumentException ours = assertThrows(InvalidArgumentException.class,
        () -> Conv2dBackpropInput.of(c.inputSizes, filter, DType.FLOAT32, dy, DType.FLOAT32, params));
    assertTrue(ours.getMessage().contains(c.weSay), "convgrad said: " + ours.getMessage());
  }
}
