package org.convgrad.engine.kernel.gpu;

/**
 * The pinned host buffers of one GPU kernel, per slot and direction, kept between calls (pinning
 * is slow) and grown when a call needs more; freed when the kernel closes.
 */
final class PinnedBuffers implements AutoCloseable {
  private final Device device;
  private final HostBuffer[] buffers = new HostBuffer[2 * Device.STREAMS];

  PinnedBuffers(Device device) {
    this.device = device;
  }

  /** The buffer of {@code slot} for uploads ({@code up}) or downloads, of at least {@code bytes}. */
  HostBuffer get(int slot, boolean up, long bytes) {
    int i = 2 * slot + (up ? 0 : 1);
    HostBuffer b = buffers[i];
    if (b == null || b.bytes() < bytes) {
      if (b != null) {
        buffers[i] = null;
        device.freeHost(b);
      }
      b = device.allocateHost(Math.max(bytes, 1));
      buffers[i] = b;
    }
    return b;
  }

  @Override
  public void close() {
    for (int i = 0; i < buffers.length; i++) {
      if (buffers[i] != null) {
        HostBuffer b = buffers[i];
        buffers[i] = null;
        device.freeHost(b);
      }
    }
  }
}
