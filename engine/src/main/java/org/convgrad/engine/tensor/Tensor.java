package org.convgrad.engine.tensor;

import java.util.Arrays;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;

/**
 * A dense, row-major (C order) tensor of one {@link DType}, backed by one Java array: {@code
 * float[]} for float32, {@code double[]} for float64, {@code short[]} holding the bits for half
 * and bfloat16.
 *
 * <p>The tensor owns its array: the bulk accessors return it without copying, so that kernels and
 * I/O move data without a call per element. Callers that keep the array must not change it while
 * the tensor is in use.
 *
 * <p>A <em>view</em> ({@link LargeTensor#view}) holds its elements in part of a larger array, from
 * {@link #offset()}: the rows of a band inside a large tensor's chunk, which kernels read and write
 * in place. Kernels reach any tensor's elements through {@link #float32Storage()} (and its kin) and
 * {@link #offset()}; {@link #float32Data()} and its kin, which code outside the kernels uses as
 * "the elements, from 0", refuse a view rather than hand out an array it is only part of.
 */
public final class Tensor {
  private final DType dtype;
  private final Shape shape;
  private final Object data;
  private final int offset;
  private final boolean view;
  private final long[] strides;
  private final int size;

  private Tensor(DType dtype, Shape shape, Object data, int length) {
    this(dtype, shape, data, 0, length, false);
    int expected = shape.checkedArrayLength("tensor");
    if (length != expected) {
      throw new InvalidArgumentException(
          "tensor data has " + length + " elements but shape " + shape + " needs " + expected);
    }
  }

  private Tensor(DType dtype, Shape shape, Object data, int offset, int length, boolean view) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
    this.offset = offset;
    this.view = view;
    this.size = length;
    this.strides = new long[shape.rank()];
    long stride = 1;
    for (int i = shape.rank() - 1; i >= 0; i--) {
      strides[i] = stride;
      stride *= shape.get(i);
    }
  }

  public static Tensor ofFloat32(Shape shape, float[] data) {
    return new Tensor(DType.FLOAT32, shape, data, data.length);
  }

  public static Tensor ofFloat64(Shape shape, double[] data) {
    return new Tensor(DType.FLOAT64, shape, data, data.length);
  }

  /** A half or bfloat16 tensor over the given 16-bit patterns. */
  public static Tensor ofBits16(DType dtype, Shape shape, short[] bits) {
    if (dtype != DType.HALF && dtype != DType.BFLOAT16) {
      throw new IllegalArgumentException("16-bit storage is for half and bfloat16, not " + dtype);
    }
    return new Tensor(dtype, shape, bits, bits.length);
  }

  /**
   * A view of {@code shape} over {@code array}'s elements from {@code offset} ({@code float[]},
   * {@code double[]} or {@code short[]} as {@code dtype} wants): writes go to the array, which the
   * caller keeps. Kernels compute on views in place; the bulk accessors refuse them.
   */
  public static Tensor view(DType dtype, Shape shape, Object array, int offset) {
    int n = shape.checkedArrayLength("tensor view");
    int length = switch (dtype) {
      case FLOAT32 -> array instanceof float[] a ? a.length : -1;
      case FLOAT64 -> array instanceof double[] a ? a.length : -1;
      default -> array instanceof short[] a ? a.length : -1;
    };
    if (length < 0) {
      throw new InvalidArgumentException("a " + dtype + " view needs a "
          + (dtype == DType.FLOAT32 ? "float[]" : dtype == DType.FLOAT64 ? "double[]" : "short[]") + ", not "
          + (array == null ? "null" : array.getClass().getSimpleName()));
    }
    if (offset < 0 || offset > length - n) {
      throw new IndexOutOfBoundsException(
          "a view of " + n + " elements from " + offset + " of an array of " + length);
    }
    return new Tensor(dtype, shape, array, offset, n, true);
  }

  /** A tensor of zeros; the element count is checked before the array is allocated. */
  public static Tensor zeros(DType dtype, Shape shape) {
    int n = shape.checkedArrayLength("tensor");
    switch (dtype) {
      case FLOAT32:
        return ofFloat32(shape, new float[n]);
      case FLOAT64:
        return ofFloat64(shape, new double[n]);
      default:
        return ofBits16(dtype, shape, new short[n]);
    }
  }

  /**
   * A tensor of {@code dtype} holding {@code values} rounded (to nearest even) to that type; for half
   * and bfloat16 by way of float32, as TensorFlow's (Eigen's) casts from double round, twice.
   */
  public static Tensor fromDoubles(DType dtype, Shape shape, double[] values) {
    Tensor t = zeros(dtype, shape);
    if (values.length != t.size()) {
      throw new InvalidArgumentException(
          "tensor data has " + values.length + " elements but shape " + shape + " needs " + t.size());
    }
    switch (dtype) {
      case FLOAT64:
        System.arraycopy(values, 0, t.float64Data(), 0, values.length);
        break;
      case FLOAT32: {
        float[] out = t.float32Data();
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) values[i];
        }
        break;
      }
      default: {
        short[] out = t.bits16Data();
        for (int i = 0; i < out.length; i++) {
          out[i] = roundBits16(dtype, (float) values[i]);
        }
      }
    }
    return t;
  }

  /** A tensor of {@code dtype} holding {@code values} rounded (to nearest even) to that type. */
  public static Tensor fromFloats(DType dtype, Shape shape, float[] values) {
    if (dtype == DType.FLOAT32) {
      return ofFloat32(shape, values.clone());
    }
    Tensor t = zeros(dtype, shape);
    if (values.length != t.size()) {
      throw new InvalidArgumentException(
          "tensor data has " + values.length + " elements but shape " + shape + " needs " + t.size());
    }
    if (dtype == DType.FLOAT64) {
      double[] out = t.float64Data();
      for (int i = 0; i < out.length; i++) {
        out[i] = values[i];
      }
    } else {
      storeFloats(values, 0, t, 0, values.length);
    }
    return t;
  }

  public DType dtype() {
    return dtype;
  }

  public Shape shape() {
    return shape;
  }

  /** The number of elements. */
  public int size() {
    return size;
  }

  /** Where element 0 lies in the storage arrays: 0 unless this is a view. */
  public int offset() {
    return offset;
  }

  /** Whether this tensor is a view into part of a larger array ({@link LargeTensor#view}). */
  public boolean isView() {
    return view;
  }

  /** This tensor, or for a view a tensor of its elements in an array of their own (whose {@code *Data()} then work). */
  public Tensor ownArray() {
    if (!view) {
      return this;
    }
    int to = offset + size();
    return switch (dtype) {
      case FLOAT32 -> ofFloat32(shape, Arrays.copyOfRange(float32Storage(), offset, to));
      case FLOAT64 -> ofFloat64(shape, Arrays.copyOfRange(float64Storage(), offset, to));
      default -> ofBits16(dtype, shape, Arrays.copyOfRange(bits16Storage(), offset, to));
    };
  }

  /** The elements, from index 0; a view has no such array (see {@link #float32Storage()}). */
  public float[] float32Data() {
    return (float[]) requireOwn(float32Storage());
  }

  /** The elements, from index 0; a view has no such array (see {@link #float64Storage()}). */
  public double[] float64Data() {
    return (double[]) requireOwn(float64Storage());
  }

  /** The 16-bit patterns of a half or bfloat16 tensor, from index 0; a view has no such array. */
  public short[] bits16Data() {
    return (short[]) requireOwn(bits16Storage());
  }

  /** The array holding the elements from {@link #offset()}, a view's included. */
  public float[] float32Storage() {
    return (float[]) requireType(DType.FLOAT32);
  }

  /** Whether this tensor and {@code other} hold some of the same elements: views of one array whose ranges meet. */
  public boolean overlaps(Tensor other) {
    return data == other.data && size > 0 && other.size > 0 && offset < other.offset + other.size
        && other.offset < offset + size;
  }

  /** The array holding the elements from {@link #offset()}, a view's included. */
  public double[] float64Storage() {
    return (double[]) requireType(DType.FLOAT64);
  }

  /** The array holding the 16-bit patterns from {@link #offset()}, a view's included. */
  public short[] bits16Storage() {
    if (dtype != DType.HALF && dtype != DType.BFLOAT16) {
      throw new IllegalStateException("tensor is " + dtype + ", not a 16-bit type");
    }
    return (short[]) data;
  }

  /** One element, widened to double. Reads as {@code tensor[n, h, w, c]} from Kotlin. */
  public double get(int... index) {
    return getFlat(flatIndex(index));
  }

  /** The element at a row-major position, widened to double. */
  public double getFlat(int index) {
    int i = offset + index;
    switch (dtype) {
      case FLOAT32:
        return ((float[]) data)[i];
      case FLOAT64:
        return ((double[]) data)[i];
      case HALF:
        return Float16.toFloat(((short[]) data)[i]);
      default:
        return BFloat16.toFloat(((short[]) data)[i]);
    }
  }

  /** All elements widened to float32 (a copy, except that float32 returns its own array). */
  public float[] toFloatArray() {
    if (dtype == DType.FLOAT32) {
      return view ? Arrays.copyOfRange(float32Storage(), offset, offset + size) : float32Data();
    }
    float[] out = new float[size()];
    if (dtype == DType.FLOAT64) {
      double[] in = float64Storage();
      for (int i = 0; i < out.length; i++) {
        out[i] = (float) in[offset + i];
      }
    } else {
      loadFloats(this, 0, out, 0, out.length);
    }
    return out;
  }

  /** All elements widened to float64 (a copy, except that float64 returns its own array). */
  public double[] toDoubleArray() {
    if (dtype == DType.FLOAT64) {
      return view ? Arrays.copyOfRange(float64Storage(), offset, offset + size) : float64Data();
    }
    double[] out = new double[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = getFlat(i);
    }
    return out;
  }

  /** Widens {@code count} 16-bit elements of {@code src} from its element {@code srcPos} into floats. */
  public static void loadFloats(Tensor src, int srcPos, float[] dst, int dstPos, int count) {
    short[] in = src.bits16Storage();
    int from = src.offset + srcPos;
    if (src.dtype == DType.HALF) {
      for (int i = 0; i < count; i++) {
        dst[dstPos + i] = Float16.toFloat(in[from + i]);
      }
    } else {
      for (int i = 0; i < count; i++) {
        dst[dstPos + i] = BFloat16.toFloat(in[from + i]);
      }
    }
  }

  /** Rounds {@code count} floats into the 16-bit tensor {@code dst} from its element {@code dstPos}. */
  public static void storeFloats(float[] src, int srcPos, Tensor dst, int dstPos, int count) {
    short[] out = dst.bits16Storage();
    int to = dst.offset + dstPos;
    if (dst.dtype == DType.HALF) {
      for (int i = 0; i < count; i++) {
        out[to + i] = Float16.fromFloat(src[srcPos + i]);
      }
    } else {
      for (int i = 0; i < count; i++) {
        out[to + i] = BFloat16.fromFloat(src[srcPos + i]);
      }
    }
  }

  private static short roundBits16(DType dtype, float value) {
    return dtype == DType.HALF ? Float16.fromFloat(value) : BFloat16.fromFloat(value);
  }

  private int flatIndex(int[] index) {
    if (index.length != shape.rank()) {
      throw new IndexOutOfBoundsException(
          "index " + Arrays.toString(index) + " has " + index.length + " values; tensor rank is "
              + shape.rank());
    }
    long flat = 0;
    for (int i = 0; i < index.length; i++) {
      if (index[i] < 0 || index[i] >= shape.get(i)) {
        throw new IndexOutOfBoundsException(
            "index " + Arrays.toString(index) + " is outside shape " + shape);
      }
      flat += index[i] * strides[i];
    }
    return (int) flat;
  }

  private Object requireOwn(Object array) {
    if (view) {
      throw new IllegalStateException(this + " is a view from element " + offset
          + " of a larger array: read it through the storage accessors and offset()");
    }
    return array;
  }

  private Object requireType(DType wanted) {
    if (dtype != wanted) {
      throw new IllegalStateException("tensor is " + dtype + ", not " + wanted);
    }
    return data;
  }

  @Override
  public String toString() {
    return "Tensor(" + dtype + ", " + shape + (view ? ", a view" : "") + ")";
  }
}
