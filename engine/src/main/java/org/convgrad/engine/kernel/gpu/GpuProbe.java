package org.convgrad.engine.kernel.gpu;

import org.jspecify.annotations.Nullable;

/**
 * Whether a GPU can run convgrad's kernels, and if not, why, in one line (for a log, a command's
 * error or a Spark executor's start-up check). Made by {@link GpuSupport#probe(int)}.
 *
 * @param ordinal the device ordinal asked about
 * @param usable whether an engine of kind GPU can be created for it
 * @param reason empty when usable; else one line, such as {@code "no CUDA driver (libcuda.so.1:
 *     cannot open shared object file: No such file or directory)"}
 * @param deviceName the device's name, or null when none was found
 * @param computeCapability major * 10 + minor (90 for 9.0), or 0
 * @param freeBytes free device memory when probed, or 0
 * @param totalBytes device memory, or 0
 */
public record GpuProbe(
    int ordinal,
    boolean usable,
    String reason,
    @Nullable String deviceName,
    int computeCapability,
    long freeBytes,
    long totalBytes) {

  static GpuProbe unusable(int ordinal, String reason) {
    return new GpuProbe(ordinal, false, reason, null, 0, 0, 0);
  }

  static GpuProbe unusable(DeviceInfo d, String reason, long freeBytes) {
    return new GpuProbe(d.ordinal(), false, reason, d.name(), d.computeCapability(), freeBytes, d.totalBytes());
  }

  /** {@code "device 0: NVIDIA H200, compute capability 9.0, 139 GiB free of 140 GiB"}, or the reason. */
  @Override
  public String toString() {
    if (!usable) {
      return reason;
    }
    return "device " + ordinal + ": " + deviceName + ", compute capability " + computeCapability / 10 + "."
        + computeCapability % 10 + ", " + mib(freeBytes) + " free of " + mib(totalBytes);
  }

  static String mib(long bytes) {
    return bytes >= (10L << 30) ? (bytes >> 30) + " GiB" : (bytes >> 20) + " MiB";
  }
}
