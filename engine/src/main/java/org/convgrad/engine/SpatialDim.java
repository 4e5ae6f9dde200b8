package org.convgrad.engine;

/**
 * TensorFlow's windowed-output rule for one spatial dimension ({@code GetWindowedOutputSizeVerbose}),
 * in integer arithmetic that truncates toward zero as C++ does.
 */
final class SpatialDim {
  private SpatialDim() {}

  /** The output size of a dimension, with the pads SAME or EXPLICIT give; {@code [out, before, after]}. */
  static long[] windowedOutput(
      long input, long filter, long stride, long dilation, Padding padding, long explicitBefore, long explicitAfter) {
    // Exact arithmetic: an intermediate that overflows a long is an ArithmeticException, never a
    // wrapped size.
    long effectiveFilter = Math.addExact(Math.multiplyExact(filter - 1, dilation), 1);
    switch (padding) {
      case VALID:
        return new long[] {Math.addExact(Math.subtractExact(input, effectiveFilter), stride) / stride, 0, 0};
      case EXPLICIT: {
        long padded = Math.addExact(Math.addExact(input, explicitBefore), explicitAfter);
        return new long[] {Math.addExact(Math.subtractExact(padded, effectiveFilter), stride) / stride, explicitBefore, explicitAfter};
      }
      default: {
        long out = Math.addExact(input, stride - 1) / stride;
        long needed = Math.max(0, Math.addExact(Math.multiplyExact(out - 1, stride), effectiveFilter) - input);
        return new long[] {out, needed / 2, needed - needed / 2};
      }
    }
  }

  /**
   * Checks one dimension of a problem and returns its {@code [pad_before, pad_after]}.
   *
   * @param dim the dimension's index in data_format order, as TensorFlow's messages name it
   */
  static long[] resolve(
      long input, long filter, long actualOutput, long stride, long dilation, Padding padding,
      long explicitBefore, long explicitAfter, int dim) {
    if (stride <= 0) {
      throw new InvalidArgumentException("Stride must be > 0, but got " + stride + " (strides[" + dim + "])");
    }
    if (dilation < 1) {
      throw new InvalidArgumentException("Dilation rate must be >= 1, but got " + dilation + " (dilations[" + dim + "])");
    }
    long[] w = checkedOutput(input, filter, stride, dilation, padding, explicitBefore, explicitAfter, dim);
    if (w[0] != actualOutput) {
      throw new InvalidArgumentException(
          "Conv2DBackpropInput: Size of out_backprop doesn't match computed: actual = " + actualOutput
              + ", computed = " + w[0] + " spatial_dim: " + dim + " input: " + input + " filter: " + filter
              + " output: " + actualOutput + " stride: " + stride + " dilation: " + dilation + ". "
              + consistentInputs(filter, actualOutput, stride, dilation, padding, explicitBefore, explicitAfter));
    }
    return new long[] {w[1], w[2]};
  }

  /**
   * The output size of a dimension whose stride and dilation are positive: what out_backprop's
   * size must be.
   *
   * @throws InvalidArgumentException when it would be negative or the sizes overflow a long
   */
  static long outputSize(
      long input, long filter, long stride, long dilation, Padding padding, long explicitBefore, long explicitAfter) {
    return checkedOutput(input, filter, stride, dilation, padding, explicitBefore, explicitAfter, -1)[0];
  }

  private static long[] checkedOutput(
      long input, long filter, long stride, long dilation, Padding padding, long explicitBefore, long explicitAfter,
      int dim) {
    long[] w;
    try {
      w = windowedOutput(input, filter, stride, dilation, padding, explicitBefore, explicitAfter);
    } catch (ArithmeticException e) {
      throw new InvalidArgumentException(
          "Sizes overflow a 64-bit integer in spatial dimension" + (dim < 0 ? "" : " " + dim) + ": input " + input
              + ", filter " + filter + ", stride " + stride + ", dilation " + dilation + ", paddings "
              + explicitBefore + "/" + explicitAfter);
    }
    long effectiveFilter = (filter - 1) * dilation + 1;
    if (w[0] < 0) {
      throw new InvalidArgumentException(
          "Computed output size would be negative: " + w[0] + " [input_size: " + input + ", effective_filter_size: "
              + effectiveFilter + ", stride: " + stride + "]");
    }
    return w;
  }

  /**
   * Which input sizes give this out_backprop size. With stride s several do (TensorFlow issue
   * #2118): the forward convolution's input size is not recoverable from its output size alone.
   */
  static String consistentInputs(
      long filter, long output, long stride, long dilation, Padding padding, long before, long after) {
    // The output size never decreases as the input grows, so two binary searches bound the range.
    long lo = firstInputReaching(output, filter, stride, dilation, padding, before, after);
    long hi = firstInputReaching(output + 1, filter, stride, dilation, padding, before, after) - 1;
    if (lo > hi) {
      return "No input size gives an out_backprop of size " + output + " with this filter, stride and padding.";
    }
    String sizes = lo == hi ? "input size " + lo : "input sizes " + lo + " to " + hi;
    return "This out_backprop is consistent with " + sizes + " in this dimension (" + padding
        + ", stride " + stride + "); pass the forward convolution's input size in input_sizes.";
  }

  private static long firstInputReaching(
      long output, long filter, long stride, long dilation, Padding padding, long before, long after) {
    long lo = 0;
    long hi = 1L << 62;
    while (lo < hi) {
      long mid = (lo + hi) >>> 1;
      if (reaches(mid, output, filter, stride, dilation, padding, before, after)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** Whether input size {@code input} gives at least {@code output}; sizes past a long do. */
  private static boolean reaches(
      long input, long output, long filter, long stride, long dilation, Padding padding, long before, long after) {
    try {
      return windowedOutput(input, filter, stride, dilation, padding, before, after)[0] >= output;
    } catch (ArithmeticException e) {
      return true;
    }
  }
}
