package org.convgrad.engine.kernel.gpu;

import java.nio.ByteBuffer;
import org.convgrad.engine.tensor.Tensor;

/** Moves runs of a tensor's elements to and from a little-endian host buffer, in bulk. */
final class HostCopy {
  private HostCopy() {}

  /** Elements {@code [from, from + count)} of {@code t} (a view's too) to the start of {@code dst}. */
  static void toBuffer(Tensor t, int from, int count, ByteBuffer dst) {
    ByteBuffer b = dst.duplicate().order(dst.order());
    b.clear();
    switch (t.dtype()) {
      case FLOAT32:
        b.asFloatBuffer().put(t.float32Storage(), t.offset() + from, count);
        break;
      case FLOAT64:
        b.asDoubleBuffer().put(t.float64Storage(), t.offset() + from, count);
        break;
      default:
        b.asShortBuffer().put(t.bits16Storage(), t.offset() + from, count);
    }
  }

  /** {@code count} elements from the start of {@code src} into {@code t} at {@code to}. */
  static void fromBuffer(ByteBuffer src, Tensor t, int to, int count) {
    ByteBuffer b = src.duplicate().order(src.order());
    b.clear();
    switch (t.dtype()) {
      case FLOAT32:
        b.asFloatBuffer().get(t.float32Storage(), t.offset() + to, count);
        break;
      case FLOAT64:
        b.asDoubleBuffer().get(t.float64Storage(), t.offset() + to, count);
        break;
      default:
        b.asShortBuffer().get(t.bits16Storage(), t.offset() + to, count);
    }
  }
}
