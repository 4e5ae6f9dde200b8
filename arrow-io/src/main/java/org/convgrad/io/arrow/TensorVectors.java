package org.convgrad.io.arrow;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float2Vector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * Bulk conversion between engine tensors and {@link FixedShapeTensorVector} columns: a batch
 * tensor {@code [n, d1, d2, ...]} is {@code n} rows of {@code [d1, d2, ...]} values. Data moves
 * as memory copies between the Java array and the Arrow buffer (through {@link
 * ArrowBuf#nioBuffer}), never a call per element.
 */
public final class TensorVectors {
  /** The storage child's name, as pyarrow names it. */
  public static final String ITEM = "item";

  private static final int CHUNK_BYTES = 1 << 30;

  private TensorVectors() {}

  /**
   * Arrow's value type for {@code dtype}: Float2 for half, Float4, Float8.
   *
   * @throws InvalidArgumentException for bfloat16, which Arrow has no value type for
   */
  public static ArrowType.FloatingPoint arrowType(DType dtype) {
    switch (dtype) {
      case HALF:
        return new ArrowType.FloatingPoint(FloatingPointPrecision.HALF);
      case FLOAT32:
        return new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case FLOAT64:
        return new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      default:
        throw new InvalidArgumentException("Arrow has no bfloat16 value type: widen the bfloat16 tensor to"
            + " float32 first, or write a float32 .npy file");
    }
  }

  /** The engine type of Arrow floating-point {@code type}, or null for any other type. */
  public static @Nullable DType dtypeOf(ArrowType type) {
    if (type instanceof ArrowType.FloatingPoint) {
      switch (((ArrowType.FloatingPoint) type).getPrecision()) {
        case HALF:
          return DType.HALF;
        case SINGLE:
          return DType.FLOAT32;
        default:
          return DType.FLOAT64;
      }
    }
    return null;
  }

  static DType dtypeOf(String fieldName, FieldVector child) {
    if (child instanceof Float2Vector) {
      return DType.HALF;
    }
    if (child instanceof Float4Vector) {
      return DType.FLOAT32;
    }
    if (child instanceof Float8Vector) {
      return DType.FLOAT64;
    }
    throw new IllegalStateException("column '" + fieldName + "' (" + FixedShapeTensorType.EXTENSION_NAME
        + ") stores " + child.getField().getType() + " values; convgrad reads float16, float32 and float64");
  }

  /**
   * The field of a tensor column named {@code name}: the extension type over {@code
   * FixedSizeList<item: dtype>}, nullable as pyarrow makes it.
   */
  public static Field field(String name, FixedShapeTensorType type, DType dtype) {
    Field item = new Field(ITEM, FieldType.nullable(arrowType(dtype)), null);
    return new Field(name, FieldType.nullable(type), List.of(item));
  }

  /** The batch shape {@code [rows, ...type.shape()]} of {@code rows} values of {@code type}. */
  public static Shape batchShape(FixedShapeTensorType type, long rows) {
    long[] s = type.shape();
    long[] dims = new long[s.length + 1];
    dims[0] = rows;
    System.arraycopy(s, 0, dims, 1, s.length);
    return Shape.of(dims);
  }

  /** A new column named {@code name} holding all of {@code batch}'s rows (axis 0). */
  public static FixedShapeTensorVector toVector(String name, Tensor batch, FixedShapeTensorType type,
      BufferAllocator allocator) {
    FixedShapeTensorVector v = FixedShapeTensorVector.create(name, type, batch.dtype(), allocator);
    try {
      write(batch, 0, rowsOf(batch), v);
    } catch (RuntimeException e) {
      v.close();
      throw e;
    }
    return v;
  }

  /** Fills {@code dst} with all rows of {@code batch}; see {@link #write(Tensor, long, int, FixedShapeTensorVector)}. */
  public static void write(Tensor batch, FixedShapeTensorVector dst) {
    write(batch, 0, rowsOf(batch), dst);
  }

  /**
   * Replaces {@code dst}'s content with rows {@code [firstRow, firstRow + rowCount)} of {@code
   * batch}; {@code dst} then has {@code rowCount} values, none null. Buffers large enough are
   * reused, so filling one vector batch after batch allocates once.
   *
   * @throws InvalidArgumentException when {@code batch} is not {@code [n, ...dst's shape]} of
   *     {@code dst}'s type
   */
  public static void write(Tensor batch, long firstRow, int rowCount, FixedShapeTensorVector dst) {
    FixedShapeTensorType type = dst.type();
    checkBatch(batch, type, dst.getField().getName());
    DType dtype = dst.dtype();
    if (dtype != batch.dtype()) {
      throw new InvalidArgumentException("column '" + dst.getField().getName() + "' holds " + dtype.tfName()
          + " but the tensor is " + batch.dtype().tfName());
    }
    long rows = rowsOf(batch);
    if (firstRow < 0 || rowCount < 0 || firstRow > rows || rowCount > rows - firstRow) {
      throw new IndexOutOfBoundsException("rows [" + firstRow + ", " + firstRow + " + " + rowCount
          + ") are outside the batch's " + rows + " rows");
    }
    FixedSizeListVector list = dst.getUnderlyingVector();
    BaseFixedWidthVector child = (BaseFixedWidthVector) list.getDataVector();
    long count = (long) rowCount * type.listSize();
    if (list.getValueCapacity() < rowCount || child.getValueCapacity() < count) {
      list.clear();
      list.setInitialCapacity(rowCount);
      list.allocateNew();
      while (child.getValueCapacity() < count) {
        child.reAlloc();
      }
    } // else: reuse the buffers; every byte and bit of the rows written is overwritten below
    copyIn(batch, firstRow * type.listSize(), count, child.getDataBuffer());
    setAllValid(child.getValidityBuffer(), count);
    setAllValid(list.getValidityBuffer(), rowCount);
    list.setValueCount(rowCount);
  }

  /** All rows of {@code v} as one tensor {@code [rows, ...shape]}. */
  public static Tensor read(FixedShapeTensorVector v) {
    return read(v, 0, v.getValueCount());
  }

  /** Rows {@code [firstRow, firstRow + rowCount)} of {@code v} as one tensor. */
  public static Tensor read(FixedShapeTensorVector v, int firstRow, int rowCount) {
    Tensor t = Tensor.zeros(v.dtype(), batchShape(v.type(), rowCount));
    readInto(v, firstRow, rowCount, t, 0);
    return t;
  }

  /** Row {@code row} of {@code v} as a tensor of the column's value shape. */
  public static Tensor readSample(FixedShapeTensorVector v, int row) {
    Tensor t = Tensor.zeros(v.dtype(), v.type().sampleShape());
    readRows(v, row, 1, t, 0);
    return t;
  }

  /**
   * Copies rows {@code [firstRow, firstRow + rowCount)} of {@code v} into {@code dst} (a batch
   * {@code [n, ...shape]} of the same type) from its row {@code dstRow}.
   *
   * @throws IllegalStateException when one of the rows, or an element in them, is null
   */
  public static void readInto(FixedShapeTensorVector v, int firstRow, int rowCount, Tensor dst, long dstRow) {
    checkBatch(dst, v.type(), v.getField().getName());
    long dstRows = rowsOf(dst);
    if (dstRow < 0 || dstRow > dstRows || rowCount > dstRows - dstRow) {
      throw new IndexOutOfBoundsException("rows [" + dstRow + ", " + dstRow + " + " + rowCount
          + ") are outside the destination's " + dstRows + " rows");
    }
    readRows(v, firstRow, rowCount, dst, dstRow * v.type().listSize());
  }

  private static void readRows(FixedShapeTensorVector v, int firstRow, int rowCount, Tensor dst, long dstElem) {
    String name = v.getField().getName();
    DType dtype = v.dtype();
    if (dtype != dst.dtype()) {
      throw new InvalidArgumentException("column '" + name + "' holds " + dtype.tfName()
          + " but the destination tensor is " + dst.dtype().tfName());
    }
    int rows = v.getValueCount();
    if (firstRow < 0 || rowCount < 0 || firstRow > rows || rowCount > rows - firstRow) {
      throw new IndexOutOfBoundsException("rows [" + firstRow + ", " + firstRow + " + " + rowCount
          + ") are outside column '" + name + "''s " + rows + " rows");
    }
    FixedSizeListVector list = v.getUnderlyingVector();
    FieldVector child = list.getDataVector();
    int listSize = v.type().listSize();
    if (list.getNullCount() > 0) {
      for (int r = firstRow; r < firstRow + rowCount; r++) {
        if (list.isNull(r)) {
          throw new IllegalStateException("row " + r + " of column '" + name + "' is null; a tensor column"
              + " must hold a value in every row");
        }
      }
    }
    long first = (long) firstRow * listSize;
    long count = (long) rowCount * listSize;
    if (child.getNullCount() > 0) {
      for (long i = first; i < first + count; i++) {
        if (child.isNull((int) i)) {
          throw new IllegalStateException("row " + (i / listSize) + " of column '" + name + "' has a null"
              + " element at flat index " + (i % listSize) + "; tensors have no missing elements");
        }
      }
    }
    copyOut(child.getDataBuffer(), first, count, dst, dstElem);
  }

  static void checkBatch(Tensor batch, FixedShapeTensorType type, String column) {
    Shape s = batch.shape();
    long[] sample = type.shape();
    boolean ok = s.rank() == sample.length + 1;
    for (int i = 0; ok && i < sample.length; i++) {
      ok = s.get(i + 1) == sample[i];
    }
    if (!ok) {
      throw new InvalidArgumentException("tensor of shape " + s + " is not a batch of column '" + column
          + "''s values of shape " + Arrays.toString(sample) + ": expected [n, "
          + Arrays.toString(sample).substring(1));
    }
  }

  private static int rowsOf(Tensor batch) {
    if (batch.shape().rank() == 0) {
      throw new InvalidArgumentException("a scalar tensor is not a batch: it has no rows");
    }
    return Math.toIntExact(batch.shape().get(0));
  }

  private static void setAllValid(ArrowBuf validity, long bits) {
    long bytes = (bits + 7) / 8;
    if (bytes > 0) {
      validity.setOne(0L, bytes);
    }
  }

  /** Copies {@code count} elements of {@code src} from element {@code srcElem} to the start of {@code dst}. */
  static void copyIn(Tensor src, long srcElem, long count, ArrowBuf dst) {
    int width = src.dtype().byteSize();
    int per = CHUNK_BYTES / width;
    for (long done = 0; done < count; ) {
      int n = (int) Math.min(per, count - done);
      ByteBuffer bb = dst.nioBuffer(done * width, n * width).order(ByteOrder.LITTLE_ENDIAN);
      int at = Math.toIntExact(srcElem + done);
      switch (src.dtype()) {
        case FLOAT32:
          bb.asFloatBuffer().put(src.float32Data(), at, n);
          break;
        case FLOAT64:
          bb.asDoubleBuffer().put(src.float64Data(), at, n);
          break;
        default:
          bb.asShortBuffer().put(src.bits16Data(), at, n);
      }
      done += n;
    }
  }

  /** Copies {@code count} elements of {@code src} from element {@code srcElem} into {@code dst} from {@code dstElem}. */
  static void copyOut(ArrowBuf src, long srcElem, long count, Tensor dst, long dstElem) {
    int width = dst.dtype().byteSize();
    int per = CHUNK_BYTES / width;
    for (long done = 0; done < count; ) {
      int n = (int) Math.min(per, count - done);
      ByteBuffer bb = src.nioBuffer((srcElem + done) * width, n * width).order(ByteOrder.LITTLE_ENDIAN);
      int at = Math.toIntExact(dstElem + done);
      switch (dst.dtype()) {
        case FLOAT32:
          bb.asFloatBuffer().get(dst.float32Data(), at, n);
          break;
        case FLOAT64:
          bb.asDoubleBuffer().get(dst.float64Data(), at, n);
          break;
        default:
          bb.asShortBuffer().get(dst.bits16Data(), at, n);
      }
      done += n;
    }
  }
}
