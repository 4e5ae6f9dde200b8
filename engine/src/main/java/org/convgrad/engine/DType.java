package org.convgrad.engine;

/** Element types TensorFlow's {@code Conv2DBackpropInput} accepts. */
public enum DType {
  /** IEEE 754 binary16, stored as 16 bits, accumulated in float32. */
  HALF(2),
  /** bfloat16 (the upper half of a float32), stored as 16 bits, accumulated in float32. */
  BFLOAT16(2),
  FLOAT32(4),
  FLOAT64(8);

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  public int byteSize() {
    return byteSize;
  }

  /** TensorFlow's name of the type, as in error messages ({@code half}, {@code float}, ...). */
  public String tfName() {
    switch (this) {
      case HALF:
        return "half";
      case BFLOAT16:
        return "bfloat16";
      case FLOAT32:
        return "float";
      default:
        return "double";
    }
  }
}
