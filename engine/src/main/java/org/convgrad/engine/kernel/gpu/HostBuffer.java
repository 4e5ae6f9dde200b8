package org.convgrad.engine.kernel.gpu;

import java.nio.ByteBuffer;

/**
 * Host memory a device copies from and to asynchronously (pinned, for CUDA), seen as a
 * little-endian {@link ByteBuffer}; {@code handle} is the device's own reference to it.
 */
record HostBuffer(ByteBuffer buffer, long bytes, Object handle) {}
