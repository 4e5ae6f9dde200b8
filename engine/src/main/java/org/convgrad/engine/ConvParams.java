package org.convgrad.engine;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The attributes of {@code Conv2DBackpropInput}: strides, padding, explicit_paddings, dilations,
 * data_format and use_cudnn_on_gpu. Immutable; made by {@link #builder()}.
 *
 * <p>Strides and dilations are kept as given (4 values in data_format order, as TensorFlow's raw
 * op takes them); {@link Builder#strides(long...)} also takes 1 or 2 spatial values as shorthand,
 * like {@code tf.nn.conv2d_transpose}. Values are checked by {@link Conv2dBackpropInput}, which
 * sees them together with the shapes. Serializable, so that a Spark job ships it to its tasks.
 */
public final class ConvParams implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long[] strides;
  private final Padding padding;
  private final long[] explicitPaddings;
  private final long[] dilations;
  private final DataFormat dataFormat;
  private final boolean useCudnnOnGpu;

  private ConvParams(Builder b) {
    this.dataFormat = b.dataFormat;
    this.strides = expand("strides", b.strides, b.dataFormat);
    this.dilations = expand("dilations", b.dilations, b.dataFormat);
    this.padding = b.padding;
    this.explicitPaddings = b.explicitPaddings.clone();
    this.useCudnnOnGpu = b.useCudnnOnGpu;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Parameters built by {@code spec} from the defaults (stride 1, VALID, NHWC). */
  public static ConvParams of(Consumer<Builder> spec) {
    Builder b = builder();
    spec.accept(b);
    return b.build();
  }

  public Builder toBuilder() {
    return new Builder()
        .strides(strides)
        .padding(padding)
        .explicitPaddings(explicitPaddings)
        .dilations(dilations)
        .dataFormat(dataFormat)
        .useCudnnOnGpu(useCudnnOnGpu);
  }

  /** 4 values in data_format order (or, when the caller gave another count, those values). */
  public long[] strides() {
    return strides.clone();
  }

  public Padding padding() {
    return padding;
  }

  public long[] explicitPaddings() {
    return explicitPaddings.clone();
  }

  public long[] dilations() {
    return dilations.clone();
  }

  public DataFormat dataFormat() {
    return dataFormat;
  }

  /**
   * Accepted as TensorFlow accepts it, and changes nothing: convgrad's GPU engine runs its own
   * kernels, never cuDNN, whatever this says (TensorFlow itself ignores it since 2.x).
   */
  public boolean useCudnnOnGpu() {
    return useCudnnOnGpu;
  }

  /** 1 value means the same for height and width, 2 values are (height, width), 4 are kept. */
  private static long[] expand(String name, long[] values, DataFormat format) {
    if (values.length == 1) {
      return format.order(1, values[0], values[0], 1);
    }
    if (values.length == 2) {
      return format.order(1, values[0], values[1], 1);
    }
    return values.clone();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof ConvParams)) {
      return false;
    }
    ConvParams p = (ConvParams) o;
    return Arrays.equals(strides, p.strides) && padding == p.padding
        && Arrays.equals(explicitPaddings, p.explicitPaddings) && Arrays.equals(dilations, p.dilations)
        && dataFormat == p.dataFormat && useCudnnOnGpu == p.useCudnnOnGpu;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(Arrays.hashCode(strides), padding, Arrays.hashCode(explicitPaddings),
        Arrays.hashCode(dilations), dataFormat, useCudnnOnGpu);
  }

  @Override
  public String toString() {
    return "strides="
        + Arrays.toString(strides)
        + ", padding="
        + padding
        + (padding == Padding.EXPLICIT ? ", explicit_paddings=" + Arrays.toString(explicitPaddings) : "")
        + ", dilations="
        + Arrays.toString(dilations)
        + ", data_format="
        + dataFormat;
  }

  /** Defaults: strides 1, VALID, no explicit paddings, dilations 1, NHWC, cuDNN allowed. */
  public static final class Builder {
    private long[] strides = {1, 1, 1, 1};
    private Padding padding = Padding.VALID;
    private long[] explicitPaddings = {};
    private long[] dilations = {1, 1, 1, 1};
    private DataFormat dataFormat = DataFormat.NHWC;
    private boolean useCudnnOnGpu = true;

    private Builder() {}

    /** 4 values in data_format order, or 1 or 2 spatial values as shorthand. */
    public Builder strides(long... strides) {
      this.strides = java.util.Objects.requireNonNull(strides, "strides").clone();
      return this;
    }

    public Builder padding(Padding padding) {
      this.padding = Objects.requireNonNull(padding, "padding");
      return this;
    }

    /** 8 values, (before, after) per dimension in data_format order; only with EXPLICIT. */
    public Builder explicitPaddings(long... explicitPaddings) {
      this.explicitPaddings = Objects.requireNonNull(explicitPaddings, "explicitPaddings").clone();
      return this;
    }

    /** 4 values in data_format order, or 1 or 2 spatial values as shorthand. */
    public Builder dilations(long... dilations) {
      this.dilations = java.util.Objects.requireNonNull(dilations, "dilations").clone();
      return this;
    }

    public Builder dataFormat(DataFormat dataFormat) {
      this.dataFormat = Objects.requireNonNull(dataFormat, "dataFormat");
      return this;
    }

    public Builder useCudnnOnGpu(boolean useCudnnOnGpu) {
      this.useCudnnOnGpu = useCudnnOnGpu;
      return this;
    }

    public ConvParams build() {
      return new ConvParams(this);
    }
  }
}
