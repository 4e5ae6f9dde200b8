package org.convgrad.engine;

/** The order of a 4-D activation tensor's dimensions. Filters are always HWIO. */
public enum DataFormat {
  NHWC(0, 1, 2, 3),
  NCHW(0, 2, 3, 1);

  private final int batchDim;
  private final int heightDim;
  private final int widthDim;
  private final int channelDim;

  DataFormat(int batchDim, int heightDim, int widthDim, int channelDim) {
    this.batchDim = batchDim;
    this.heightDim = heightDim;
    this.widthDim = widthDim;
    this.channelDim = channelDim;
  }

  public int batchDim() {
    return batchDim;
  }

  public int heightDim() {
    return heightDim;
  }

  public int widthDim() {
    return widthDim;
  }

  public int channelDim() {
    return channelDim;
  }

  /** The 4 values of a shape (or of strides) in this format's order. */
  public long[] order(long n, long h, long w, long c) {
    long[] out = new long[4];
    out[batchDim] = n;
    out[heightDim] = h;
    out[widthDim] = w;
    out[channelDim] = c;
    return out;
  }

  /** TensorFlow's spelling only, as its op checks the attribute. */
  public static DataFormat parse(String name) {
    for (DataFormat f : values()) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    throw new InvalidArgumentException(
        "Invalid data format: '" + name + "', expected NHWC or NCHW (TensorFlow's spelling, upper case)");
  }
}
