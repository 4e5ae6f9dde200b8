package org.convgrad.engine.tensor;

import java.util.Arrays;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.jspecify.annotations.Nullable;

/**
 * A dense, row-major (C order) tensor of one {@link DType} that may hold more elements than a Java
 * array: its storage is a sequence of arrays (chunks) of the {@link Tensor}'s kind, addressed by
 * 64-bit offsets. One whole-slide image or satellite scene is one such tensor; {@link
 * org.convgrad.engine.Engine#backpropInput(org.convgrad.engine.Conv2dBackpropInput, Tensor,
 * LargeTensor)} computes on it band by band, and boxes of it ({@link #read}, {@link #write}) move to
 * and from ordinary tensors by runs of {@link System#arraycopy}, never element by element.
 *
 * <p>Not thread-safe for writes that overlap; writes of disjoint boxes may run at once.
 */
public final class LargeTensor {
  /** Elements per chunk unless told: 2^26 (256 MiB of float32), far from the array limit, few chunks. */
  public static final int DEFAULT_CHUNK_ELEMENTS = 1 << 26;

  private final DType dtype;
  private final Shape shape;
  private final long size;
  private final int chunkElements;
  private final Object[] chunks; // float[], double[] or short[] by dtype; all full but the last

  private LargeTensor(DType dtype, Shape shape, int chunkElements) {
    if (chunkElements < 1) {
      throw new InvalidArgumentException("chunk elements must be at least 1, but got " + chunkElements);
    }
    this.dtype = dtype;
    this.shape = shape;
    this.size = shape.elementCount();
    this.chunkElements = chunkElements;
    long count = (size + chunkElements - 1) / chunkElements;
    if (count > Shape.MAX_ELEMENTS) {
      throw new InvalidArgumentException("a large tensor of shape " + shape + " needs " + count
          + " chunks of " + chunkElements + " elements, more than it can index; choose larger chunks");
    }
    this.chunks = new Object[(int) count];
    for (int c = 0; c < chunks.length; c++) {
      int n = (int) Math.min(chunkElements, size - (long) c * chunkElements);
      chunks[c] = switch (dtype) {
        case FLOAT32 -> new float[n];
        case FLOAT64 -> new double[n];
        default -> new short[n];
      };
    }
  }

  /** A tensor of zeros in chunks of {@link #DEFAULT_CHUNK_ELEMENTS}. */
  public static LargeTensor zeros(DType dtype, Shape shape) {
    return zeros(dtype, shape, DEFAULT_CHUNK_ELEMENTS);
  }

  /** A tensor of zeros in chunks of {@code chunkElements} (they need not be whole rows). */
  public static LargeTensor zeros(DType dtype, Shape shape, int chunkElements) {
    return new LargeTensor(dtype, shape, chunkElements);
  }

  /** A copy of {@code tensor}. */
  public static LargeTensor of(Tensor tensor) {
    return of(tensor, DEFAULT_CHUNK_ELEMENTS);
  }

  /** A copy of {@code tensor} in chunks of {@code chunkElements}. */
  public static LargeTensor of(Tensor tensor, int chunkElements) {
    LargeTensor t = zeros(tensor.dtype(), tensor.shape(), chunkElements);
    t.write(new long[tensor.shape().rank()], tensor);
    return t;
  }

  public DType dtype() {
    return dtype;
  }

  public Shape shape() {
    return shape;
  }

  /** The number of elements. */
  public long size() {
    return size;
  }

  /** One element, widened to double. */
  public double get(long... index) {
    if (index.length != shape.rank()) {
      throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " has " + index.length
          + " values; tensor rank is " + shape.rank());
    }
    long flat = 0;
    for (int i = 0; i < index.length; i++) {
      if (index[i] < 0 || index[i] >= shape.get(i)) {
        throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " is outside shape " + shape);
      }
      flat = flat * shape.get(i) + index[i];
    }
    return getFlat(flat);
  }

  /** The element at a row-major position, widened to double. */
  public double getFlat(long i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException("element " + i + " is outside a tensor of " + size);
    }
    Object chunk = chunks[(int) (i / chunkElements)];
    int at = (int) (i % chunkElements);
    return switch (dtype) {
      case FLOAT32 -> ((float[]) chunk)[at];
      case FLOAT64 -> ((double[]) chunk)[at];
      case HALF -> Float16.toFloat(((short[]) chunk)[at]);
      default -> BFloat16.toFloat(((short[]) chunk)[at]);
    };
  }

  /** The box at {@code start} of {@code count} elements per axis, as a new tensor. */
  public Tensor read(long[] start, long[] count) {
    Box box = Box.of("large tensor " + shape, shape, start, count);
    Tensor out = Tensor.zeros(dtype, box.shape());
    Object to = storage(out);
    box.forEachRun((element, at, length) -> copy(element, to, at, length, true));
    return out;
  }

  /**
   * The box at {@code start} of {@code count} elements per axis as a view sharing this tensor's
   * storage ({@link Tensor#isView()}: writes to it are writes to this tensor), when its elements
   * are one run inside one chunk, as the rows of an NHWC band are unless they cross a chunk's end;
   * else null ({@link #read} copies them out).
   */
  public @Nullable Tensor view(long[] start, long[] count) {
    Box box = Box.of("large tensor " + shape, shape, start, count);
    long first = box.contiguousStart();
    if (first < 0) {
      return null;
    }
    long n = box.shape().elementCount();
    int chunk = (int) (first / chunkElements);
    int at = (int) (first % chunkElements);
    if (n > chunkElements - at) {
      return null;
    }
    return Tensor.view(dtype, box.shape(), chunks[chunk], at);
  }

  /** The box at {@code start} of {@code count} elements per axis: a {@link #view} where there is one, else a copy. */
  public Tensor viewOrRead(long[] start, long[] count) {
    Tensor view = view(start, count);
    return view != null ? view : read(start, count);
  }

  /** Stores {@code box} at {@code start}: the elements of {@code [start, start + box's shape)}. */
  public void write(long[] start, Tensor box) {
    if (box.dtype() != dtype) {
      throw new InvalidArgumentException("a " + box.dtype() + " box cannot be written to a " + dtype + " tensor");
    }
    Box where = Box.of("large tensor " + shape, shape, start, box.shape().toArray());
    Object from = storage(box);
    int base = box.offset();
    where.forEachRun((element, at, length) -> copy(element, from, base + at, length, false));
  }

  /** The whole tensor as one {@link Tensor}, when one can hold it. */
  public Tensor toTensor() {
    shape.checkedArrayLength("a large tensor made one tensor");
    long[] origin = new long[shape.rank()];
    return read(origin, shape.toArray());
  }

  /** Copies a run between the chunks at {@code element} and {@code array} at {@code at}, crossing chunks as needed. */
  private void copy(long element, Object array, int at, int length, boolean toArray) {
    while (length > 0) {
      Object chunk = chunks[(int) (element / chunkElements)];
      int offset = (int) (element % chunkElements);
      int n = Math.min(length, chunkElements - offset);
      if (toArray) {
        System.arraycopy(chunk, offset, array, at, n);
      } else {
        System.arraycopy(array, at, chunk, offset, n);
      }
      element += n;
      at += n;
      length -= n;
    }
  }

  private static Object storage(Tensor t) {
    return switch (t.dtype()) {
      case FLOAT32 -> t.float32Storage();
      case FLOAT64 -> t.float64Storage();
      default -> t.bits16Storage();
    };
  }

  @Override
  public String toString() {
    return "LargeTensor(" + dtype + ", " + shape + ", " + chunks.length + " chunk(s))";
  }
}
