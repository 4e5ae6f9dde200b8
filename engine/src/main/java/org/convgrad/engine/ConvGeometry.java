package org.convgrad.engine;

/**
 * The geometry of one validated problem, computed once by {@link Conv2dBackpropInput}: logical
 * sizes (whatever the data format), pads, strides, dilations and groups. "Input" is the
 * convolution's input, whose gradient the op returns; "output" is out_backprop's.
 *
 * <p>{@code dx[b, y, x, ci]} gathers {@code filter[ky, kx, ci % filterInDepth, co] * dy[b, oy, ox,
 * co]} over the taps with {@code y + padTop - ky * dilationH == oy * strideH} (the same across the
 * width) and the out channels {@code co} of the group {@code ci / filterInDepth}.
 */
public record ConvGeometry(
    long batch,
    long inHeight,
    long inWidth,
    long inDepth,
    long outHeight,
    long outWidth,
    long outDepth,
    long filterHeight,
    long filterWidth,
    long filterInDepth,
    long groups,
    long strideH,
    long strideW,
    long dilationH,
    long dilationW,
    long padTop,
    long padBottom,
    long padLeft,
    long padRight,
    DataFormat dataFormat) {

  /** Out channels per group. */
  public long outDepthPerGroup() {
    return groups == 0 ? 0 : outDepth / groups;
  }

  /** Element strides of the result (the convolution's input) as (n, h, w, c). */
  public long[] inputStrides() {
    return activationStrides(inHeight, inWidth, inDepth);
  }

  /** Element strides of out_backprop as (n, h, w, c). */
  public long[] outputStrides() {
    return activationStrides(outHeight, outWidth, outDepth);
  }

  /**
   * Multiply-adds times two of the equivalent dense convolution: what GFLOP/s figures count.
   */
  public double flops() {
    return 2.0 * batch * outHeight * outWidth * outDepth * filterHeight * filterWidth * filterInDepth;
  }

  private long[] activationStrides(long h, long w, long c) {
    if (dataFormat == DataFormat.NHWC) {
      return new long[] {h * w * c, w * c, c, 1};
    }
    return new long[] {c * h * w, w, 1, h * w};
  }
}
