package org.convgrad.engine.kernel.gpu;

import static org.convgrad.engine.kernel.gpu.Cuda.call;

import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA device through JCuda's driver API: its primary context (shared with anything else in the
 * process that uses the device, as the CUDA runtime shares it), the kernel image loaded once, and
 * two non-blocking streams. Every call first makes the context current on the calling thread.
 */
final class CudaDevice implements Device {
  private final DeviceInfo info;
  private final CUdevice device = new CUdevice();
  private final CUcontext context = new CUcontext();
  private final CUmodule module = new CUmodule();
  private final CUstream[] streams = new CUstream[STREAMS];
  private final Map<String, CUfunction> functions = new HashMap<>();
  private final TreeMap<Long, Allocation> allocations = new TreeMap<>();
  private boolean closed;

  /** A device pointer that tells its address: kernels take addresses in their parameter block. */
  private static final class Allocation extends CUdeviceptr {
    long bytes;

    long address() {
      return getNativePointer();
    }
  }

  CudaDevice(DeviceInfo info, byte[] image) {
    this.info = info;
    int ordinal = info.ordinal();
    call("cuDeviceGet(" + ordinal + ")", () -> JCudaDriver.cuDeviceGet(device, ordinal));
    call("cuDevicePrimaryCtxRetain(device " + ordinal + ")", () -> JCudaDriver.cuDevicePrimaryCtxRetain(context, device));
    try {
      current();
      call("cuModuleLoadFatBinary(convgrad.fatbin, " + image.length + " bytes) on " + where(),
          () -> JCudaDriver.cuModuleLoadFatBinary(module, image));
      for (int i = 0; i < STREAMS; i++) {
        CUstream s = new CUstream();
        call("cuStreamCreate on " + where(), () -> JCudaDriver.cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING));
        streams[i] = s;
      }
    } catch (RuntimeException e) {
      JCudaDriver.cuDevicePrimaryCtxRelease(device);
      throw e;
    }
  }

  private String where() {
    return "device " + info.ordinal() + " (" + info.name() + ")";
  }

  private void current() {
    if (closed) {
      throw new GpuException("device " + info.ordinal() + " was closed (its engine was closed)");
    }
    call("cuCtxSetCurrent(device " + info.ordinal() + ")", () -> JCudaDriver.cuCtxSetCurrent(context));
  }

  @Override
  public DeviceInfo info() {
    return info;
  }

  @Override
  public synchronized long[] memoryInfo() {
    current();
    long[] free = new long[1];
    long[] total = new long[1];
    call("cuMemGetInfo on " + where(), () -> JCudaDriver.cuMemGetInfo(free, total));
    return new long[] {free[0], total[0]};
  }

  @Override
  public synchronized long allocate(long bytes) {
    current();
    Allocation a = new Allocation();
    a.bytes = Math.max(bytes, 1);
    call("cuMemAlloc(" + a.bytes + " bytes) on " + where(), () -> JCudaDriver.cuMemAlloc(a, a.bytes));
    allocations.put(a.address(), a);
    return a.address();
  }

  @Override
  public synchronized void free(long address) {
    Allocation a = allocations.remove(address);
    if (a == null || closed) {
      return;
    }
    current();
    call("cuMemFree(" + a.bytes + " bytes) on " + where(), () -> JCudaDriver.cuMemFree(a));
  }

  /** The pointer at a device address inside one of this device's allocations. */
  private CUdeviceptr at(long address, long bytes) {
    Map.Entry<Long, Allocation> e = allocations.floorEntry(address);
    if (e == null || address + bytes > e.getKey() + e.getValue().bytes) {
      throw new GpuException("device address 0x" + Long.toHexString(address) + " (+" + bytes
          + " bytes) is outside every allocation of " + where());
    }
    return e.getValue().withByteOffset(address - e.getKey());
  }

  @Override
  public synchronized HostBuffer allocateHost(long bytes) {
    current();
    Pointer p = new Pointer();
    long size = Math.max(bytes, 1);
    call("cuMemAllocHost(" + size + " bytes) for " + where(), () -> JCudaDriver.cuMemAllocHost(p, size));
    return new HostBuffer(p.getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN), size, p);
  }

  @Override
  public synchronized void freeHost(HostBuffer buffer) {
    if (closed) {
      return;
    }
    current();
    call("cuMemFreeHost(" + buffer.bytes() + " bytes)", () -> JCudaDriver.cuMemFreeHost((Pointer) buffer.handle()));
  }

  @Override
  public synchronized void copyToDevice(long dst, HostBuffer src, long srcOffset, long bytes, int stream) {
    current();
    CUdeviceptr d = at(dst, bytes);
    Pointer s = ((Pointer) src.handle()).withByteOffset(srcOffset);
    call("cuMemcpyHtoDAsync(" + bytes + " bytes) on " + where(),
        () -> JCudaDriver.cuMemcpyHtoDAsync(d, s, bytes, streams[stream]));
  }

  @Override
  public synchronized void copyToHost(HostBuffer dst, long dstOffset, long src, long bytes, int stream) {
    current();
    CUdeviceptr s = at(src, bytes);
    Pointer d = ((Pointer) dst.handle()).withByteOffset(dstOffset);
    call("cuMemcpyDtoHAsync(" + bytes + " bytes) on " + where(),
        () -> JCudaDriver.cuMemcpyDtoHAsync(d, s, bytes, streams[stream]));
  }

  @Override
  public synchronized void launch(LaunchPlan plan, long[] args, int stream) {
    current();
    CUfunction f = functions.computeIfAbsent(plan.kernel(), name -> {
      CUfunction fn = new CUfunction();
      call("cuModuleGetFunction(" + name + ") on " + where(), () -> JCudaDriver.cuModuleGetFunction(fn, module, name));
      return fn;
    });
    long[] g = plan.grid();
    int[] b = plan.block();
    Pointer params = Pointer.to(Pointer.to(args));
    call("cuLaunchKernel(" + plan + ") on " + where(),
        () -> JCudaDriver.cuLaunchKernel(f, (int) g[0], (int) g[1], (int) g[2], b[0], b[1], b[2], plan.sharedBytes(),
            streams[stream], params, null));
  }

  @Override
  public synchronized void synchronize(int stream) {
    current();
    call("cuStreamSynchronize on " + where() + " (a failure here is the failure of a copy or kernel enqueued before)",
        () -> JCudaDriver.cuStreamSynchronize(streams[stream]));
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    try {
      current();
      for (CUstream s : streams) {
        if (s != null) {
          JCudaDriver.cuStreamSynchronize(s);
          JCudaDriver.cuStreamDestroy(s);
        }
      }
      for (Allocation a : allocations.values()) {
        JCudaDriver.cuMemFree(a);
      }
      allocations.clear();
      JCudaDriver.cuModuleUnload(module);
    } finally {
      closed = true;
      JCudaDriver.cuDevicePrimaryCtxRelease(device);
    }
  }
}
