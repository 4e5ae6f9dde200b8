package org.convgrad.io.arrow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.MessageChannelReader;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageResult;
import org.jspecify.annotations.Nullable;

/**
 * Reading IPC messages whose length prefix is checked before anything is allocated: Arrow's
 * {@code MessageSerializer.readMessage} allocates a heap buffer of whatever length the 4-byte
 * prefix claims (up to 2 GiB), so a corrupt stream could exhaust the heap.
 */
final class BoundedMessages {
  /** The most metadata one message may have when the source's size is unknown. */
  static final int MAX_METADATA = 64 << 20;

  private BoundedMessages() {}

  /** The message's metadata length from its prefix, or 0 at the end of the stream; checked against {@code max}. */
  private static int checkedLength(byte[] prefix, int n, long max) throws IOException {
    if (n < 4) {
      return 0; // end of data: Arrow's reader treats it as the end of the stream
    }
    ByteBuffer b = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
    int len = b.getInt(0);
    if (len == -1) {
      if (n < 8) {
        return 0;
      }
      len = b.getInt(4);
    }
    if (len < 0 || len > max) {
      throw new IOException("corrupt: a message claims " + (len & 0xffffffffL) + " bytes of metadata, more than the "
          + max + " bytes it can have here");
    }
    return len;
  }

  /** Reads one message's metadata (not its body) from {@code ch}; null at the end of the stream. */
  static @Nullable MessageMetadataResult readMessage(ReadableByteChannel ch, long maxMetadata) throws IOException {
    ReadChannel in = new ReadChannel(ch);
    ByteBuffer prefix = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    if (in.readFully(prefix) != 4) {
      return null;
    }
    int len = prefix.getInt(0);
    if (len == -1) {
      prefix.clear();
      if (in.readFully(prefix) != 4) {
        return null;
      }
      len = prefix.getInt(0);
    }
    if (len == 0) {
      return null;
    }
    if (len < 0 || len > maxMetadata) {
      throw new IOException("corrupt: a message claims " + (len & 0xffffffffL) + " bytes of metadata, more than the "
          + maxMetadata + " bytes it can have here");
    }
    ByteBuffer message = ByteBuffer.allocate(len);
    if (in.readFully(message) != len) {
      throw new IOException("truncated: the data ended inside a message's metadata");
    }
    message.rewind();
    return MessageMetadataResult.create(message, len);
  }

  /** A check of a record batch's metadata before Arrow loads the batch ({@link BatchLayout}). */
  interface BatchCheck {
    void check(RecordBatch batch, long bodyLength) throws IOException;
  }

  /**
   * A stream's message reader that checks each message's length prefix first, and each record
   * batch with {@link #batchCheck} once it is set (when the stream's schema is known).
   */
  static final class Reader extends MessageChannelReader {
    private final PeekChannel peek;
    private final long maxMetadata;
    @Nullable BatchCheck batchCheck;

    private Reader(PeekChannel peek, BufferAllocator allocator, long maxMetadata) {
      super(new ReadChannel(peek), allocator);
      this.peek = peek;
      this.maxMetadata = maxMetadata;
    }

    @Override
    public @Nullable MessageResult readNext() throws IOException {
      byte[] prefix = new byte[8];
      int n = peek.peek(prefix);
      checkedLength(prefix, n, maxMetadata);
      MessageResult r = super.readNext();
      if (r != null && batchCheck != null && r.getMessage().headerType() == MessageHeader.RecordBatch) {
        try {
          batchCheck.check((RecordBatch) r.getMessage().header(new RecordBatch()), r.getMessage().bodyLength());
        } catch (IOException | RuntimeException e) {
          if (r.getBodyBuffer() != null) {
            r.getBodyBuffer().close();
          }
          throw e;
        }
      }
      return r;
    }
  }

  static Reader reader(ReadableByteChannel ch, BufferAllocator allocator, long maxMetadata) {
    return new Reader(new PeekChannel(ch), allocator, maxMetadata);
  }

  /** A channel that can look at its next bytes without consuming them. */
  static final class PeekChannel implements ReadableByteChannel {
    private final ReadableByteChannel channel;
    private final ByteBuffer pending = ByteBuffer.allocate(8);

    PeekChannel(ReadableByteChannel channel) {
      this.channel = channel;
      pending.flip();
    }

    /** Fills {@code out} with the next bytes, if there are that many; returns how many there are. */
    int peek(byte[] out) throws IOException {
      pending.compact();
      try {
        while (pending.position() < out.length) {
          int r = channel.read(pending);
          if (r < 0) {
            break;
          }
        }
      } finally {
        pending.flip();
      }
      int n = Math.min(out.length, pending.remaining());
      pending.duplicate().get(out, 0, n);
      return n;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (pending.hasRemaining()) {
        int n = Math.min(dst.remaining(), pending.remaining());
        ByteBuffer slice = pending.duplicate();
        slice.limit(slice.position() + n);
        dst.put(slice);
        pending.position(pending.position() + n);
        return n;
      }
      return channel.read(dst);
    }

    @Override
    public boolean isOpen() {
      return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
