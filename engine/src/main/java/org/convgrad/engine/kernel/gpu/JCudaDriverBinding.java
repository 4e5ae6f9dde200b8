package org.convgrad.engine.kernel.gpu;

import static org.convgrad.engine.kernel.gpu.Cuda.call;

import java.nio.charset.StandardCharsets;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * The CUDA driver through JCuda (its driver-API native library links only {@code libcuda}, so
 * JCuda 12.6 runs on CUDA 12 and 13 drivers). Loading this class loads JCuda's native library:
 * without a driver that throws an {@link UnsatisfiedLinkError}, which {@link GpuSupport} catches
 * once and reports as the reason no GPU is usable.
 */
final class JCudaDriverBinding implements Driver {
  JCudaDriverBinding() {
    JCudaDriver.setExceptionsEnabled(true);
    call("cuInit", () -> JCudaDriver.cuInit(0));
  }

  @Override
  public int deviceCount() {
    int[] count = new int[1];
    call("cuDeviceGetCount", () -> JCudaDriver.cuDeviceGetCount(count));
    return count[0];
  }

  @Override
  public DeviceInfo info(int ordinal) {
    CUdevice d = device(ordinal);
    byte[] name = new byte[256];
    call("cuDeviceGetName(" + ordinal + ")", () -> JCudaDriver.cuDeviceGetName(name, name.length, d));
    int len = 0;
    while (len < name.length && name[len] != 0) {
      len++;
    }
    int major = attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, ordinal);
    int minor = attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, ordinal);
    int sms = attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, ordinal);
    long[] total = new long[1];
    call("cuDeviceTotalMem(" + ordinal + ")", () -> JCudaDriver.cuDeviceTotalMem(total, d));
    return new DeviceInfo(ordinal, new String(name, 0, len, StandardCharsets.UTF_8), major * 10 + minor, sms, total[0]);
  }

  @Override
  public long freeBytes(int ordinal) {
    CUdevice d = device(ordinal);
    CUcontext c = new CUcontext();
    call("cuDevicePrimaryCtxRetain(" + ordinal + ")", () -> JCudaDriver.cuDevicePrimaryCtxRetain(c, d));
    try {
      call("cuCtxSetCurrent(" + ordinal + ")", () -> JCudaDriver.cuCtxSetCurrent(c));
      long[] free = new long[1];
      long[] total = new long[1];
      call("cuMemGetInfo(" + ordinal + ")", () -> JCudaDriver.cuMemGetInfo(free, total));
      return free[0];
    } finally {
      JCudaDriver.cuDevicePrimaryCtxRelease(d);
    }
  }

  @Override
  public Device open(int ordinal, byte[] image) {
    return new CudaDevice(info(ordinal), image);
  }

  private static CUdevice device(int ordinal) {
    CUdevice d = new CUdevice();
    call("cuDeviceGet(" + ordinal + ")", () -> JCudaDriver.cuDeviceGet(d, ordinal));
    return d;
  }

  private static int attribute(CUdevice d, int attribute, int ordinal) {
    int[] v = new int[1];
    call("cuDeviceGetAttribute(" + CUdevice_attribute.stringFor(attribute) + ", " + ordinal + ")",
        () -> JCudaDriver.cuDeviceGetAttribute(v, attribute, d));
    return v[0];
  }
}
