package org.convgrad.engine.kernel.gpu;

/**
 * What the GPU kernel needs of a device: memory, copies, launches, on a few streams. Two
 * implementations: {@link CudaDevice} (the CUDA driver through JCuda) and, in the engine's tests,
 * an emulated device that runs the same kernels' sources on the CPU, so that the planning, the
 * parameter blocks and the chunking in {@link GpuBackpropInputKernel} are tested without a GPU.
 *
 * <p>Device memory is named by its address ({@code long}), as kernels see it. Operations on one
 * stream run in order; {@link #synchronize} waits for a stream's operations. Every failure is a
 * {@link GpuException} naming the call.
 */
interface Device extends AutoCloseable {
  /** Streams this device offers, numbered from 0: two, so that copies overlap compute. */
  int STREAMS = 2;

  DeviceInfo info();

  /** {@code {free, total}} device memory in bytes. */
  long[] memoryInfo();

  /** Device memory of at least {@code bytes} (1 for 0), 256-byte aligned; contents undefined. */
  long allocate(long bytes);

  void free(long address);

  /** Host memory the device copies asynchronously from and to. */
  HostBuffer allocateHost(long bytes);

  void freeHost(HostBuffer buffer);

  /** Enqueues a copy of {@code bytes} from {@code src} at {@code srcOffset} to device address {@code dst}. */
  void copyToDevice(long dst, HostBuffer src, long srcOffset, long bytes, int stream);

  /** Enqueues a copy of {@code bytes} from device address {@code src} into {@code dst} at {@code dstOffset}. */
  void copyToHost(HostBuffer dst, long dstOffset, long src, long bytes, int stream);

  /** Enqueues a launch of the named kernel with its parameter block ({@link KernelArgs}). */
  void launch(LaunchPlan plan, long[] args, int stream);

  /** Waits until every operation enqueued on {@code stream} has finished; rethrows their failure. */
  void synchronize(int stream);

  @Override
  void close();
}
