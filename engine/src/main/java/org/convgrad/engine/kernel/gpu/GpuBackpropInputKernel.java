package org.convgrad.engine.kernel.gpu;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvGeometry;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.kernel.BackpropInputKernel;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Tensor;

/**
 * convgrad's CUDA kernels on one device: the strategy per problem ({@link LaunchPlanner}), the
 * filter packed and uploaded once ({@link #pack}, freed when this kernel closes with its engine),
 * the batch in chunks that fit the device's free memory, double-buffered ({@link ChunkedRun}).
 * Calls are serialized: one engine, one pair of streams.
 *
 * <p>Every result element is gathered by one thread or one tile in a fixed order, so results are
 * bitwise the same on every run and for every chunking; the strategy never depends on the batch.
 */
final class GpuBackpropInputKernel implements BackpropInputKernel, AutoCloseable {
  private final Device device;
  private final GpuOptions options;
  private final PinnedBuffers pinned;
  private final Map<DeviceFilter, Boolean> filters = new IdentityHashMap<>();
  private boolean closed;

  GpuBackpropInputKernel(Device device, GpuOptions options) {
    this.device = device;
    this.options = options;
    this.pinned = new PinnedBuffers(device);
  }

  @Override
  public String name() {
    return "gpu";
  }

  /** {@code gpu (implicit-gemm-f32, device 0 NVIDIA H200)}: the strategy for a finite filter. */
  @Override
  public String describe(Conv2dBackpropInput op) {
    DeviceInfo d = device.info();
    return "gpu (" + strategy(op, true).label(op.dtype()) + ", device " + d.ordinal() + " " + d.name() + ")";
  }

  /**
   * Every problem whose single sample and packed filter fit the device's memory and whose packed
   * filter fits one host buffer (2 GiB); in an AUTO engine ({@link GpuOptions#yieldsWhenFull}), only
   * those the memory free now, less the reserve, holds.
   */
  @Override
  public boolean supports(Conv2dBackpropInput op) {
    ConvGeometry g = op.geometry();
    long filterBytes = PackedLayout.bytes(g, op.dtype());
    long sample = (g.outHeight() * g.outWidth() * g.outDepth() + g.inHeight() * g.inWidth() * g.inDepth())
        * op.dtype().byteSize();
    if (filterBytes > Integer.MAX_VALUE || filterBytes + sample > device.info().totalBytes()) {
      return false;
    }
    return !options.yieldsWhenFull() || filterBytes + sample <= device.memoryInfo()[0] - options.reserveBytes();
  }

  /** The strategy for {@code op}: the planner's, unless the options force one. */
  Strategy strategy(Conv2dBackpropInput op, boolean finiteFilter) {
    Strategy forced = options.forced();
    if (forced != null && forced.accepts(op.dtype())) {
      return forced;
    }
    return LaunchPlanner.choose(op, finiteFilter, device.info().computeCapability());
  }

  /** Packs the filter ({@link PackedLayout}) and uploads it; its device memory is freed at close. */
  @Override
  public synchronized PackedFilter pack(Conv2dBackpropInput op, Tensor filter) {
    checkOpen();
    ConvGeometry g = op.geometry();
    long bytes = PackedLayout.bytes(g, op.dtype());
    HostBuffer host = device.allocateHost(bytes);
    long address = 0;
    try {
      boolean finite = PackedLayout.pack(g, filter, host.buffer());
      address = device.allocate(bytes);
      if (bytes > 0) {
        device.copyToDevice(address, host, 0, bytes, 0);
      }
      device.synchronize(0);
      DeviceFilter f = new DeviceFilter(this, address, bytes, finite);
      filters.put(f, Boolean.TRUE);
      return new PackedFilter(this, op, f, bytes);
    } catch (RuntimeException e) {
      if (address != 0) {
        device.free(address);
      }
      throw e;
    } finally {
      device.freeHost(host);
    }
  }

  /** Frees a packed filter's device memory now rather than at close. */
  synchronized void release(PackedFilter filter) {
    DeviceFilter f = (DeviceFilter) filter.payload();
    if (f.owner == this && filters.remove(f) != null && !f.freed()) {
      f.markFreed();
      device.free(f.address);
    }
  }

  @Override
  public void compute(Conv2dBackpropInput op, Tensor filter, Tensor outBackprop, Tensor result, WorkPool pool) {
    if (result.size() == 0) {
      return;
    }
    PackedFilter packed = pack(op, filter);
    try {
      compute(op, packed, outBackprop, result, pool);
    } finally {
      release(packed);
    }
  }

  @Override
  public synchronized void compute(
      Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop, Tensor result, WorkPool pool) {
    checkOpen();
    if (!(filter.payload() instanceof DeviceFilter) || ((DeviceFilter) filter.payload()).owner != this) {
      throw new InvalidArgumentException("Conv2DBackpropInput: " + filter + " was packed by another engine");
    }
    DeviceFilter f = (DeviceFilter) filter.payload();
    if (f.freed()) {
      throw new GpuException(filter + " was released from device " + device.info().ordinal());
    }
    if (result.size() == 0) {
      return;
    }
    ConvGeometry g = op.geometry();
    DType dtype = op.dtype();
    ChunkedRun run = new ChunkedRun(device, pinned, g, dtype, strategy(op, f.finite), f.address, directBlockCap());
    Chunking c = Chunking.of(g.batch(), run.sampleBytes(), device.memoryInfo()[0], options, where());
    run.run(outBackprop, result, c);
  }

  /** The chunking a call would use now (tests). */
  synchronized Chunking chunking(Conv2dBackpropInput op) {
    ConvGeometry g = op.geometry();
    ChunkedRun run = new ChunkedRun(device, pinned, g, op.dtype(), Strategy.DIRECT, 0, 1);
    return Chunking.of(g.batch(), run.sampleBytes(), device.memoryInfo()[0], options, where());
  }

  private long directBlockCap() {
    return options.directBlockCap() > 0 ? options.directBlockCap() : 32L * Math.max(1, device.info().multiprocessors());
  }

  private String where() {
    return "device " + device.info().ordinal() + " (" + device.info().name() + ")";
  }

  private void checkOpen() {
    if (closed) {
      throw new GpuException("the GPU engine on " + where() + " is closed");
    }
  }

  Device device() {
    return device;
  }

  /** Frees the packed filters and pinned buffers, and closes the device. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      List<DeviceFilter> all = new ArrayList<>(filters.keySet());
      filters.clear();
      for (DeviceFilter f : all) {
        if (!f.freed()) {
          f.markFreed();
          device.free(f.address);
        }
      }
      pinned.close();
    } catch (GpuException e) {
      // A device that failed (and said so to the call that saw it) cannot free; closing it below
      // releases its context and with it everything it held.
    } finally {
      device.close();
    }
  }
}
