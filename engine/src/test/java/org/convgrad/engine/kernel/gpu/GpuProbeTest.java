package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.EngineUnavailableException;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.Padding;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The probe's one-line reasons, with stand-in drivers for each way a GPU can be unusable, and with
 * the real binding on this machine (no driver here and in CI: a reason, no crash); the engines'
 * choices that follow.
 */
class GpuProbeTest {
  private static final long GIB = 1L << 30;

  /** A driver that sees {@code count} devices of compute capability {@code cc} with {@code free} bytes free. */
  private static Driver driver(int count, int cc, long free) {
    return new Driver() {
      @Override
      public int deviceCount() {
        return count;
      }

      @Override
      public DeviceInfo info(int ordinal) {
        return new DeviceInfo(ordinal, "Fake GPU " + ordinal, cc, 100, 80 * GIB);
      }

      @Override
      public long freeBytes(int ordinal) {
        return free;
      }

      @Override
      public Device open(int ordinal, byte[] image) {
        throw new UnsupportedOperationException();
      }
    };
  }

  private static GpuProbe probe(Supplier<@Nullable Driver> d, int ordinal) {
    return GpuSupport.probe(d, ordinal, Fatbin::image);
  }

  @Test
  void eachUnusableDeviceGetsItsReason() {
    GpuProbe noDriver = probe(() -> {
      throw new UnsatisfiedLinkError("/tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file: No such file or directory");
    }, 0);
    assertEquals("no CUDA driver (libcuda.so.1: cannot open shared object file: No such file or directory)",
        noDriver.reason());
    assertEquals("no CUDA device (the driver found none)", probe(() -> driver(0, 90, GIB), 0).reason());
    assertEquals("device ordinal 2 is out of range: 2 CUDA devices (ordinals 0 to 1)", probe(() -> driver(2, 90, GIB), 2).reason());
    assertEquals("device ordinal -1 is out of range: 1 CUDA device (ordinal 0)", probe(() -> driver(1, 90, GIB), -1).reason());
    assertEquals("device 0 (Fake GPU 0) has compute capability 7.5; convgrad's kernels need 8.0 or newer",
        probe(() -> driver(1, 75, GIB), 0).reason());
    // Every capability from 8.0 up has code in the image (FatbinTest): 8.7 runs the sm_86 cubin.
    assertTrue(probe(() -> driver(1, 87, GIB), 0).usable(), probe(() -> driver(1, 87, GIB), 0).reason());
    assertEquals("device 1 (Fake GPU 1) has only 100 MiB free of 80 GiB; convgrad needs at least 256 MiB",
        probe(() -> driver(2, 90, 100L << 20), 1).reason());
    assertTrue(GpuSupport.probe(() -> driver(1, 90, GIB), 0, () -> null).reason()
        .startsWith("the kernel image org/convgrad/engine/kernel/gpu/convgrad.fatbin is missing from the classpath"));
    Driver failing = new Driver() {
      @Override
      public int deviceCount() {
        throw new GpuException("cuDeviceGetCount: CUDA_ERROR_NOT_INITIALIZED");
      }

      @Override
      public DeviceInfo info(int ordinal) {
        throw new AssertionError();
      }

      @Override
      public long freeBytes(int ordinal) {
        throw new AssertionError();
      }

      @Override
      public Device open(int ordinal, byte[] image) {
        throw new AssertionError();
      }
    };
    assertEquals("device 0: cuDeviceGetCount: CUDA_ERROR_NOT_INITIALIZED", probe(() -> failing, 0).reason());
    for (GpuProbe p : new GpuProbe[] {noDriver, probe(() -> driver(0, 90, GIB), 0)}) {
      assertFalse(p.usable());
      assertFalse(p.reason().contains("\n"), "one line");
      assertEquals(p.reason(), p.toString());
    }
  }

  @Test
  void aUsableDeviceSaysWhatItIs() {
    GpuProbe p = probe(() -> driver(1, 90, 139 * GIB), 0);
    assertTrue(p.usable());
    assertEquals("", p.reason());
    assertEquals("device 0: Fake GPU 0, compute capability 9.0, 139 GiB free of 80 GiB", p.toString());
  }

  @Test
  void joinsTheDynamicLinkersComplaintFromJCudasReport() {
    String report = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\nOperating system name: Linux\n"
        + "java.lang.UnsatisfiedLinkError: no JCudaDriver-12.6.0-linux-x86_64 in java.library.path: /usr/lib\n"
        + "\tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2434)\n"
        + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file or directory\n";
    assertEquals("libcuda.so.1: cannot open shared object file: No such file or directory", GpuSupport.linkFailure(report));
    assertEquals("something else", GpuSupport.linkFailure("something else\nmore"));
  }

  /**
   * The real binding on this machine. Where no GPU is usable (this machine, CI): a one-line reason
   * without a crash, no devices, GPU engines refused with the reason, AUTO on the CPU.
   */
  @Test
  void withoutAUsableGpuTheGpuEngineIsRefusedWithTheReasonAndAutoRunsOnTheCpu() {
    GpuProbe p = GpuSupport.probe(0);
    org.junit.jupiter.api.Assumptions.assumeFalse(p.usable(), "a GPU is usable here: " + p);
    assertFalse(p.reason().isEmpty());
    assertFalse(p.reason().contains("\n"), p.reason());
    if (p.reason().startsWith("no CUDA driver")) {
      assertEquals(0, GpuSupport.deviceCount());
      assertTrue(p.reason().contains("libcuda"), p.reason());
    }
    EngineUnavailableException e = assertThrows(EngineUnavailableException.class,
        () -> Engine.create(b -> b.kind(EngineKind.GPU).device(0)));
    assertEquals("engine gpu: no usable GPU: " + p.reason(), e.getMessage());
    assertThrows(EngineUnavailableException.class, () -> GpuSupport.engine(0));
    Conv2dBackpropInput op = GpuCase.of(1, 5, 5, 3, 3, 4, 1, Padding.SAME).op();
    try (Engine auto = Engine.create(b -> b.kind(EngineKind.AUTO).device(0))) {
      assertTrue(java.util.Set.of("simd", "reference").contains(auto.kernelFor(op).name()), auto.kernelFor(op).name());
    }
  }

  @Test
  void cudnnIsRefusedAndNegativeOrdinalsAreRejected() {
    EngineUnavailableException e = assertThrows(EngineUnavailableException.class, () -> Engine.create(b -> b.kind(EngineKind.CUDNN)));
    assertTrue(e.getMessage().startsWith("engine cudnn is not available"), e.getMessage());
    assertThrows(InvalidArgumentException.class, () -> Engine.builder().device(-1));
  }
}
