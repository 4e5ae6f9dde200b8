package org.convgrad.engine;

import java.util.Arrays;
import java.util.function.Consumer;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * The problem descriptor of {@code conv2d_backprop_input}: TensorFlow's arguments, validated once
 * with every check TensorFlow makes (in TensorFlow's order and, where it is clear, its wording), and
 * the geometry computed once. Immutable; every kernel takes one.
 */
public final class Conv2dBackpropInput {
  private static final String OP = "Conv2DBackpropInput";

  private final ConvParams params;
  private final DType dtype;
  private final Shape inputShape;
  private final Shape filterShape;
  private final Shape outBackpropShape;
  private final ConvGeometry geometry;
  private final @Nullable RowBand band;

  private Conv2dBackpropInput(
      ConvParams params, DType dtype, Shape inputShape, Shape filterShape, Shape outBackpropShape, ConvGeometry geometry,
      @Nullable RowBand band) {
    this.params = params;
    this.dtype = dtype;
    this.inputShape = inputShape;
    this.filterShape = filterShape;
    this.outBackpropShape = outBackpropShape;
    this.geometry = geometry;
    this.band = band;
  }

  /**
   * Validates a problem.
   *
   * @param inputSizes the convolution input's shape: 4 values in data_format order, or 2 spatial
   *     values (batch then comes from out_backprop, depth from the filter)
   * @param filterShape {@code [fh, fw, in_depth / groups, out_depth]}
   * @param filterType the filter's element type
   * @param outBackpropShape {@code [n, oh, ow, out_depth]} (NHWC) or {@code [n, out_depth, oh, ow]}
   * @param outBackpropType out_backprop's element type, which must be the filter's
   * @throws InvalidArgumentException for every input TensorFlow rejects
   */
  public static Conv2dBackpropInput of(
      long[] inputSizes,
      Shape filterShape,
      DType filterType,
      Shape outBackpropShape,
      DType outBackpropType,
      ConvParams params) {
    if (filterType != outBackpropType) {
      throw new InvalidArgumentException(
          OP + ": filter and out_backprop must have the same dtype, but filter is " + filterType.tfName()
              + " and out_backprop is " + outBackpropType.tfName());
    }
    DataFormat format = params.dataFormat();
    checkAttributes(params);
    if (filterShape.rank() != 4) {
      throw new InvalidArgumentException(
          OP + ": filter must be 4-dimensional [filter_height, filter_width, in_depth, out_depth], but its shape is "
              + filterShape);
    }
    if (outBackpropShape.rank() != 4) {
      throw new InvalidArgumentException(
          OP + ": out_backprop must be 4-dimensional, but its shape is " + outBackpropShape + " (expected "
              + format + ")");
    }
    Shape inputShape = inputShapeFrom(inputSizes, filterShape, outBackpropShape, format);
    ConvGeometry geometry = computeGeometry(inputShape, filterShape, outBackpropShape, params);
    // Counts must fit a long; whether one tensor can hold them is checked where tensors are
    // allocated, so that a dataset larger than one tensor can be validated as a whole.
    inputShape.elementCount();
    filterShape.elementCount();
    outBackpropShape.elementCount();
    return new Conv2dBackpropInput(params, filterType, inputShape, filterShape, outBackpropShape, geometry, null);
  }

  /** Validates the problem of these tensors. */
  public static Conv2dBackpropInput of(long[] inputSizes, Tensor filter, Tensor outBackprop, ConvParams params) {
    return of(inputSizes, filter.shape(), filter.dtype(), outBackprop.shape(), outBackprop.dtype(), params);
  }

  /** Validates the problem of these tensors with parameters built by {@code spec}. */
  public static Conv2dBackpropInput of(
      long[] inputSizes, Tensor filter, Tensor outBackprop, Consumer<ConvParams.Builder> spec) {
    return of(inputSizes, filter, outBackprop, ConvParams.of(spec));
  }

  public ConvParams params() {
    return params;
  }

  public DType dtype() {
    return dtype;
  }

  /** The result's shape: the convolution input's, 4 values in data_format order. */
  public Shape inputShape() {
    return inputShape;
  }

  public Shape filterShape() {
    return filterShape;
  }

  public Shape outBackpropShape() {
    return outBackpropShape;
  }

  public ConvGeometry geometry() {
    return geometry;
  }

  /** Where this band problem lies in the problem it was cut from, or null when it is not a band. */
  public @Nullable RowBand bandOf() {
    return band;
  }

  /** The problem this one was cut from: itself when it is not a band. */
  public Conv2dBackpropInput whole() {
    return band == null ? this : band.whole();
  }

  /**
   * The problem of result rows {@code [firstRow, endRow)} of sample {@code sample} alone: a problem of
   * batch 1 whose out_backprop is the rows of that sample that reach the band ({@link RowBand}), whose
   * result is the band's rows, and whose every element is the same sum over the same terms as in this
   * problem. Its pads are whatever maps the band's rows onto those out_backprop rows, so they may be
   * negative: a band problem is made here, never validated as TensorFlow arguments.
   *
   * <p>Kernels give a band the whole problem's bits where they tile rows in a fixed grid: cut bands
   * at multiples of {@link #bandAlignment()} (the last band may end anywhere).
   */
  public Conv2dBackpropInput band(long sample, long firstRow, long endRow) {
    ConvGeometry g = geometry;
    if (sample < 0 || sample >= g.batch()) {
      throw new InvalidArgumentException(OP + ": band sample " + sample + " is outside the batch of " + g.batch());
    }
    if (firstRow < 0 || endRow <= firstRow || endRow > g.inHeight()) {
      throw new InvalidArgumentException(
          OP + ": band rows [" + firstRow + ", " + endRow + ") are not a non-empty range of the result's "
              + g.inHeight() + " rows");
    }
    if (band != null) { // a band of a band (of batch 1, rows counted from its first): one of the whole
      return band.whole().band(band.sample(), band.firstRow() + firstRow, band.firstRow() + endRow);
    }
    long s = g.strideH();
    long reach = (g.filterHeight() - 1) * g.dilationH();
    // The lowest out row that reaches firstRow, or lower: never above firstRow + padTop, so that the
    // band's top pad stays non-negative.
    long from = Math.min(Math.floorDiv(firstRow + g.padTop() - reach + s - 1, s), Math.floorDiv(firstRow + g.padTop(), s));
    // A sample's first band reads from row 0: rows above the band that reach nothing are read too.
    long firstOut = firstRow == 0 ? 0 : Math.max(0, Math.min(g.outHeight(), from));
    // And its last band reads to the last row: so that the bands of a sample read all of its
    // out_backprop between them, and can check what the whole problem chose its tiles by.
    long endOut = endRow == g.inHeight() ? g.outHeight()
        : Math.max(firstOut, Math.min(g.outHeight(), Math.floorDiv(endRow - 1 + g.padTop(), s) + 1));
    long rows = endRow - firstRow;
    long outRows = endOut - firstOut;
    long padTop = g.padTop() + firstRow - firstOut * s;
    long padBottom = outRows == 0 ? 0 : (outRows - 1) * s + reach + 1 - rows - padTop;
    ConvGeometry bg =
        new ConvGeometry(
            1, rows, g.inWidth(), g.inDepth(), outRows, g.outWidth(), g.outDepth(), g.filterHeight(), g.filterWidth(),
            g.filterInDepth(), g.groups(), s, g.strideW(), g.dilationH(), g.dilationW(), padTop, padBottom,
            g.padLeft(), g.padRight(), g.dataFormat());
    DataFormat f = g.dataFormat();
    return new Conv2dBackpropInput(
        params, dtype, Shape.of(f.order(1, rows, g.inWidth(), g.inDepth())), filterShape,
        Shape.of(f.order(1, outRows, g.outWidth(), g.outDepth())), bg,
        new RowBand(this, sample, firstRow, endRow, firstOut, endOut));
  }

  /**
   * The row multiple bands should start at: the height of the SIMD kernel's Winograd blocks, counted
   * from the first result row. A block is two stride-rows tall, or four for a 3x3 filter at stride 2
   * (its F(4x4, 2x2) blocks, {@code Winograd.side}); a band that started inside one would sum its
   * rows in other blocks, and so round them otherwise than the whole call.
   */
  public long bandAlignment() {
    long s = geometry.strideH();
    return (geometry.filterHeight() == 3 && s == 2 ? 4 : 2) * s;
  }

  /** Rejects tensors whose shape or dtype differ from the ones this problem was validated for. */
  public void checkOperands(Tensor filter, Tensor outBackprop) {
    if (!filter.shape().equals(filterShape) || filter.dtype() != dtype) {
      throw new InvalidArgumentException(
          OP + ": filter is " + filter + " but the problem was built for " + dtype + " " + filterShape);
    }
    if (!outBackprop.shape().equals(outBackpropShape) || outBackprop.dtype() != dtype) {
      throw new InvalidArgumentException(
          OP + ": out_backprop is " + outBackprop + " but the problem was built for " + dtype + " "
              + outBackpropShape);
    }
  }

  @Override
  public String toString() {
    return OP + "(input=" + inputShape + ", filter=" + filterShape + ", out_backprop=" + outBackpropShape + ", "
        + dtype + ", " + params + (band == null ? "" : ", band: " + band) + ")";
  }

  /**
   * TensorFlow's checks of the attributes alone (strides, dilations, padding and
   * explicit_paddings), which need no shapes: {@link BackpropInputOp} makes them when it is built.
   */
  static void checkAttributes(ConvParams params) {
    DataFormat format = params.dataFormat();
    checkWindowAttribute("strides", "strides", params.strides(), format);
    for (long s : params.strides()) {
      if (s <= 0) {
        throw new InvalidArgumentException(
            "Row and column strides should be larger than 0, but strides is " + Arrays.toString(params.strides()));
      }
    }
    checkWindowAttribute("dilations", "dilations", params.dilations(), format);
    for (long d : params.dilations()) {
      if (d <= 0) {
        throw new InvalidArgumentException(
            "Dilated rates should be larger than 0, but dilations is " + Arrays.toString(params.dilations()));
      }
    }
    checkPaddings(params, format);
  }

  /** TensorFlow's checks of input_sizes alone: 4 or 2 values, none negative. */
  static void checkInputSizes(long[] inputSizes) {
    if (inputSizes.length != 4 && inputSizes.length != 2) {
      throw new InvalidArgumentException(
          OP + " requires input_sizes to contain 4 values or 2 values, but got: " + inputSizes.length + " "
              + Arrays.toString(inputSizes));
    }
    for (long d : inputSizes) {
      if (d < 0) {
        throw new InvalidArgumentException(
            OP + ": input_sizes " + Arrays.toString(inputSizes) + ": Dimension " + d + " must be >= 0");
      }
    }
  }

  private static void checkWindowAttribute(String what, String plural, long[] values, DataFormat format) {
    if (values.length != 4) {
      throw new InvalidArgumentException(
          "Sliding window " + what + " field must specify 4 dimensions (or 1 or 2 spatial values), but "
              + plural + " is " + Arrays.toString(values));
    }
    for (long v : values) {
      if (v > Integer.MAX_VALUE) {
        // TensorFlow holds these attributes as int32.
        throw new InvalidArgumentException(
            "Attr " + plural + " has value " + v + " out of range for an int32: " + plural + " is "
                + Arrays.toString(values));
      }
    }
    if (values[format.batchDim()] != 1 || values[format.channelDim()] != 1) {
      throw new InvalidArgumentException(
          "Current implementation does not yet support " + plural + " in the batch and depth dimensions: "
              + plural + " is " + Arrays.toString(values) + " (" + format + "), batch and depth entries must be 1");
    }
  }

  private static void checkPaddings(ConvParams params, DataFormat format) {
    long[] pads = params.explicitPaddings();
    if (params.padding() != Padding.EXPLICIT) {
      if (pads.length != 0) {
        throw new InvalidArgumentException(
            "explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT, but padding is "
                + params.padding() + " and explicit_paddings is " + Arrays.toString(pads));
      }
      return;
    }
    if (pads.length != 8) {
      throw new InvalidArgumentException(
          "explicit_paddings attribute must contain 8 values, but got: " + pads.length + " "
              + Arrays.toString(pads));
    }
    for (long p : pads) {
      if (p < 0) {
        throw new InvalidArgumentException(
            "All elements of explicit_paddings must be nonnegative, but explicit_paddings is " + Arrays.toString(pads));
      }
    }
    int n = format.batchDim();
    int c = format.channelDim();
    if (pads[2 * n] != 0 || pads[2 * n + 1] != 0 || pads[2 * c] != 0 || pads[2 * c + 1] != 0) {
      throw new InvalidArgumentException(
          "Nonzero explicit padding in the batch or depth dimensions is not supported: explicit_paddings is "
              + Arrays.toString(pads) + " (" + format + ")");
    }
  }

  private static Shape inputShapeFrom(
      long[] inputSizes, Shape filterShape, Shape outBackpropShape, DataFormat format) {
    checkInputSizes(inputSizes);
    if (inputSizes.length == 4) {
      return Shape.of(inputSizes);
    }
    long batch = outBackpropShape.get(format.batchDim());
    return Shape.of(format.order(batch, inputSizes[0], inputSizes[1], filterShape.get(2)));
  }

  private static ConvGeometry computeGeometry(
      Shape input, Shape filter, Shape outBackprop, ConvParams params) {
    DataFormat f = params.dataFormat();
    long batch = input.get(f.batchDim());
    if (batch != outBackprop.get(f.batchDim())) {
      throw new InvalidArgumentException(
          OP + ": input and out_backprop must have the same batch size. Input batch: " + batch
              + ", outbackprop batch: " + outBackprop.get(f.batchDim()) + ", batch_dim: " + f.batchDim());
    }
    long inDepth = input.get(f.channelDim());
    long filterInDepth = filter.get(2);
    if (filterInDepth <= 0) {
      throw new InvalidArgumentException(
          OP + ": filter depth must be strictly greater than zero, but the filter's shape is " + filter);
    }
    if (inDepth % filterInDepth != 0) {
      throw new InvalidArgumentException(
          OP + ": input depth must be evenly divisible by filter depth: input depth " + inDepth
              + ", filter depth " + filterInDepth);
    }
    long outDepth = filter.get(3);
    if (outDepth != outBackprop.get(f.channelDim())) {
      throw new InvalidArgumentException(
          OP + ": filter and out_backprop must have the same out_depth: filter out_depth " + outDepth
              + ", out_backprop depth " + outBackprop.get(f.channelDim()));
    }
    long groups = inDepth / filterInDepth;
    if (groups > 1 && outDepth % groups != 0) {
      throw new InvalidArgumentException(
          OP + ": output depth must be evenly divisible by number of groups: " + outDepth + " vs " + groups
              + " (groups = input depth " + inDepth + " / filter depth " + filterInDepth + ")");
    }
    long[] strides = params.strides();
    long[] dilations = params.dilations();
    long[] pads = params.explicitPaddings();
    long[][] dim = new long[2][];
    int[] spatial = {f.heightDim(), f.widthDim()};
    for (int i = 0; i < 2; i++) {
      int d = spatial[i];
      dim[i] =
          SpatialDim.resolve(
              input.get(d), filter.get(i), outBackprop.get(d), strides[d], dilations[d], params.padding(),
              pads.length == 8 ? pads[2 * d] : 0, pads.length == 8 ? pads[2 * d + 1] : 0, d);
    }
    return new ConvGeometry(
        batch, input.get(f.heightDim()), input.get(f.widthDim()), inDepth,
        outBackprop.get(f.heightDim()), outBackprop.get(f.widthDim()), outDepth,
        filter.get(0), filter.get(1), filterInDepth, groups,
        strides[f.heightDim()], strides[f.widthDim()], dilations[f.heightDim()], dilations[f.widthDim()],
        dim[0][0], dim[0][1], dim[1][0], dim[1][1], f);
  }
}
