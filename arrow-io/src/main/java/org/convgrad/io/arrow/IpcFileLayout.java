package org.convgrad.io.arrow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.vector.ipc.message.ArrowBlock;

/**
 * Checks of an Arrow IPC file's frame made before Arrow reads it: the magic at both ends and a
 * footer whose record batches lie inside the file. Arrow itself would fail on such input with an
 * unhelpful error or, for a block past the end, try to allocate what the footer claims.
 */
final class IpcFileLayout {
  private static final byte[] MAGIC = {'A', 'R', 'R', 'O', 'W', '1'};

  private IpcFileLayout() {}

  /** Fails unless the {@code size}-byte file starts and ends with ARROW1 (and says when it is a stream instead). */
  static void checkMagic(SeekableByteChannel ch, long size, String source) throws IOException {
    byte[] head = readAt(ch, 0, (int) Math.min(size, 8));
    boolean headOk = head.length >= 6 && Arrays.equals(Arrays.copyOf(head, 6), MAGIC);
    if (!headOk) {
      boolean stream = head.length >= 4 && head[0] == -1 && head[1] == -1 && head[2] == -1 && head[3] == -1;
      throw new TensorFormatException(source, stream
          ? "an Arrow IPC stream, not an IPC file (it does not start with ARROW1); read it as a stream"
          : "not an Arrow IPC file: it does not start with the magic ARROW1");
    }
    byte[] tail = readAt(ch, Math.max(0, size - 6), (int) Math.min(size, 6));
    if (size < 8 + 10 || !Arrays.equals(tail, MAGIC)) {
      throw new TensorFormatException(source, "truncated: the Arrow IPC file (" + size
          + " bytes) does not end with its footer and the magic ARROW1");
    }
  }

  /**
   * Fails unless every record batch the footer lists lies before the footer, and its message's own
   * length prefix says the metadata length the footer gives (as Arrow C++ requires): the body is
   * read where the footer's length puts it, so a footer that lies would shift every value.
   */
  static void checkBlocks(SeekableByteChannel ch, List<ArrowBlock> blocks, long size, String source)
      throws IOException {
    byte[] footerLength = readAt(ch, size - 10, 4);
    long footerStart = size - 10 - (ByteBuffer.wrap(footerLength).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL);
    for (int i = 0; i < blocks.size(); i++) {
      ArrowBlock block = blocks.get(i);
      long end;
      try {
        end = Math.addExact(Math.addExact(block.getOffset(), block.getMetadataLength()), block.getBodyLength());
      } catch (ArithmeticException e) {
        end = Long.MAX_VALUE;
      }
      if (block.getOffset() < 0 || block.getMetadataLength() < 0 || block.getBodyLength() < 0 || end > footerStart) {
        throw new TensorFormatException(source, "truncated or corrupt: record batch " + i + " at byte "
            + block.getOffset() + " (" + block.getMetadataLength() + " + " + block.getBodyLength()
            + " bytes) runs past the start of the footer at byte " + footerStart + " of the " + size + "-byte file");
      }
      ByteBuffer prefix = ByteBuffer.wrap(readAt(ch, block.getOffset(), 8)).order(ByteOrder.LITTLE_ENDIAN);
      boolean continuation = prefix.limit() >= 4 && prefix.getInt(0) == -1;
      long length = prefix.limit() < (continuation ? 8 : 4) ? -1 : prefix.getInt(continuation ? 4 : 0) & 0xffffffffL;
      if (length <= 0 || (continuation ? 8 : 4) + length != block.getMetadataLength()) {
        throw new TensorFormatException(source, "corrupt: record batch " + i + " at byte " + block.getOffset()
            + " has a message of " + length + " bytes of metadata, but the footer gives it " + block.getMetadataLength()
            + " with its prefix");
      }
    }
  }

  private static byte[] readAt(SeekableByteChannel ch, long position, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    ch.position(position);
    while (b.hasRemaining() && ch.read(b) >= 0) {
      // fill
    }
    return Arrays.copyOf(b.array(), b.position());
  }
}
