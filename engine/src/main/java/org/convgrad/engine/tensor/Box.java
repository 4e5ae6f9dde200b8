package org.convgrad.engine.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.convgrad.engine.InvalidArgumentException;

/**
 * A box {@code [start[i], start[i] + count[i])} of every axis of a C-order array, checked against
 * the array's shape, and its elements as contiguous runs of the array: the trailing axes the box
 * spans whole are folded into one run with the innermost axis it cuts, so a band of NHWC rows is
 * one run and a band of NCHW rows one run per channel. Offsets are longs: the array may hold far
 * more elements than a Java array ({@link LargeTensor}, a {@code .npy} file), only the box must fit
 * one tensor.
 */
public final class Box {
  /** One run: {@code length} elements at element {@code element} of the array, {@code at} of the box. */
  @FunctionalInterface
  public interface Run<E extends Exception> {
    void accept(long element, int at, int length) throws E;
  }

  private final long[] dims;
  private final long[] start;
  private final long[] count;

  private Box(long[] dims, long[] start, long[] count) {
    this.dims = dims;
    this.start = start;
    this.count = count;
  }

  /**
   * The box of {@code shape} at {@code start} of {@code count} elements per axis.
   *
   * @throws InvalidArgumentException when the box's rank is not the shape's
   * @throws IndexOutOfBoundsException when the box leaves an axis; the message names {@code
   *     source}, the axis and its bounds
   */
  public static Box of(String source, Shape shape, long[] start, long[] count) {
    if (start.length != shape.rank() || count.length != shape.rank()) {
      String ranks = start.length == count.length ? "" + start.length : start.length + " and " + count.length;
      throw new InvalidArgumentException(source + ": a box of start " + Arrays.toString(start) + " and count "
          + Arrays.toString(count) + " (rank " + ranks + ") for an array of rank " + shape.rank() + ", shape " + shape);
    }
    long[] dims = shape.toArray();
    for (int i = 0; i < dims.length; i++) {
      long s = start[i];
      long c = count[i];
      if (s < 0 || c < 0 || s > dims[i] || c > dims[i] - s) {
        throw new IndexOutOfBoundsException(source + ": axis " + i + " of the box, [" + s + ", " + s + " + " + c
            + "), is outside the axis's [0, " + dims[i] + ") (shape " + shape + ")");
      }
    }
    return new Box(dims, start.clone(), count.clone());
  }

  /** The whole of {@code shape}. */
  public static Box whole(Shape shape) {
    long[] dims = shape.toArray();
    return new Box(dims, new long[dims.length], dims.clone());
  }

  /**
   * Boxes of at most {@code maxElements} elements (at least one) that cover {@code shape} in C order,
   * each as few runs as the limit allows: slabs of whole trailing axes, cut along the outermost axis
   * whose trailing axes fit. An array beyond one tensor moves box by box.
   */
  public static List<Box> slabs(Shape shape, long maxElements) {
    if (maxElements < 1) {
      throw new InvalidArgumentException("a slab holds at least 1 element, but got " + maxElements);
    }
    long[] dims = shape.toArray();
    List<Box> out = new ArrayList<>();
    if (shape.elementCount() == 0) {
      return out;
    }
    int rank = dims.length;
    if (rank == 0) {
      out.add(whole(shape));
      return out;
    }
    // The cut axis: the outermost whose trailing axes hold at most maxElements; stepped along itself.
    int cut = rank - 1;
    long inner = 1;
    while (cut > 0 && inner * dims[cut] <= maxElements) {
      inner *= dims[cut];
      cut--;
    }
    long step = Math.max(1, maxElements / inner);
    long[] index = new long[cut]; // over the axes above the cut, the last fastest
    while (true) {
      for (long at = 0; at < dims[cut]; at += step) {
        long[] start = new long[rank];
        long[] count = dims.clone();
        for (int i = 0; i < cut; i++) {
          start[i] = index[i];
          count[i] = 1;
        }
        start[cut] = at;
        count[cut] = Math.min(step, dims[cut] - at);
        out.add(new Box(dims, start, count));
      }
      int axis = cut - 1;
      while (axis >= 0 && index[axis] == dims[axis] - 1) {
        index[axis] = 0;
        axis--;
      }
      if (axis < 0) {
        return out;
      }
      index[axis]++;
    }
  }

  /** Where the box starts, per axis (a copy). */
  public long[] start() {
    return start.clone();
  }

  /** The box's own shape, {@code count}. */
  public Shape shape() {
    return Shape.of(count);
  }

  /**
   * The element where the box starts when all its elements are one run of the array (an NHWC band
   * of one sample, say), else -1 (an empty box too).
   */
  public long contiguousStart() {
    // In longs, not by forEachRun: a box of more elements than an int counts (a whole large image)
    // is asked too, and has no view.
    int rank = dims.length;
    for (long c : count) {
      if (c == 0) {
        return -1;
      }
    }
    int cut = rank - 1;
    while (cut >= 0 && count[cut] == dims[cut]) {
      cut--;
    }
    for (int i = 0; i < cut; i++) {
      if (count[i] != 1) {
        return -1; // more than one run
      }
    }
    long first = 0;
    long stride = 1;
    for (int i = rank - 1; i >= 0; i--) {
      first += start[i] * stride;
      stride *= dims[i];
    }
    return first;
  }

  /**
   * Calls {@code run} for each contiguous run in C order of the box (none when it is empty). The
   * box must fit one tensor (its positions are ints); callers allocate or check that first.
   */
  public <E extends Exception> void forEachRun(Run<E> run) throws E {
    int rank = dims.length;
    for (long c : count) {
      if (c == 0) {
        return;
      }
    }
    // Here every axis is at least 1 long, so the strides are at most the array's element count.
    long[] stride = new long[rank];
    long inner = 1;
    for (int i = rank - 1; i >= 0; i--) {
      stride[i] = inner;
      inner = Math.multiplyExact(inner, dims[i]);
    }
    int cut = rank - 1;
    long runLength = 1;
    while (cut >= 0 && count[cut] == dims[cut]) {
      runLength *= dims[cut];
      cut--;
    }
    if (cut < 0) {
      run.accept(0, 0, Math.toIntExact(runLength));
      return;
    }
    runLength *= count[cut];
    int length = Math.toIntExact(runLength);
    long first = 0;
    for (int i = 0; i <= cut; i++) {
      first += start[i] * stride[i];
    }
    // An odometer over the axes above the cut, the last fastest.
    long[] index = new long[cut];
    long element = first;
    for (int at = 0; ; at = Math.addExact(at, length)) {
      run.accept(element, at, length);
      int axis = cut - 1;
      while (axis >= 0 && index[axis] == count[axis] - 1) {
        element -= index[axis] * stride[axis];
        index[axis] = 0;
        axis--;
      }
      if (axis < 0) {
        return;
      }
      index[axis]++;
      element += stride[axis];
    }
  }
}
