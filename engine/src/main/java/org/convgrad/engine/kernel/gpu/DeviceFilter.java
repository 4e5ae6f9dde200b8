package org.convgrad.engine.kernel.gpu;

/**
 * The payload of a GPU {@link org.convgrad.engine.kernel.PackedFilter}: the packed filter in device
 * memory of one engine, freed when that engine closes (or when the kernel releases it).
 */
final class DeviceFilter {
  final GpuBackpropInputKernel owner;
  final long address;
  final long bytes;
  /** Whether every filter value is finite; if not, only the direct kernel runs with it. */
  final boolean finite;
  private boolean freed;

  DeviceFilter(GpuBackpropInputKernel owner, long address, long bytes, boolean finite) {
    this.owner = owner;
    this.address = address;
    this.bytes = bytes;
    this.finite = finite;
  }

  boolean freed() {
    return freed;
  }

  void markFreed() {
    freed = true;
  }
}
