package org.convgrad.io.arrow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
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

  /** Fails unless every record batch the footer lists lies inside the {@code size}-byte file. */
  static void checkBlocks(List<ArrowBlock> blocks, long size, String source) throws TensorFormatException {
    for (int i = 0; i < blocks.size(); i++) {
      ArrowBlock block = blocks.get(i);
      if (block.getOffset() < 0 || block.getMetadataLength() < 0 || block.getBodyLength() < 0
          || block.getOffset() + block.getMetadataLength() + block.getBodyLength() > size) {
        throw new TensorFormatException(source, "truncated or corrupt: record batch " + i + " at byte "
            + block.getOffset() + " (" + block.getMetadataLength() + " + " + block.getBodyLength()
            + " bytes) runs past the end of the " + size + "-byte file");
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
