package org.convgrad.engine.kernel.gpu;

/**
 * Device discovery, apart from computing so that {@link GpuProbe}'s reasons can be tested with
 * stand-ins for drivers that are absent or find no, too old or too full devices. {@link
 * JCudaDriverBinding} is the real one.
 */
interface Driver {
  /** Devices the driver sees. */
  int deviceCount();

  DeviceInfo info(int ordinal);

  /** Free memory of a device, in bytes. */
  long freeBytes(int ordinal);

  /** The device with the kernel image loaded, ready to compute. */
  Device open(int ordinal, byte[] image);
}
