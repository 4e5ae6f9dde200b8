package org.convgrad.engine;

import java.io.Serializable;
import java.util.Arrays;
import java.util.function.Consumer;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * {@code conv2d_backprop_input} as a user describes it before any tensor is at hand: input_sizes
 * and the attributes ({@link ConvParams}). Everything TensorFlow checks without shapes is checked
 * when it is built, with TensorFlow's messages; {@link #bind} adds the tensors' shapes and gives
 * the validated problem, {@link Conv2dBackpropInput}. Immutable and serializable: this one value
 * travels from the command line, the job API or a notebook to every Spark task.
 *
 * <pre>{@code
 * BackpropInputOp op = BackpropInputOp.of(b -> b.inputSizes(56, 56).strides(2).padding(Padding.SAME));
 * Conv2dBackpropInput problem = op.bind(filter, dy);   // the shapes' checks
 * long[] sample = op.outBackpropSampleShape(filter.shape()); // [28, 28, out_c]: what dy must be
 * }</pre>
 */
public final class BackpropInputOp implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long[] inputSizes;
  private final ConvParams params;

  private BackpropInputOp(long[] inputSizes, ConvParams params) {
    Conv2dBackpropInput.checkAttributes(params);
    Conv2dBackpropInput.checkInputSizes(inputSizes);
    this.inputSizes = inputSizes.clone();
    this.params = params;
  }

  /** The op of {@code inputSizes} and {@code params}, checked. */
  public static BackpropInputOp of(long[] inputSizes, ConvParams params) {
    return new BackpropInputOp(inputSizes, params);
  }

  /** The op built by {@code spec} from the defaults (stride 1, VALID, NHWC); input_sizes must be given. */
  public static BackpropInputOp of(Consumer<Builder> spec) {
    Builder b = builder();
    spec.accept(b);
    return b.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().inputSizes(inputSizes).params(params);
  }

  /** 4 values in data_format order, or 2 spatial values. */
  public long[] inputSizes() {
    return inputSizes.clone();
  }

  public ConvParams params() {
    return params;
  }

  public DataFormat dataFormat() {
    return params.dataFormat();
  }

  /** The validated problem of a filter and an out_backprop of these shapes and dtypes. */
  public Conv2dBackpropInput bind(Shape filterShape, DType filterType, Shape outBackpropShape, DType outBackpropType) {
    return Conv2dBackpropInput.of(inputSizes, filterShape, filterType, outBackpropShape, outBackpropType, params);
  }

  /** The validated problem of these tensors. */
  public Conv2dBackpropInput bind(Tensor filter, Tensor outBackprop) {
    return Conv2dBackpropInput.of(inputSizes, filter, outBackprop, params);
  }

  /**
   * The problem of one batch of {@code batch} samples, each of shape {@code sampleShape} (an
   * out_backprop sample without its batch dimension): a 4-value input_sizes gets its batch entry
   * replaced (a dataset as a whole is validated with {@link #bind}), 2 spatial values stay.
   */
  public Conv2dBackpropInput bindBatch(
      long batch, long[] sampleShape, Shape filterShape, DType filterType, DType dataType) {
    long[] sizes = inputSizes.clone();
    if (sizes.length == 4) {
      sizes[params.dataFormat().batchDim()] = batch;
    }
    return Conv2dBackpropInput.of(sizes, filterShape, filterType, batchShape(batch, sampleShape), dataType, params);
  }

  /**
   * The shape out_backprop must have for one sample with a filter of {@code filterShape}: {@code
   * [oh, ow, out_c]} (NHWC) or {@code [out_c, oh, ow]} (NCHW), by TensorFlow's output-size rule.
   *
   * @throws InvalidArgumentException when the filter is not 4-D or an output size would be negative
   */
  public long[] outBackpropSampleShape(Shape filterShape) {
    if (filterShape.rank() != 4) {
      throw new InvalidArgumentException(
          "Conv2DBackpropInput: filter must be 4-dimensional [filter_height, filter_width, in_depth, out_depth], but"
              + " its shape is " + filterShape);
    }
    DataFormat f = params.dataFormat();
    long[] strides = params.strides();
    long[] dilations = params.dilations();
    long[] pads = params.explicitPaddings();
    int[] spatial = {f.heightDim(), f.widthDim()};
    long[] out = new long[2];
    for (int i = 0; i < 2; i++) {
      int d = spatial[i];
      long input = inputSizes.length == 4 ? inputSizes[d] : inputSizes[i];
      out[i] = SpatialDim.outputSize(input, filterShape.get(i), strides[d], dilations[d], params.padding(),
          pads.length == 8 ? pads[2 * d] : 0, pads.length == 8 ? pads[2 * d + 1] : 0);
    }
    long[] whole = f.order(1, out[0], out[1], filterShape.get(3));
    return Arrays.copyOfRange(whole, 1, 4);
  }

  /** {@code [batch, sampleShape...]}. */
  public static Shape batchShape(long batch, long[] sampleShape) {
    long[] dims = new long[sampleShape.length + 1];
    dims[0] = batch;
    System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
    return Shape.of(dims);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof BackpropInputOp && Arrays.equals(inputSizes, ((BackpropInputOp) o).inputSizes)
        && params.equals(((BackpropInputOp) o).params);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(inputSizes) + params.hashCode();
  }

  @Override
  public String toString() {
    return "input_sizes=" + Arrays.toString(inputSizes) + ", " + params;
  }

  /**
   * input_sizes and the attributes; the attribute setters are {@link ConvParams.Builder}'s. Defaults:
   * no input_sizes (it must be given), stride 1, VALID, dilation 1, NHWC.
   */
  public static final class Builder {
    private long[] inputSizes = {};
    private final ConvParams.Builder params = ConvParams.builder();

    private Builder() {}

    /** 4 values in data_format order ({@code 8, 56, 56, 64}), or 2 spatial values ({@code 56, 56}). */
    public Builder inputSizes(long... inputSizes) {
      this.inputSizes = java.util.Objects.requireNonNull(inputSizes, "inputSizes").clone();
      return this;
    }

    /** 4 values in data_format order, or 1 or 2 spatial values as shorthand. */
    public Builder strides(long... strides) {
      params.strides(strides);
      return this;
    }

    public Builder padding(Padding padding) {
      params.padding(padding);
      return this;
    }

    /** 8 values, (before, after) per dimension in data_format order; only with EXPLICIT. */
    public Builder explicitPaddings(long... explicitPaddings) {
      params.explicitPaddings(explicitPaddings);
      return this;
    }

    /** 4 values in data_format order, or 1 or 2 spatial values as shorthand. */
    public Builder dilations(long... dilations) {
      params.dilations(dilations);
      return this;
    }

    public Builder dataFormat(DataFormat dataFormat) {
      params.dataFormat(dataFormat);
      return this;
    }

    public Builder useCudnnOnGpu(boolean useCudnnOnGpu) {
      params.useCudnnOnGpu(useCudnnOnGpu);
      return this;
    }

    /** Every attribute at once, from {@code p}. */
    public Builder params(ConvParams p) {
      params.strides(p.strides()).padding(p.padding()).explicitPaddings(p.explicitPaddings())
          .dilations(p.dilations()).dataFormat(p.dataFormat()).useCudnnOnGpu(p.useCudnnOnGpu());
      return this;
    }

    /**
     * The op, checked as TensorFlow checks input_sizes and the attributes.
     *
     * @throws InvalidArgumentException with TensorFlow's message
     */
    public BackpropInputOp build() {
      return new BackpropInputOp(inputSizes, params.build());
    }
  }
}
