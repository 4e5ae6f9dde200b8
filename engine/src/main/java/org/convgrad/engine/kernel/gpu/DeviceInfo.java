package org.convgrad.engine.kernel.gpu;

/** What the driver says about one device. */
record DeviceInfo(int ordinal, String name, int computeCapability, int multiprocessors, long totalBytes) {
  /** {@code "9.0"}. */
  String computeCapabilityText() {
    return computeCapability / 10 + "." + computeCapability % 10;
  }
}
