package org.convgrad.io.arrow;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.AtomicFile;
import org.jspecify.annotations.Nullable;

/**
 * Writes batches of tensor samples as Arrow record batches, to an IPC file or stream: an {@code
 * id} column (int64, unless turned off), the tensor column ({@code arrow.fixed_shape_tensor}) and
 * optionally other columns carried from elsewhere. A batch tensor of any size is cut into record
 * batches of at most {@link Builder#maxBatchRows} rows, so the writer holds at most one record
 * batch of Arrow memory at a time (kept and reused from batch to batch until {@link #close()}).
 *
 * <p>A file written to a {@link Path} goes to a temporary name and is renamed into place by
 * {@link #close()}; {@link #abort()}, or a failed {@link #write}, leaves nothing under the final
 * name. {@code close()} cannot tell why it is called: code of the caller's own that can fail between
 * writes must {@code abort()} on failure, or a try-with-resources commits the rows written so far.
 *
 * <pre>{@code
 * try (BufferAllocator a = new RootAllocator();
 *      TensorIpcWriter w = TensorIpcWriter.builder(FixedShapeTensorType.sample(NHWC, 8, 8, 3), FLOAT32)
 *          .openFile(path, a)) {
 *   try {
 *     for (Tensor batch : batches()) { // the caller's own code, which may fail
 *       w.write(next, batch); // ids next, next + 1, ...
 *       next += batch.shape().get(0);
 *     }
 *   } catch (RuntimeException | IOException e) {
 *     w.abort(); // nothing under path's name; close() then does nothing
 *     throw e;
 *   }
 * }
 * }</pre>
 */
public final class TensorIpcWriter implements AutoCloseable {
  public static final String ID_COLUMN = "id";
  public static final String TENSOR_COLUMN = "tensor";
  /** The default record batch size in bytes of tensor data, when no row count is given. */
  public static final long DEFAULT_BATCH_BYTES = 64L << 20;

  private final Schema schema;
  private final VectorSchemaRoot root;
  private final @Nullable BigIntVector ids;
  private final FixedShapeTensorVector tensors;
  private final List<FieldVector> carried;
  private final ArrowWriter writer;
  private final @Nullable AtomicFile file;
  private final int maxBatchRows;
  private final String target;
  private long rowsWritten;
  private boolean closed;
  /** A write failed: close() must not finish the file (try-with-resources calls it all the same). */
  private boolean failed;

  private TensorIpcWriter(Builder b, BufferAllocator allocator, WritableByteChannel channel, boolean fileFormat,
      @Nullable AtomicFile file, String target) {
    this.file = file;
    this.target = target;
    List<Field> fields = new ArrayList<>();
    if (b.idColumn) {
      fields.add(new Field(ID_COLUMN, FieldType.notNullable(new ArrowType.Int(64, true)), null));
    }
    fields.add(TensorVectors.field(b.tensorColumn, b.type, b.dtype));
    fields.addAll(b.carriedFields);
    this.schema = new Schema(fields, b.metadata);
    this.root = VectorSchemaRoot.create(schema, allocator);
    int i = 0;
    this.ids = b.idColumn ? (BigIntVector) root.getVector(i++) : null;
    this.tensors = (FixedShapeTensorVector) root.getVector(i++);
    this.carried = new ArrayList<>(root.getFieldVectors().subList(i, fields.size()));
    long rowBytes = Math.max(1L, (long) b.type.listSize() * b.dtype.byteSize());
    this.maxBatchRows = b.maxBatchRows > 0 ? b.maxBatchRows
        : (int) Math.max(1, Math.min(Integer.MAX_VALUE, DEFAULT_BATCH_BYTES / rowBytes));
    this.writer = fileFormat ? new ArrowFileWriter(root, null, channel) : new ArrowStreamWriter(root, null, channel);
    try {
      writer.start();
    } catch (IOException | RuntimeException e) {
      root.close();
      throw new IllegalStateException(target + ": cannot start writing: " + e.getMessage(), e);
    }
  }

  /** A writer of {@code type} samples of {@code dtype} (half, float32 or float64). */
  public static Builder builder(FixedShapeTensorType type, DType dtype) {
    return new Builder(type, dtype);
  }

  /** A writer of {@code [h, w, c]} (NHWC) or {@code [c, h, w]} (NCHW) samples. */
  public static Builder builder(DataFormat format, long h, long w, long c, DType dtype) {
    return new Builder(FixedShapeTensorType.sample(format, h, w, c), dtype);
  }

  /** The schema of what is written. */
  public Schema schema() {
    return schema;
  }

  /** The most rows in one record batch. */
  public int maxBatchRows() {
    return maxBatchRows;
  }

  /** Rows written so far. */
  public long rowsWritten() {
    return rowsWritten;
  }

  /** Writes the rows of {@code batch} with ids {@code firstId, firstId + 1, ...}. */
  public void write(long firstId, Tensor batch) throws IOException {
    int n = rows(batch);
    long[] idValues = new long[n];
    for (int r = 0; r < n; r++) {
      idValues[r] = firstId + r;
    }
    write(idValues, batch, List.of());
  }

  /** Writes the rows of {@code batch} with the given ids. */
  public void write(long[] idValues, Tensor batch) throws IOException {
    write(idValues, batch, List.of());
  }

  /**
   * Writes the rows of {@code batch} with the given ids (ignored when the writer has no id column)
   * and, for each carried field in order, the vector in {@code carriedColumns} holding that
   * column's values for these rows (an empty list when the writer carries no columns). The carried
   * vectors are not changed.
   */
  public void write(long[] idValues, Tensor batch, List<? extends FieldVector> carriedColumns) throws IOException {
    write(idValues, batch, 0, rows(batch), carriedColumns);
  }

  /**
   * Writes rows {@code [firstRow, firstRow + rowCount)} of {@code batch} with the given ids (one
   * per row written) and carried columns (vectors of {@code rowCount} rows, one per carried field).
   */
  public void write(long[] idValues, Tensor batch, long firstRow, int rowCount,
      List<? extends FieldVector> carriedColumns) throws IOException {
    checkOpen();
    boolean ok = false;
    try {
      writeChecked(idValues, batch, firstRow, rowCount, carriedColumns);
      ok = true;
    } finally {
      failed |= !ok;
    }
  }

  private void writeChecked(long[] idValues, Tensor batch, long firstRow, int rowCount,
      List<? extends FieldVector> carriedColumns) throws IOException {
    int rows = rows(batch);
    if (firstRow < 0 || rowCount < 0 || firstRow > rows || rowCount > rows - firstRow) {
      throw new IndexOutOfBoundsException("rows [" + firstRow + ", " + firstRow + " + " + rowCount
          + ") are outside the batch's " + rows + " rows");
    }
    int n = rowCount;
    if (idValues.length != n) {
      throw new InvalidArgumentException(idValues.length + " ids for " + n + " rows");
    }
    if (carriedColumns.size() != carried.size()) {
      throw new InvalidArgumentException(carriedColumns.size() + " carried columns given, the schema has "
          + carried.size() + ": " + schema);
    }
    for (FieldVector v : carriedColumns) {
      if (v.getValueCount() != n) {
        throw new InvalidArgumentException("carried column '" + v.getName() + "' has " + v.getValueCount()
            + " rows, the batch " + n);
      }
    }
    TensorVectors.checkBatch(batch, tensors.type(), tensors.getField().getName());
    if (batch.dtype() != tensors.dtype()) {
      throw new InvalidArgumentException("column '" + tensors.getField().getName() + "' holds "
          + tensors.dtype().tfName() + " but the tensor is " + batch.dtype().tfName());
    }
    for (int first = 0; first < n; ) {
      int count = Math.min(maxBatchRows, n - first);
      try {
        fill(idValues, batch, firstRow, carriedColumns, first, count);
        root.setRowCount(count);
        writer.writeBatch();
      } catch (RuntimeException e) {
        throw new IOException(target + ": cannot write a record batch: " + e.getMessage(), e);
      } finally {
        release();
      }
      rowsWritten += count;
      first += count;
    }
  }

  private void fill(long[] idValues, Tensor batch, long batchFirstRow, List<? extends FieldVector> carriedColumns,
      int first, int count) {
    if (ids != null) {
      ids.allocateNew(count);
      if (count > 0) {
        ids.getDataBuffer().nioBuffer(0, count * 8).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer()
            .put(idValues, first, count);
        ids.getValidityBuffer().setOne(0L, (count + 7) / 8);
      }
      ids.setValueCount(count);
    }
    TensorVectors.write(batch, batchFirstRow + first, count, tensors);
    for (int i = 0; i < carried.size(); i++) {
      FieldVector to = carried.get(i);
      to.clear();
      TransferPair tp = carriedColumns.get(i).makeTransferPair(to);
      tp.splitAndTransfer(first, count);
    }
  }

  /** Drops the carried columns' transferred buffers; the tensor buffers are kept for the next batch. */
  private void release() {
    for (FieldVector v : carried) {
      v.clear();
    }
  }

  private int rows(Tensor batch) {
    if (batch.shape().rank() == 0) {
      throw new InvalidArgumentException("a scalar tensor is not a batch: it has no rows");
    }
    return Math.toIntExact(batch.shape().get(0));
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(target + ": writer is closed");
    }
  }

  /**
   * Ends the file or stream (footer, end-of-stream marker) and, for a file, renames it into place;
   * after a failed {@link #write}, {@link #abort()}s instead, so that a failure never leaves a
   * file that looks complete.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    if (failed) {
      abort();
      return;
    }
    closed = true;
    boolean ok = false;
    try {
      try {
        writer.end();
      } finally {
        writer.close(); // closes the channel (for a Path, only a view of it)
        root.close();
      }
      if (file != null) {
        file.commit();
      }
      ok = true;
    } catch (RuntimeException e) {
      throw new IOException(target + ": cannot finish writing: " + e.getMessage(), e);
    } finally {
      if (!ok && file != null) {
        file.abort();
      }
    }
  }

  /** Stops writing; for a file, nothing appears under the final name. */
  public void abort() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      writer.close();
    } finally {
      root.close();
      if (file != null) {
        file.abort();
      }
    }
  }

  /** The settings of a writer; {@code open...} makes one. */
  public static final class Builder {
    private final FixedShapeTensorType type;
    private final DType dtype;
    private String tensorColumn = TENSOR_COLUMN;
    private boolean idColumn = true;
    private List<Field> carriedFields = List.of();
    private int maxBatchRows;
    private @Nullable Map<String, String> metadata;

    private Builder(FixedShapeTensorType type, DType dtype) {
      TensorVectors.arrowType(dtype); // rejects bfloat16 now
      this.type = type;
      this.dtype = dtype;
    }

    /** The tensor column's name ({@value TensorIpcWriter#TENSOR_COLUMN} by default). */
    public Builder tensorColumn(String name) {
      this.tensorColumn = name;
      return this;
    }

    /** Whether to write the int64 {@value TensorIpcWriter#ID_COLUMN} column (default true). */
    public Builder idColumn(boolean write) {
      this.idColumn = write;
      return this;
    }

    /** Further columns, given to {@link #write(long[], Tensor, List)} with each batch. */
    public Builder carriedFields(List<Field> fields) {
      this.carriedFields = List.copyOf(fields);
      return this;
    }

    /** The most rows in one record batch (default: about 64 MiB of tensor data). */
    public Builder maxBatchRows(int rows) {
      if (rows < 1) {
        throw new IllegalArgumentException("maxBatchRows must be at least 1, not " + rows);
      }
      this.maxBatchRows = rows;
      return this;
    }

    /** Schema-level custom metadata. */
    public Builder metadata(@Nullable Map<String, String> metadata) {
      this.metadata = metadata;
      return this;
    }

    /** An IPC file at {@code path}, written under a temporary name until {@link #close()}. */
    public TensorIpcWriter openFile(Path path, BufferAllocator allocator) throws IOException {
      AtomicFile f = AtomicFile.begin(path);
      try {
        return new TensorIpcWriter(this, allocator, new KeepOpen(f), true, f, path.toString());
      } catch (RuntimeException e) {
        f.abort();
        throw e;
      }
    }

    /** An IPC file written to {@code channel} (closed by {@link #close()}). */
    public TensorIpcWriter openFile(WritableByteChannel channel, String target, BufferAllocator allocator) {
      return new TensorIpcWriter(this, allocator, channel, true, null, target);
    }

    /** An IPC stream written to {@code channel} (closed by {@link #close()}). */
    public TensorIpcWriter openStream(WritableByteChannel channel, String target, BufferAllocator allocator) {
      return new TensorIpcWriter(this, allocator, channel, false, null, target);
    }

    /** An IPC stream written to {@code out} (closed by {@link #close()}). */
    public TensorIpcWriter openStream(OutputStream out, String target, BufferAllocator allocator) {
      return openStream(Channels.newChannel(out), target, allocator);
    }

    /** An IPC stream at {@code path}, written under a temporary name until {@link #close()}. */
    public TensorIpcWriter openStream(Path path, BufferAllocator allocator) throws IOException {
      AtomicFile f = AtomicFile.begin(path);
      try {
        return new TensorIpcWriter(this, allocator, new KeepOpen(f), false, f, path.toString());
      } catch (RuntimeException e) {
        f.abort();
        throw e;
      }
    }
  }

  /**
   * A view of an AtomicFile's channel whose close() leaves the channel open, for AtomicFile to force
   * and rename; a write the storage fails names the file ({@link AtomicFile#failed}).
   */
  private static final class KeepOpen implements WritableByteChannel {
    private final AtomicFile file;
    private boolean open = true;

    KeepOpen(AtomicFile file) {
      this.file = file;
    }

    @Override
    public int write(java.nio.ByteBuffer src) throws IOException {
      if (!open) {
        throw new java.nio.channels.ClosedChannelException();
      }
      try {
        return file.channel().write(src);
      } catch (IOException e) {
        throw file.failed(e);
      }
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
    }
  }
}
