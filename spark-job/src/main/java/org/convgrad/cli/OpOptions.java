package org.convgrad.cli;

import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import picocli.CommandLine.Option;

/**
 * The op's attributes as command-line options: one definition for {@code convgrad backprop-input}
 * and the Spark job ({@code convgrad-spark-submit}).
 */
public final class OpOptions {
  @Option(
      names = "--strides",
      split = ",",
      paramLabel = "S",
      description = "Strides: 4 values in data-format order (1,2,2,1), or 1 or 2 spatial values (2 or 2,2). Default: 1.")
  public long[] strides = {1};

  @Option(
      names = "--padding",
      required = true,
      paramLabel = "SAME|VALID|EXPLICIT",
      converter = PaddingConverter.class,
      description = "TensorFlow's padding scheme.")
  public Padding padding;

  @Option(
      names = "--explicit-paddings",
      split = ",",
      paramLabel = "P",
      description = "With EXPLICIT only: 8 values, before/after per dimension in data-format order, e.g. 0,0,1,2,1,2,0,0.")
  public long[] explicitPaddings = {};

  @Option(
      names = "--dilations",
      split = ",",
      paramLabel = "D",
      description = "Dilations: 4 values in data-format order, or 1 or 2 spatial values. Default: 1.")
  public long[] dilations = {1};

  @Option(
      names = "--data-format",
      paramLabel = "NHWC|NCHW",
      converter = DataFormatConverter.class,
      description = "Layout of out_backprop and the result (the filter is always HWIO). Default: NHWC.")
  public DataFormat dataFormat = DataFormat.NHWC;

  public ConvParams toParams() {
    return ConvParams.builder()
        .strides(strides)
        .padding(padding)
        .explicitPaddings(explicitPaddings)
        .dilations(dilations)
        .dataFormat(dataFormat)
        .build();
  }

  static final class PaddingConverter implements picocli.CommandLine.ITypeConverter<Padding> {
    @Override
    public Padding convert(String value) {
      return Padding.parse(value);
    }
  }

  static final class DataFormatConverter implements picocli.CommandLine.ITypeConverter<DataFormat> {
    @Override
    public DataFormat convert(String value) {
      return DataFormat.parse(value);
    }
  }
}
