package org.convgrad.io.arrow;

import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A record batch's tensor column and id column as its metadata describes them, checked before the
 * batch is loaded. Arrow's loader sizes every vector by the batch's row count and believes it: a
 * batch that claims more rows than its nodes and buffers hold would have its missing rows read from
 * buffers that do not hold them (grown and zero-filled by Arrow), and a file whose batches claim
 * billions of rows would have the reader allocate for them. So a batch is refused unless the
 * tensor column's node and the id column's node count exactly its rows, the tensor values' node at
 * least as many values, and their value buffers lie inside its body and hold them.
 *
 * @param rows the batch's rows
 * @param tensorValues offset of the tensor column's values in the body
 * @param idValues offset of the ids in the body, -1 without an id column
 * @param plain whether the batch can be read straight from its bytes: uncompressed, no nulls in the
 *     two columns, every field's buffers accounted for
 */
record BatchLayout(long rows, long tensorValues, long idValues, boolean plain) {
  /** A batch whose fields' buffers this does not count (variadic ones): only its row count is known. */
  private static final long UNKNOWN = -2;

  /**
   * The layout of {@code rb}, whose body is {@code bodyLength} bytes.
   *
   * @throws IllegalStateException saying what is inconsistent (the reader names the file and batch)
   * @throws UnsupportedOperationException for a compressed body, valid Arrow that convgrad does not read
   */
  static BatchLayout of(RecordBatch rb, long bodyLength, Schema schema, TensorColumnInfo column) {
    long rows = rb.length();
    if (rows < 0 || rows > Integer.MAX_VALUE) {
      throw new IllegalStateException("it claims " + rows + " rows; a record batch holds 0 to " + Integer.MAX_VALUE);
    }
    if (rb.compression() != null) {
      throw new UnsupportedOperationException("is compressed (lz4 or zstd); convgrad reads uncompressed Arrow IPC:"
          + " write it without compression (pyarrow: IpcWriteOptions(compression=None))");
    }
    long listSize = column.type().listSize();
    int width = column.dtype().byteSize();
    int node = 0;
    int buffer = 0;
    long tensorValues = UNKNOWN;
    long idValues = column.idColumn() == null ? -1 : UNKNOWN;
    boolean plain = rb.variadicBufferCountsLength() == 0;
    for (Field f : schema.getFields()) {
      if (f.getName().equals(column.name()) && tensorValues == UNKNOWN) {
        // fixed_shape_tensor: a FixedSizeList node (validity), its child's node (validity, values)
        FieldNode list = node(rb, node, f);
        FieldNode child = node(rb, node + 1, f);
        counts(f, list.length(), rows);
        if (child.length() < rows * listSize) { // longer is valid (Arrow's own validation allows it), shorter not
          throw new IllegalStateException("it claims " + rows + " rows of " + listSize + " values but column '"
              + f.getName() + "' holds " + child.length() + " values");
        }
        tensorValues = holds(f, buffer(rb, buffer + 2, f), bodyLength, bytes(rows * listSize, width));
        plain &= list.nullCount() == 0 && child.nullCount() == 0;
      } else if (idValues == UNKNOWN && f.getName().equals(column.idColumn())) {
        FieldNode ids = node(rb, node, f);
        counts(f, ids.length(), rows);
        idValues = holds(f, buffer(rb, buffer + 1, f), bodyLength, rows * 8);
        plain &= ids.nullCount() == 0;
      }
      int[] c = {0, 0};
      if (!count(f, c)) {
        // Later fields' nodes and buffers cannot be placed: the columns not found yet stay unchecked.
        return new BatchLayout(rows, tensorValues, idValues, false);
      }
      node += c[0];
      buffer += c[1];
    }
    if (node != rb.nodesLength() || buffer != rb.buffersLength()) {
      throw new IllegalStateException("it has " + rb.nodesLength() + " nodes and " + rb.buffersLength()
          + " buffers where its schema has " + node + " and " + buffer);
    }
    return new BatchLayout(rows, tensorValues, idValues, plain);
  }

  /** Whether both columns were found and checked (not past a field whose buffers cannot be counted). */
  boolean checked() {
    return tensorValues != UNKNOWN && idValues != UNKNOWN;
  }

  private static FieldNode node(RecordBatch rb, int i, Field f) {
    if (i >= rb.nodesLength()) {
      throw new IllegalStateException("column '" + f.getName() + "' has no node");
    }
    return rb.nodes(i);
  }

  private static Buffer buffer(RecordBatch rb, int i, Field f) {
    if (i >= rb.buffersLength()) {
      throw new IllegalStateException("column '" + f.getName() + "' has no values buffer");
    }
    return rb.buffers(i);
  }

  private static void counts(Field f, long length, long rows) {
    if (length != rows) {
      throw new IllegalStateException("it claims " + rows + " rows but column '" + f.getName() + "' holds " + length);
    }
  }

  /** {@code values} elements of {@code width} bytes (rows < 2^31 and list sizes < 2^31 may still overflow). */
  private static long bytes(long values, int width) {
    try {
      return Math.multiplyExact(values, width);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** The buffer's offset, once it lies inside the body and holds {@code bytes}. */
  private static long holds(Field f, Buffer b, long bodyLength, long bytes) {
    if (b.offset() < 0 || b.length() < 0 || b.offset() > bodyLength || b.length() > bodyLength - b.offset()) {
      throw new IllegalStateException("column '" + f.getName() + "''s values lie outside the batch's "
          + bodyLength + " bytes");
    }
    if (b.length() < bytes) {
      throw new IllegalStateException("column '" + f.getName() + "' needs " + bytes + " bytes of values but has "
          + b.length());
    }
    return b.offset();
  }

  /** Adds the field's nodes and buffers (its children's too) to counts; false for variadic layouts. */
  private static boolean count(Field f, int[] counts) {
    ArrowType t = f.getType();
    if (t instanceof ArrowType.ExtensionType) {
      t = ((ArrowType.ExtensionType) t).storageType();
    }
    switch (t.getTypeID()) {
      case Utf8View:
      case BinaryView:
      case ListView:
      case LargeListView:
        return false;
      default:
        break;
    }
    counts[0]++;
    counts[1] += TypeLayout.getTypeBufferCount(t);
    for (Field c : f.getChildren()) {
      if (!count(c, counts)) {
        return false;
      }
    }
    return true;
  }
}
