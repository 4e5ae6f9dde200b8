package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A GPU that others fill: an AUTO engine's GPU kernel leaves a problem its free memory cannot hold
 * to the CPU kernels after it, and takes it again once the memory is back; a GPU engine's kernel
 * keeps it, and its call fails saying how much memory it lacked. On the emulated device of 1 GiB.
 */
class GpuBusyDeviceTest {
  /** One sample needs 288 MiB: out_backprop and result of 1024 x 1024 pixels, 8 and 64 channels. */
  private static final Conv2dBackpropInput OP = Conv2dBackpropInput.of(new long[] {1, 1024, 1024, 64},
      Shape.of(1, 1, 64, 8), DType.FLOAT32, Shape.of(1, 1024, 1024, 8), DType.FLOAT32,
      ConvParams.of(p -> p.padding(Padding.VALID)));

  @Test
  void anAutoEnginesKernelDeclinesWhatFreeMemoryCannotHoldAndAGpuEnginesCallSaysWhy() {
    try (EmulatedDevice device = new EmulatedDevice(1L << 30);
        GpuBackpropInputKernel auto = new GpuBackpropInputKernel(device, GpuOptions.defaults().yieldingWhenFull());
        GpuBackpropInputKernel gpu = new GpuBackpropInputKernel(device, GpuOptions.defaults())) {
      assertTrue(auto.supports(OP), "an idle device holds it");
      long others = device.allocate(600L << 20); // 424 MiB free, 256 of them the reserve
      assertFalse(auto.supports(OP), "AUTO leaves it to the CPU");
      assertTrue(gpu.supports(OP), "a GPU engine has no other kernel");
      GpuException e = assertThrows(GpuException.class, () -> gpu.compute(OP, Tensor.zeros(DType.FLOAT32,
          OP.filterShape()), Tensor.zeros(DType.FLOAT32, OP.outBackpropShape()), Tensor.zeros(DType.FLOAT32,
          OP.inputShape()), WorkPool.singleThreaded()));
      assertTrue(e.getMessage().startsWith("one sample needs 301989888 bytes of device memory"), e.getMessage());
      device.free(others);
      assertTrue(auto.supports(OP), "the memory is back");
    }
  }
}
