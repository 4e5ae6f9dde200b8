package org.convgrad.engine.tensor;

import java.util.Arrays;
import org.convgrad.engine.InvalidArgumentException;

/** An immutable list of non-negative dimension sizes. */
public final class Shape {
  /**
   * The most elements one tensor holds: tensors live in one Java array, whose length is an int
   * and which some JVMs cap a few elements below {@code Integer.MAX_VALUE}.
   */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private final long[] dims;

  private Shape(long[] dims) {
    this.dims = dims;
  }

  /** A shape of the given sizes; a negative size is rejected. */
  public static Shape of(long... dims) {
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new InvalidArgumentException(
            "Dimension " + dims[i] + " must be >= 0 (dimension " + i + " of " + Arrays.toString(dims) + ")");
      }
    }
    return new Shape(dims.clone());
  }

  public int rank() {
    return dims.length;
  }

  public long get(int dim) {
    return dims[dim];
  }

  public long[] toArray() {
    return dims.clone();
  }

  /** The number of elements; rejects a shape whose count overflows a long. */
  public long elementCount() {
    long count = 1;
    for (long d : dims) {
      if (d == 0) {
        return 0;
      }
    }
    for (long d : dims) {
      try {
        count = Math.multiplyExact(count, d);
      } catch (ArithmeticException e) {
        throw new InvalidArgumentException("Shape " + this + " has more elements than a long can count");
      }
    }
    return count;
  }

  /**
   * The element count as an array length, or a rejection naming {@code what} when one tensor
   * cannot hold that many elements. Called before anything is allocated.
   */
  public int checkedArrayLength(String what) {
    long count = elementCount();
    if (count > MAX_ELEMENTS) {
      throw new InvalidArgumentException(
          what + " of shape " + this + " has " + count + " elements, more than one tensor holds ("
              + MAX_ELEMENTS + "); split the batch");
    }
    return (int) count;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}
