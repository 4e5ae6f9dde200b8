package org.convgrad.spark.job;

import java.io.Serializable;
import java.util.Arrays;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;

/**
 * The op's arguments as the user gave them (TensorFlow's attributes and input_sizes), small and
 * serializable so that tasks rebuild the same {@link Conv2dBackpropInput} for each batch.
 */
public final class OpArgs implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long[] inputSizes;
  private final long[] strides;
  private final String padding;
  private final long[] explicitPaddings;
  private final long[] dilations;
  private final String dataFormat;

  public OpArgs(
      long[] inputSizes, long[] strides, String padding, long[] explicitPaddings, long[] dilations,
      String dataFormat) {
    this.inputSizes = inputSizes.clone();
    this.strides = strides.clone();
    this.padding = padding;
    this.explicitPaddings = explicitPaddings.clone();
    this.dilations = dilations.clone();
    this.dataFormat = dataFormat;
  }

  /** Parses the attributes (an unknown padding or format is an InvalidArgumentException). */
  public ConvParams params() {
    return ConvParams.builder()
        .strides(strides)
        .padding(Padding.parse(padding))
        .explicitPaddings(explicitPaddings)
        .dilations(dilations)
        .dataFormat(DataFormat.parse(dataFormat))
        .build();
  }

  public DataFormat dataFormat() {
    return DataFormat.parse(dataFormat);
  }

  public long[] inputSizes() {
    return inputSizes.clone();
  }

  /**
   * input_sizes for a batch of {@code batch} samples: 4 values get their batch entry replaced (the
   * whole dataset's were validated on the driver), 2 spatial values stay as they are.
   */
  public long[] inputSizesFor(long batch) {
    if (inputSizes.length != 4) {
      return inputSizes.clone();
    }
    long[] out = inputSizes.clone();
    out[dataFormat().batchDim()] = batch;
    return out;
  }

  /**
   * The problem of {@code batch} samples of {@code sampleShape} (one sample's out_backprop shape,
   * without the batch dimension) with a filter of {@code filterShape}.
   */
  public Conv2dBackpropInput op(long batch, long[] sampleShape, Shape filterShape, DType filterType, DType dataType) {
    return Conv2dBackpropInput.of(
        inputSizesFor(batch), filterShape, filterType, batchShape(batch, sampleShape), dataType, params());
  }

  /**
   * The problem of the whole dataset, {@code samples} samples, with input_sizes exactly as given:
   * what the driver validates (a 4-value input_sizes whose batch differs is TensorFlow's error).
   */
  public Conv2dBackpropInput wholeOp(
      long samples, long[] sampleShape, Shape filterShape, DType filterType, DType dataType) {
    return Conv2dBackpropInput.of(
        inputSizes.clone(), filterShape, filterType, batchShape(samples, sampleShape), dataType, params());
  }

  /** {@code [batch, sampleShape...]}. */
  public static Shape batchShape(long batch, long[] sampleShape) {
    long[] dims = new long[sampleShape.length + 1];
    dims[0] = batch;
    System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
    return Shape.of(dims);
  }

  @Override
  public String toString() {
    return "input_sizes=" + Arrays.toString(inputSizes) + ", strides=" + Arrays.toString(strides) + ", padding="
        + padding + (explicitPaddings.length > 0 ? ", explicit_paddings=" + Arrays.toString(explicitPaddings) : "")
        + ", dilations=" + Arrays.toString(dilations) + ", data_format=" + dataFormat;
  }
}
