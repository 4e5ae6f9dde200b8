package org.convgrad.io.npy;

import java.nio.ByteOrder;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Shape;

/**
 * The header of a {@code .npy} file.
 *
 * @param majorVersion format version, 1, 2 or 3
 * @param minorVersion format minor version (0)
 * @param descr the NumPy type string as written, e.g. {@code <f4}
 * @param dtype the element type
 * @param byteOrder the byte order of the data ({@code >f4} is big-endian)
 * @param shape the array's shape (rank 0 for a scalar)
 * @param fortranOrder whether the data is column-major (convgrad reads C order only)
 * @param dataOffset where the data starts in the file
 */
public record NpyHeader(
    int majorVersion,
    int minorVersion,
    String descr,
    DType dtype,
    ByteOrder byteOrder,
    Shape shape,
    boolean fortranOrder,
    long dataOffset) {

  /** The number of elements. */
  public long elementCount() {
    return shape.elementCount();
  }

  /** The number of data bytes the header announces; rejected by the reader when it overflows. */
  public long dataBytes() {
    return Math.multiplyExact(elementCount(), (long) dtype.byteSize());
  }

  /** Rows along axis 0 (1 for a scalar). */
  public long rowCount() {
    return shape.rank() == 0 ? 1 : shape.get(0);
  }

  /** Elements per row along axis 0 (the product of the other dimensions). */
  public long rowElements() {
    long n = 1;
    for (int i = 1; i < shape.rank(); i++) {
      n = Math.multiplyExact(n, shape.get(i));
    }
    return n;
  }
}
