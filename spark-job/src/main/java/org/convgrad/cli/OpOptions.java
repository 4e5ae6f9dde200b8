package org.convgrad.cli;

import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import picocli.CommandLine.Option;

/**
 * The op as command-line options, one definition for {@code convgrad backprop-input} and the
 * Spark job ({@code convgrad-spark-submit}); {@link #toOp()} turns them into the one typed
 * description ({@link BackpropInputOp}) that the rest of convgrad uses. Each option is given at
 * most once.
 */
public final class OpOptions {
  @Option(
      names = "--input-sizes",
      required = true,
      paramLabel = "N",
      converter = Longs.Converter.class,
      description = "Shape of the convolution's input: 4 values in data-format order (8,56,56,64), or 2 spatial values"
          + " (56,56): batch from out_backprop, depth from the filter.")
  public Longs inputSizes = Longs.of();

  @Option(
      names = "--strides",
      paramLabel = "S",
      converter = Longs.Converter.class,
      description = "Strides: 4 values in data-format order (1,2,2,1), or 1 or 2 spatial values (2 or 2,2). Default: 1.")
  public Longs strides = Longs.of(1);

  @Option(
      names = "--padding",
      required = true,
      paramLabel = "SAME|VALID|EXPLICIT",
      description = "TensorFlow's padding scheme.")
  public String padding = "";

  @Option(
      names = "--explicit-paddings",
      paramLabel = "P",
      converter = Longs.Converter.class,
      description = "With EXPLICIT only: 8 values, before/after per dimension in data-format order, e.g. 0,0,1,2,1,2,0,0.")
  public Longs explicitPaddings = Longs.of();

  @Option(
      names = "--dilations",
      paramLabel = "D",
      converter = Longs.Converter.class,
      description = "Dilations: 4 values in data-format order, or 1 or 2 spatial values. Default: 1.")
  public Longs dilations = Longs.of(1);

  @Option(
      names = "--data-format",
      paramLabel = "NHWC|NCHW",
      description = "Layout of out_backprop and the result (the filter is always HWIO). Default: NHWC.")
  public String dataFormat = "NHWC";

  /**
   * The op these options describe, checked as TensorFlow checks input_sizes and the attributes.
   *
   * @throws org.convgrad.engine.InvalidArgumentException with TensorFlow's message
   */
  public BackpropInputOp toOp() {
    return BackpropInputOp.builder()
        .inputSizes(inputSizes.values())
        .strides(strides.values())
        .padding(Padding.parse(padding))
        .explicitPaddings(explicitPaddings.values())
        .dilations(dilations.values())
        .dataFormat(DataFormat.parse(dataFormat))
        .build();
  }
}
