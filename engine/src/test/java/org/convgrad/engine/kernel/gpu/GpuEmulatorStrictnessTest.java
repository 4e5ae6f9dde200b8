package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The parameter block's layout as the kernels see it, and the emulator's strictness: what would
 * fail or misbehave on a GPU (launches outside the device's limits, a tile larger than its shared
 * memory, memory outside every allocation, unknown kernels) fails here as a GpuException, never as
 * a JVM crash or a hang.
 */
class GpuEmulatorStrictnessTest {
  @Test
  void theParameterBlockHasTheFieldsKernelArgsFillsInItsOrder() {
    try (EmulatedGpu gpu = EmulatedGpu.start()) {
      EmulatedDevice d = gpu.device;
      assertEquals(KernelArgs.WORDS, d.argsWords(), "sizeof(ConvArgs) / 8 as g++ lays it out");
      long out = d.allocate(8L * KernelArgs.WORDS);
      long[] args = new long[KernelArgs.WORDS];
      args[0] = out;
      for (int i = 1; i < args.length; i++) {
        args[i] = 1000 + i;
      }
      d.launch(new LaunchPlan(Strategy.DIRECT, "convgrad_args_probe", new long[] {1, 1, 1}, new int[] {32, 1, 1}, 0), args, 0);
      HostBuffer h = d.allocateHost(8L * KernelArgs.WORDS);
      d.copyToHost(h, 0, out, 8L * KernelArgs.WORDS, 0);
      long[] back = new long[KernelArgs.WORDS];
      h.buffer().asLongBuffer().get(back);
      assertArrayEquals(args, back, "convgrad_args_probe writes a.dx, a.dy, ... in KernelArgs.FIELDS order");
    }
  }

  @Test
  void kernelArgsFollowTheGeometry() {
    Conv2dBackpropInput op = GpuCase.of(3, 7, 9, 6, 3, 4, 2, Padding.SAME).with(org.convgrad.engine.DataFormat.NCHW).op();
    long[] a = KernelArgs.of(op.geometry(), 2, 11, 22, 33);
    java.util.List<String> f = java.util.List.of(KernelArgs.FIELDS);
    assertEquals(2, a[f.indexOf("n")]);
    assertEquals(2L * 7 * 9 * 6, a[f.indexOf("total")]);
    assertEquals(1, a[f.indexOf("nchw")]);
    assertEquals(7 * 9, a[f.indexOf("dxC")], "NCHW: channels are H*W apart");
    assertEquals(1, a[f.indexOf("dxW")]);
    assertEquals(2, a[f.indexOf("phaseRows")]);
    assertEquals(33, a[f.indexOf("w")]);
  }

  @Test
  void launchesOutsideTheDevicesLimitsAreRefused() {
    try (EmulatedGpu gpu = EmulatedGpu.start()) {
      EmulatedDevice d = gpu.device;
      long[] args = new long[KernelArgs.WORDS];
      args[0] = d.allocate(1024);
      String[] refusals = {
        launch(d, "convgrad_direct_f32", new long[] {1, 1, 1}, new int[] {2048, 1, 1}, 0, args),
        launch(d, "convgrad_direct_f32", new long[] {1, 70000, 1}, new int[] {256, 1, 1}, 0, args),
        launch(d, "convgrad_igemm_f32", new long[] {1, 1, 1}, new int[] {256, 1, 1}, 64 * 1024, args),
        launch(d, "convgrad_no_such_kernel", new long[] {1, 1, 1}, new int[] {32, 1, 1}, 0, args),
        launch(d, "convgrad_direct_f32", new long[] {1, 1, 1}, new int[] {32, 1, 1}, 0, new long[3]),
      };
      assertTrue(refusals[0].contains("block (2048, 1, 1) outside the device's limits"), refusals[0]);
      assertTrue(refusals[1].contains("grid (1, 70000, 1)"), refusals[1]);
      assertTrue(refusals[2].contains("65536 bytes of dynamic shared memory"), refusals[2]);
      assertTrue(refusals[3].contains("named symbol not found: convgrad_no_such_kernel"), refusals[3]);
      assertTrue(refusals[4].contains("3 parameter words"), refusals[4]);
      // The device is still usable after refusals, as a CUDA context is after a refused launch.
      assertEquals(1L << 30, d.memoryInfo()[1]);
    }
  }

  private static String launch(EmulatedDevice d, String kernel, long[] grid, int[] block, int shared, long[] args) {
    return assertThrows(GpuException.class,
        () -> d.launch(new LaunchPlan(Strategy.DIRECT, kernel, grid, block, shared), args, 0)).getMessage();
  }

  @Test
  void freshDeviceMemoryIsPoisonedAndCopiesOutsideAllocationsAreRefused() {
    try (EmulatedGpu gpu = EmulatedGpu.start()) {
      EmulatedDevice d = gpu.device;
      long a = d.allocate(100);
      assertEquals(0, a % 256, "allocations are 256-byte aligned, as cuMemAlloc's");
      HostBuffer h = d.allocateHost(100);
      d.copyToHost(h, 0, a, 100, 0);
      ByteBuffer b = h.buffer();
      for (int i = 0; i < 100; i++) {
        assertEquals((byte) 0xff, b.get(i), "byte " + i + " of a fresh allocation");
      }
      GpuException e = assertThrows(GpuException.class, () -> d.copyToHost(h, 0, a + 1, 100, 0));
      assertTrue(e.getMessage().contains("outside every allocation"), e.getMessage());
    }
  }

  /** A GEMM given less shared memory than its tiles need writes into the guard page: the launch fails. */
  @Test
  void aTileLargerThanItsSharedMemoryFailsTheLaunch() {
    Conv2dBackpropInput op = GpuCase.of(1, 8, 8, 16, 3, 16, 1, Padding.SAME).op();
    Tensor[] wdy = EmulatedGpu.operands(op, 2);
    try (EmulatedGpu gpu = EmulatedGpu.start()) {
      GpuBackpropInputKernel k = gpu.kernel(Strategy.IMPLICIT_GEMM);
      PackedFilter p = k.pack(op, wdy[0]);
      DeviceFilter f = (DeviceFilter) p.payload();
      EmulatedDevice d = gpu.device;
      long dy = d.allocate(4L * wdy[1].size());
      long dx = d.allocate(4L * op.inputShape().elementCount());
      LaunchPlan right = LaunchPlanner.plan(Strategy.IMPLICIT_GEMM, op.geometry(), DType.FLOAT32, 1, 1);
      LaunchPlan small = new LaunchPlan(right.strategy(), right.kernel(), right.grid(), right.block(), 4096);
      long[] args = KernelArgs.of(op.geometry(), 1, dx, dy, f.address);
      d.launch(right, args, 0);
      GpuException e = assertThrows(GpuException.class, () -> d.launch(small, args, 0));
      assertTrue(e.getMessage().contains("convgrad_igemm_f32") && e.getMessage().contains("SIGSEGV"), e.getMessage());
      assertThrows(GpuException.class, () -> k.compute(op, p, wdy[1], Tensor.zeros(DType.FLOAT32, op.inputShape()),
          WorkPool.singleThreaded()), "a dead emulator fails every later call");
    }
  }
}
