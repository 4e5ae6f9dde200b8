package org.convgrad.io.arrow;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.types.pojo.Schema;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;
import org.convgrad.io.InputFiles;

/**
 * Reads an Arrow IPC file or stream of tensor samples (one row per sample, the first {@code
 * arrow.fixed_shape_tensor} column is the tensor, an int64 {@code id} column optional), one record
 * batch at a time. Reading a batch's tensor copies it into a heap {@link Tensor} in bulk.
 *
 * <p>Corrupt input (not Arrow, truncated, lying sizes, bad extension metadata) is rejected with a
 * {@link TensorFormatException} naming the source. When the source's size is known (a file or a
 * seekable channel) the reader's Arrow memory is capped at a small multiple of it, and every
 * record batch of a file is checked against the file's size before it is read, so a lying header
 * cannot make it allocate more.
 *
 * <p>The reader owns the channel it reads and closes it. Not thread-safe.
 */
public final class TensorIpcReader implements AutoCloseable {
  private final String source;
  private final BufferAllocator allocator;
  private final ArrowReader reader;
  private final @Nullable SeekableByteChannel seekable;
  private final @Nullable List<ArrowBlock> blocks;
  private final Schema schema;
  private final TensorColumnInfo column;
  private long @Nullable [] rowCounts;
  private boolean loaded;
  private int loadedIndex = -1; // the record batch of a file that is loaded, -1 if none (or unknown)
  private @Nullable DirectBatchReads direct; // a file's row reads that bypass Arrow memory

  private TensorIpcReader(String source, BufferAllocator allocator, ReadableByteChannel channel, boolean file)
      throws IOException {
    FixedShapeTensorType.ensureRegistered();
    this.source = source;
    long size = channel instanceof SeekableByteChannel ? ((SeekableByteChannel) channel).size() : -1;
    this.seekable = file ? (SeekableByteChannel) channel : null;
    BufferAllocator child = null;
    ArrowReader r = null;
    try {
      if (size == 0) {
        throw new TensorFormatException(source, "empty file (0 bytes), not an Arrow IPC " + (file ? "file" : "stream"));
      }
      if (file) {
        IpcFileLayout.checkMagic((SeekableByteChannel) channel, size, source);
      }
      long limit = size < 0 ? Long.MAX_VALUE : Math.min(Long.MAX_VALUE / 4, size) * 2 + (16L << 20);
      child = allocator.newChildAllocator("TensorIpcReader " + source, 0, limit);
      BoundedMessages.Reader messages = file ? null : BoundedMessages.reader(channel, child,
          size < 0 ? BoundedMessages.MAX_METADATA : Math.min(size, BoundedMessages.MAX_METADATA));
      r = file ? new ArrowFileReader((SeekableByteChannel) channel, child) : new ArrowStreamReader(messages, child);
      this.schema = wrap(r::getVectorSchemaRoot).getSchema();
      if (file) {
        List<ArrowBlock> b = wrap(((ArrowFileReader) r)::getRecordBlocks);
        IpcFileLayout.checkBlocks((SeekableByteChannel) channel, b, size, source);
        this.blocks = b;
      } else {
        this.blocks = null;
      }
      this.column = TensorColumnInfo.of(schema, source);
      if (messages != null) {
        messages.batchCheck = (batch, bodyLength) -> checkBatch(batch, bodyLength, "a record batch");
      }
    } catch (IOException | RuntimeException e) {
      TensorFormatException failure = e instanceof TensorFormatException ? (TensorFormatException) e : format(e);
      if (String.valueOf(e.getMessage()).contains(FixedShapeTensorType.EXTENSION_NAME)
          && channel instanceof SeekableByteChannel && channel.isOpen()) {
        String field = SchemaProbe.badTensorField((SeekableByteChannel) channel, file);
        if (field != null) {
          failure = new TensorFormatException(source, "bad " + FixedShapeTensorType.EXTENSION_NAME + " column: "
              + field, e);
        }
      }
      closeQuietly(r, child, channel);
      throw failure;
    }
    this.allocator = child;
    this.reader = r;
  }

  /** An IPC file at {@code path}. */
  public static TensorIpcReader openFile(Path path, BufferAllocator allocator) throws IOException {
    return new TensorIpcReader(path.toString(), allocator, InputFiles.open(path), true);
  }

  /** An IPC file read through {@code channel} (a Hadoop stream behind an adapter, for one). */
  public static TensorIpcReader openFile(SeekableByteChannel channel, String source, BufferAllocator allocator)
      throws IOException {
    return new TensorIpcReader(source, allocator, channel, true);
  }

  /** An IPC stream in the file at {@code path}. */
  public static TensorIpcReader openStream(Path path, BufferAllocator allocator) throws IOException {
    return new TensorIpcReader(path.toString(), allocator, InputFiles.open(path), false);
  }

  /** An IPC stream read from {@code channel}. */
  public static TensorIpcReader openStream(ReadableByteChannel channel, String source, BufferAllocator allocator)
      throws IOException {
    return new TensorIpcReader(source, allocator, channel, false);
  }

  /** An IPC stream read from {@code in}. */
  public static TensorIpcReader openStream(InputStream in, String source, BufferAllocator allocator)
      throws IOException {
    return new TensorIpcReader(source, allocator, Channels.newChannel(in), false);
  }

  public String source() {
    return source;
  }

  public Schema schema() {
    return schema;
  }

  /** The tensor column: name, sample shape, dtype, layout, id column. */
  public TensorColumnInfo column() {
    return column;
  }

  /** Whether this reads the IPC file format (random access to record batches). */
  public boolean isFile() {
    return blocks != null;
  }

  /** The number of record batches of a file. */
  public int recordBatchCount() {
    return requireFile().size();
  }

  /** The rows of each record batch of a file, read from the batches' metadata only. */
  public long[] recordBatchRowCounts() throws IOException {
    if (rowCounts == null) {
      List<ArrowBlock> b = requireFile();
      long[] counts = new long[b.size()];
      SeekableByteChannel ch = seekable;
      for (int i = 0; i < counts.length; i++) {
        ArrowBlock block = b.get(i);
        try {
          ch.position(block.getOffset());
          MessageMetadataResult m = BoundedMessages.readMessage(ch, block.getMetadataLength());
          if (m == null || m.headerType() != org.apache.arrow.flatbuf.MessageHeader.RecordBatch) {
            throw new TensorFormatException(source, "record batch " + i + " at byte " + block.getOffset()
                + " is not a record batch message");
          }
          org.apache.arrow.flatbuf.RecordBatch rb =
              (org.apache.arrow.flatbuf.RecordBatch) m.getMessage().header(new org.apache.arrow.flatbuf.RecordBatch());
          counts[i] = checkBatch(rb, block.getBodyLength(), "record batch " + i).rows();
        } catch (TensorFormatException e) {
          throw e;
        } catch (IOException | RuntimeException e) {
          throw format(e);
        }
      }
      rowCounts = counts;
    }
    return rowCounts.clone();
  }

  /** The batch's layout, or the file's error naming {@code which} batch and what is inconsistent. */
  private BatchLayout checkBatch(org.apache.arrow.flatbuf.RecordBatch batch, long bodyLength, String which)
      throws TensorFormatException {
    try {
      return BatchLayout.of(batch, bodyLength, schema, column);
    } catch (IllegalStateException e) {
      throw new TensorFormatException(source, "corrupt: " + which + " is inconsistent: " + e.getMessage());
    } catch (UnsupportedOperationException e) {
      throw new TensorFormatException(source, which + " " + e.getMessage());
    }
  }

  /** The rows of a file, from its record batches' metadata. */
  public long sampleCount() throws IOException {
    long n = 0;
    for (long c : recordBatchRowCounts()) {
      n += c;
    }
    return n;
  }

  /** Loads the next record batch; false at the end. */
  public boolean loadNextBatch() throws IOException {
    if (isFile()) {
      recordBatchRowCounts(); // every batch's metadata checked before Arrow loads one
    }
    loadedIndex = -1;
    loaded = wrap(reader::loadNextBatch);
    if (loaded) {
      checkLoaded();
    }
    return loaded;
  }

  /** Loads record batch {@code index} of a file. */
  public void loadRecordBatch(int index) throws IOException {
    ArrowBlock block = requireFile().get(index);
    recordBatchRowCounts(); // every batch's metadata checked before Arrow loads one
    loadedIndex = -1;
    loaded = wrap(() -> ((ArrowFileReader) reader).loadRecordBatch(block));
    if (!loaded) {
      throw new TensorFormatException(source, "record batch " + index + " could not be read");
    }
    checkLoaded();
    loadedIndex = index;
  }

  /**
   * Copies rows {@code [first, first + count)} of record batch {@code index} of a file into {@code
   * dst} from row {@code dstRow} and returns their ids (null without an id column), reading only
   * those rows' bytes from the channel straight into the tensor's array (through a small reused
   * buffer) instead of loading the whole record batch into Arrow memory first.
   *
   * <p>That direct path is taken when the record batch is uncompressed, its tensor and id columns
   * hold no nulls, and its buffers lie inside its body where the schema says; otherwise (or for a
   * batch that is already loaded) the batch is loaded ({@link #loadRecordBatch}) and copied as
   * {@link #readBatchInto} does, with the same result and the same errors. The direct path does
   * not change which batch is loaded.
   */
  public long @Nullable [] readRecordBatchRows(int index, int first, int count, Tensor dst, long dstRow)
      throws IOException {
    List<ArrowBlock> b = requireFile();
    if (index < 0 || index >= b.size()) {
      throw new IndexOutOfBoundsException("record batch " + index + " of " + b.size());
    }
    if (direct == null) {
      direct = new DirectBatchReads(source, seekable, schema, column, b, allocator);
    }
    DirectBatchReads.Layout layout = loaded && loadedIndex == index ? null : direct.layout(index);
    if (layout == null) {
      if (!loaded || loadedIndex != index) {
        loadRecordBatch(index);
      }
      readBatchInto(first, count, dst, dstRow);
      return batchIds(first, count);
    }
    if (first < 0 || count < 0 || first > layout.rows() || count > layout.rows() - first) {
      throw new IndexOutOfBoundsException("rows [" + first + ", " + first + " + " + count + ") of a "
          + layout.rows() + "-row batch");
    }
    TensorVectors.checkBatch(dst, column.type(), column.name());
    if (dst.dtype() != column.dtype()) {
      throw new org.convgrad.engine.InvalidArgumentException("column '" + column.name() + "' holds "
          + column.dtype().tfName() + " but the destination tensor is " + dst.dtype().tfName());
    }
    long dstRows = dst.shape().get(0);
    if (dstRow < 0 || dstRow > dstRows || count > dstRows - dstRow) {
      throw new IndexOutOfBoundsException("rows [" + dstRow + ", " + dstRow + " + " + count
          + ") are outside the destination's " + dstRows + " rows");
    }
    direct.readTensor(layout, first, count, dst, dstRow);
    return direct.readIds(layout, first, count);
  }

  private void checkLoaded() throws IOException {
    try {
      tensorVector().dtype();
    } catch (IllegalStateException e) {
      throw new TensorFormatException(source, e.getMessage(), e);
    }
  }

  /**
   * The dictionary of a dictionary-encoded column ({@code field.getDictionary().getId()}), once a
   * batch is loaded; null if the file holds none of that id.
   */
  public org.apache.arrow.vector.dictionary.@Nullable Dictionary dictionary(long id) throws IOException {
    return wrap(() -> reader.getDictionaryVectors().get(id));
  }

  /** The loaded record batch (valid until the next load or {@link #close()}). */
  public VectorSchemaRoot root() throws IOException {
    requireLoaded();
    return wrap(reader::getVectorSchemaRoot);
  }

  /** The loaded record batch's tensor column. */
  public FixedShapeTensorVector tensorVector() throws IOException {
    return (FixedShapeTensorVector) wrap(reader::getVectorSchemaRoot).getVector(column.name());
  }

  /** The loaded record batch's row count. */
  public int batchRowCount() throws IOException {
    requireLoaded();
    return wrap(reader::getVectorSchemaRoot).getRowCount();
  }

  /** The loaded record batch's samples as one tensor {@code [rows, ...shape]}. */
  public Tensor batchTensor() throws IOException {
    return batchTensor(0, batchRowCount());
  }

  /** Rows {@code [first, first + count)} of the loaded record batch as one tensor. */
  public Tensor batchTensor(int first, int count) throws IOException {
    Tensor t = Tensor.zeros(column.dtype(), TensorVectors.batchShape(column.type(), count));
    readBatchInto(first, count, t, 0);
    return t;
  }

  /** Copies rows {@code [first, first + count)} of the loaded record batch into {@code dst} from row {@code dstRow}. */
  public void readBatchInto(int first, int count, Tensor dst, long dstRow) throws IOException {
    requireLoaded();
    try {
      TensorVectors.readInto(tensorVector(), first, count, dst, dstRow);
    } catch (IllegalStateException e) {
      throw new TensorFormatException(source, e.getMessage(), e);
    }
  }

  /** The loaded record batch's ids, or null when there is no id column. */
  public long @Nullable [] batchIds() throws IOException {
    return batchIds(0, batchRowCount());
  }

  /** Ids of rows {@code [first, first + count)} of the loaded record batch, or null without an id column. */
  public long @Nullable [] batchIds(int first, int count) throws IOException {
    requireLoaded();
    if (column.idColumn() == null) {
      return null;
    }
    BigIntVector v = (BigIntVector) root().getVector(column.idColumn());
    if (first < 0 || count < 0 || first + count > v.getValueCount()) {
      throw new IndexOutOfBoundsException("rows [" + first + ", " + first + " + " + count + ") of a "
          + v.getValueCount() + "-row batch");
    }
    if (v.getNullCount() > 0) {
      for (int r = first; r < first + count; r++) {
        if (v.isNull(r)) {
          throw new TensorFormatException(source, "row " + r + " of the id column is null");
        }
      }
    }
    long[] out = new long[count];
    if (count > 0) {
      v.getDataBuffer().nioBuffer((long) first * 8, count * 8).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
    }
    return out;
  }

  /**
   * All remaining samples (for a file: all samples) as one batch. The total must fit one tensor;
   * read large data with {@link TensorDataset} in ranges instead.
   */
  public TensorBatch readAll() throws IOException {
    List<Tensor> parts = new ArrayList<>();
    List<long[]> idParts = new ArrayList<>();
    long rows = 0;
    long limit = column.type().listSize() == 0 ? Long.MAX_VALUE : Shape.MAX_ELEMENTS / column.type().listSize();
    if (isFile()) {
      long total = sampleCount();
      if (total > limit) {
        throw new TensorFormatException(source, total + " samples of shape " + column.sampleShape()
            + " are more than one tensor holds; read them in ranges with TensorDataset");
      }
      Tensor all = Tensor.zeros(column.dtype(), TensorVectors.batchShape(column.type(), total));
      long[] ids = column.idColumn() == null ? null : new long[(int) total];
      long at = 0;
      for (int i = 0; i < recordBatchCount(); i++) {
        loadRecordBatch(i);
        int n = batchRowCount();
        readBatchInto(0, n, all, at);
        if (ids != null) {
          System.arraycopy(batchIds(), 0, ids, (int) at, n);
        }
        at += n;
      }
      return new TensorBatch(0, ids, all);
    }
    while (loadNextBatch()) {
      rows += batchRowCount();
      if (rows > limit) {
        throw new TensorFormatException(source, "more than " + limit + " samples of shape "
            + column.sampleShape() + ": more than one tensor holds");
      }
      parts.add(batchTensor());
      long[] ids = batchIds();
      if (ids != null) {
        idParts.add(ids);
      }
    }
    Tensor all = Tensor.zeros(column.dtype(), TensorVectors.batchShape(column.type(), rows));
    int at = 0;
    for (Tensor p : parts) {
      int n = p.size();
      switch (p.dtype()) {
        case FLOAT32:
          System.arraycopy(p.float32Data(), 0, all.float32Data(), at, n);
          break;
        case FLOAT64:
          System.arraycopy(p.float64Data(), 0, all.float64Data(), at, n);
          break;
        default:
          System.arraycopy(p.bits16Data(), 0, all.bits16Data(), at, n);
      }
      at += n;
    }
    long[] ids = null;
    if (column.idColumn() != null) {
      ids = new long[(int) rows];
      int k = 0;
      for (long[] part : idParts) {
        System.arraycopy(part, 0, ids, k, part.length);
        k += part.length;
      }
    }
    return new TensorBatch(0, ids, all);
  }

  private List<ArrowBlock> requireFile() {
    if (blocks == null) {
      throw new IllegalStateException(source + " is read as a stream; record batches are only numbered in a file");
    }
    return blocks;
  }

  private void requireLoaded() {
    if (!loaded) {
      throw new IllegalStateException(source + ": no record batch is loaded");
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (direct != null) {
        direct.close();
        direct = null;
      }
      reader.close();
    } finally {
      allocator.close();
    }
  }

  private interface IoCall<T> {
    T call() throws IOException;
  }

  private <T> T wrap(IoCall<T> call) throws TensorFormatException {
    try {
      return call.call();
    } catch (TensorFormatException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw format(e);
    } catch (StackOverflowError e) {
      // A schema whose field counts itself among its children: Arrow recurses into it for ever.
      throw new TensorFormatException(source, "corrupt schema: its fields nest without end");
    }
  }

  private TensorFormatException format(Exception e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    String problem;
    if (e instanceof org.apache.arrow.vector.ipc.InvalidArrowFileException || m.contains("magic")) {
      problem = "not an Arrow IPC file (or truncated): " + m;
    } else if (m.contains(FixedShapeTensorType.EXTENSION_NAME)) {
      problem = "bad " + FixedShapeTensorType.EXTENSION_NAME + " column: " + m;
    } else if (e instanceof org.apache.arrow.memory.OutOfMemoryException) {
      problem = "corrupt: it asks for more memory than its size allows (" + m + ")";
    } else if (e instanceof java.io.EOFException || m.contains("Unexpected end") || m.contains("EOF")
        || m.contains("expected") || m.contains("truncated")) {
      problem = "truncated or corrupt: " + m;
    } else {
      problem = "cannot read Arrow IPC data: " + m;
    }
    return new TensorFormatException(source, problem, e);
  }

  private static void closeQuietly(@Nullable ArrowReader r, @Nullable BufferAllocator a, ReadableByteChannel ch) {
    try {
      if (r != null) {
        r.close();
      }
    } catch (IOException | RuntimeException ignored) {
      // reporting the original failure
    }
    try {
      ch.close();
    } catch (IOException | RuntimeException ignored) {
      // reporting the original failure
    }
    try {
      if (a != null) {
        a.close();
      }
    } catch (RuntimeException ignored) {
      // reporting the original failure
    }
  }
}
