package org.convgrad.io.arrow;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.types.pojo.Schema;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * Reads rows of an IPC file's record batches straight from the file into a heap tensor, through
 * one reused 1 MiB buffer, instead of loading whole batches into Arrow memory first: the fast
 * path of {@link TensorIpcReader#readRecordBatchRows}. A batch whose layout this does not handle
 * (with nulls, or fields whose buffers {@link BatchLayout} cannot count) or that is inconsistent has
 * no {@link Layout}, and the reader loads it the ordinary way, which reports what is wrong.
 */
final class DirectBatchReads implements AutoCloseable {
  private final String source;
  private final SeekableByteChannel seekable;
  private final Schema schema;
  private final TensorColumnInfo column;
  private final List<ArrowBlock> blocks;
  private final BufferAllocator allocator;
  private final @Nullable Layout[] layouts; // per record batch, computed on first use
  private @Nullable ArrowBuf chunk;

  DirectBatchReads(String source, SeekableByteChannel seekable, Schema schema, TensorColumnInfo column,
      List<ArrowBlock> blocks, BufferAllocator allocator) {
    this.source = source;
    this.seekable = seekable;
    this.schema = schema;
    this.column = column;
    this.blocks = blocks;
    this.allocator = allocator;
    this.layouts = new Layout[blocks.size()];
  }

  /** Copies {@code count} rows from row {@code first} of the batch into {@code dst} from row {@code dstRow}. */
  void readTensor(Layout layout, int first, int count, Tensor dst, long dstRow) throws IOException {
    long listSize = column.type().listSize();
    int width = column.dtype().byteSize();
    readValues(layout.tensorData() + (long) first * listSize * width, (long) count * listSize, width, dst,
        dstRow * listSize);
  }

  /** The ids of {@code count} rows from row {@code first}, or null without an id column. */
  long @Nullable [] readIds(Layout layout, int first, int count) throws IOException {
    if (layout.idData() < 0) {
      return null;
    }
    long[] ids = new long[count];
    if (count > 0) {
      java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(count * 8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(layout.idData() + (long) first * 8, bb);
      bb.flip();
      bb.asLongBuffer().get(ids);
    }
    return ids;
  }

  /**
   * Where a record batch's tensor values and ids start in the file.
   *
   * @param tensorData file offset of the tensor column's values
   * @param idData file offset of the ids, -1 without an id column
   */
  record Layout(long rows, long tensorData, long idData) {}

  private static final Layout NOT_DIRECT = new Layout(-1, -1, -1);

  /** The direct-read layout of record batch {@code index}, or null when it must be loaded instead. */
  @Nullable Layout layout(int index) {
    Layout l = layouts[index];
    if (l == null) {
      l = computeLayout(blocks.get(index));
      layouts[index] = l;
    }
    return l == NOT_DIRECT ? null : l;
  }

  private Layout computeLayout(ArrowBlock block) {
    try {
      SeekableByteChannel ch = seekable;
      ch.position(block.getOffset());
      MessageMetadataResult m = BoundedMessages.readMessage(ch, block.getMetadataLength());
      if (m == null || m.headerType() != org.apache.arrow.flatbuf.MessageHeader.RecordBatch) {
        return NOT_DIRECT;
      }
      org.apache.arrow.flatbuf.RecordBatch rb =
          (org.apache.arrow.flatbuf.RecordBatch) m.getMessage().header(new org.apache.arrow.flatbuf.RecordBatch());
      BatchLayout b = BatchLayout.of(rb, block.getBodyLength(), schema, column);
      if (!b.plain() || !b.checked()) {
        return NOT_DIRECT;
      }
      long body = block.getOffset() + block.getMetadataLength();
      return new Layout(b.rows(), body + b.tensorValues(), b.idValues() < 0 ? -1 : body + b.idValues());
    } catch (IOException | RuntimeException e) {
      return NOT_DIRECT; // the load path reports what is wrong
    }
  }

  /** Reads {@code count} elements of {@code width} bytes at file offset {@code at} into dst from element dstElem. */
  private void readValues(long at, long count, int width, Tensor dst, long dstElem) throws IOException {
    if (count == 0) {
      return;
    }
    if (chunk == null) {
      chunk = allocator.buffer(DIRECT_CHUNK);
    }
    java.nio.ByteBuffer bb = chunk.nioBuffer(0, DIRECT_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    int per = DIRECT_CHUNK / width;
    for (long done = 0; done < count; ) {
      int n = (int) Math.min(per, count - done);
      bb.clear();
      bb.limit(n * width);
      readFully(at + done * width, bb);
      bb.flip();
      int to = Math.toIntExact(dstElem + done);
      switch (dst.dtype()) {
        case FLOAT32:
          bb.asFloatBuffer().get(dst.float32Data(), to, n);
          break;
        case FLOAT64:
          bb.asDoubleBuffer().get(dst.float64Data(), to, n);
          break;
        default:
          bb.asShortBuffer().get(dst.bits16Data(), to, n);
      }
      done += n;
    }
  }

  private static final int DIRECT_CHUNK = 1 << 20;

  private void readFully(long position, java.nio.ByteBuffer dst) throws IOException {
    SeekableByteChannel ch = seekable;
    ch.position(position);
    while (dst.hasRemaining()) {
      if (ch.read(dst) < 0) {
        throw new TensorFormatException(source, "truncated: the file ends at byte " + ch.position()
            + " inside a record batch");
      }
    }
  }

  @Override
  public void close() {
    if (chunk != null) {
      chunk.close();
      chunk = null;
    }
  }
}
