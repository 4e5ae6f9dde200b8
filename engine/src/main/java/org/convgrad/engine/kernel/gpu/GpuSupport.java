package org.convgrad.engine.kernel.gpu;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.EngineUnavailableException;
import org.convgrad.engine.kernel.BackpropInputKernel;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU backend's entry points: which devices exist, whether one can run convgrad's CUDA
 * kernels (and if not, why, in one line), and engines on a device. Nothing here crashes the JVM or
 * throws where no GPU or no driver is present: JCuda's native library, which needs {@code
 * libcuda.so.1}, is loaded once, and its failure to load becomes the probe's reason.
 *
 * <pre>{@code
 * GpuProbe probe = GpuSupport.probe(0);
 * if (!probe.usable()) {
 *   log.info("CPU engine: {}", probe.reason()); // e.g. "no CUDA driver (libcuda.so.1: ...)"
 * }
 * try (Engine engine = Engine.create(b -> b.kind(EngineKind.GPU).device(0))) {
 *   engine.kernelFor(op).describe(op); // "gpu (implicit-gemm-f32, device 0 NVIDIA H200)"
 *   Tensor dx = engine.backpropInput(op, filter, dy);
 * }
 * }</pre>
 *
 * <p>A Spark executor probes the ordinal Spark assigned it ({@code TaskContext.resources()}) at
 * start-up and fails fast with the reason; the CLI's {@code --engine gpu} prints it.
 */
public final class GpuSupport {
  /** The least free device memory convgrad asks of a usable device. */
  public static final long MIN_FREE_BYTES = 256L << 20;

  private static final Logger LOG = LoggerFactory.getLogger(GpuSupport.class);

  private GpuSupport() {}

  /** The driver, or why there is none: loaded on first use, once per JVM. */
  private static final class Binding {
    static final @Nullable Driver DRIVER;
    static final String FAILURE;

    static {
      Driver d = null;
      String failure = "";
      try {
        d = new JCudaDriverBinding();
      } catch (LinkageError e) {
        failure = "no CUDA driver (" + linkFailure(e.getMessage()) + ")";
      } catch (GpuException e) {
        failure = "the CUDA driver did not initialize (" + firstLine(e.getMessage()) + ")";
      } catch (RuntimeException e) {
        failure = "the CUDA driver binding failed to load (" + firstLine(e.toString()) + ")";
      }
      DRIVER = d;
      FAILURE = failure;
      if (d == null) {
        LOG.debug("GPU backend unavailable: {}", failure);
      }
    }
  }

  /** Whether the device of this ordinal can run convgrad's kernels, or why not. Never throws. */
  public static GpuProbe probe(int ordinal) {
    return probe(GpuSupport::driver, ordinal, Fatbin::image);
  }

  /** The number of CUDA devices; 0 where there is no driver. Never throws. */
  public static int deviceCount() {
    try {
      Driver d = driver();
      return d == null ? 0 : d.deviceCount();
    } catch (GpuException e) {
      return 0;
    }
  }

  /** An engine of kind {@link EngineKind#GPU} on device {@code ordinal}; fails with the probe's reason. */
  public static Engine engine(int ordinal) {
    return Engine.create(b -> b.kind(EngineKind.GPU).device(ordinal));
  }

  /**
   * The GPU kernel on device {@code ordinal}, for {@link org.convgrad.engine.kernel.KernelRegistry}:
   * a new device connection that the engine closes.
   *
   * @throws EngineUnavailableException with the probe's reason where the device is not usable
   */
  public static BackpropInputKernel kernel(int ordinal) {
    GpuProbe p = probe(ordinal);
    if (!p.usable()) {
      throw new EngineUnavailableException("engine gpu: no usable GPU: " + p.reason());
    }
    try {
      return open(ordinal, GpuOptions.defaults());
    } catch (GpuException e) {
      throw new EngineUnavailableException("engine gpu: device " + ordinal + " failed to open: " + e.getMessage());
    }
  }

  /**
   * The GPU kernel on device {@code ordinal} where it is usable, else empty (with one debug line):
   * what an AUTO engine tries first.
   */
  public static Optional<BackpropInputKernel> kernelIfUsable(int ordinal) {
    GpuProbe p = probe(ordinal);
    if (!p.usable()) {
      LOG.debug("AUTO engine without GPU: {}", p.reason());
      return Optional.empty();
    }
    try {
      return Optional.of(open(ordinal, GpuOptions.defaults().yieldingWhenFull()));
    } catch (GpuException e) {
      LOG.warn("GPU device {} is usable but failed to open, AUTO runs on the CPU: {}", ordinal, e.getMessage());
      return Optional.empty();
    }
  }

  private static BackpropInputKernel open(int ordinal, GpuOptions options) {
    Driver d = driver();
    byte[] image = Fatbin.image();
    if (d == null || image == null) {
      throw new GpuException(d == null ? Binding.FAILURE : missingImage());
    }
    return new GpuBackpropInputKernel(d.open(ordinal, image), options);
  }

  private static @Nullable Driver driver() {
    return Binding.DRIVER;
  }

  /**
   * The probe over any driver (tests pass stand-ins): every check in order, the first failing one
   * giving the reason.
   */
  static GpuProbe probe(Supplier<@Nullable Driver> drivers, int ordinal, Supplier<byte @Nullable []> images) {
    Driver d;
    try {
      d = drivers.get();
    } catch (LinkageError e) {
      return GpuProbe.unusable(ordinal, "no CUDA driver (" + linkFailure(e.getMessage()) + ")");
    }
    if (d == null) {
      return GpuProbe.unusable(ordinal, Binding.FAILURE);
    }
    try {
      int count = d.deviceCount();
      if (count == 0) {
        return GpuProbe.unusable(ordinal, "no CUDA device (the driver found none)");
      }
      if (ordinal < 0 || ordinal >= count) {
        return GpuProbe.unusable(ordinal, "device ordinal " + ordinal + " is out of range: " + count + " CUDA device"
            + (count == 1 ? " (ordinal 0)" : "s (ordinals 0 to " + (count - 1) + ")"));
      }
      DeviceInfo info = d.info(ordinal);
      String name = "device " + ordinal + " (" + info.name() + ")";
      if (info.computeCapability() < LaunchPlanner.MIN_COMPUTE_CAPABILITY) {
        return GpuProbe.unusable(info, name + " has compute capability " + info.computeCapabilityText()
            + "; convgrad's kernels need 8.0 or newer", 0);
      }
      byte[] image = images.get();
      if (image == null) {
        return GpuProbe.unusable(info, missingImage(), 0);
      }
      if (!Fatbin.runsOn(Fatbin.entries(image), info.computeCapability())) {
        return GpuProbe.unusable(info, name + ": convgrad.fatbin has no code for compute capability "
            + info.computeCapabilityText() + " (it has " + Fatbin.entries(image) + ")", 0);
      }
      long free = d.freeBytes(ordinal);
      if (free < MIN_FREE_BYTES) {
        return GpuProbe.unusable(info, name + " has only " + GpuProbe.mib(free) + " free of "
            + GpuProbe.mib(info.totalBytes()) + "; convgrad needs at least " + GpuProbe.mib(MIN_FREE_BYTES), free);
      }
      return new GpuProbe(ordinal, true, "", info.name(), info.computeCapability(), free, info.totalBytes());
    } catch (GpuException e) {
      return GpuProbe.unusable(ordinal, "device " + ordinal + ": " + firstLine(e.getMessage()));
    }
  }

  private static String missingImage() {
    return "the kernel image " + Fatbin.RESOURCE.substring(1) + " is missing from the classpath"
        + " (build it with engine/src/main/cuda/build-fatbin.sh)";
  }

  /**
   * The telling part of JCuda's load failure, a multi-line report of each way it tried: the
   * dynamic linker's complaint about the library's own dependency ({@code libcuda.so.1: cannot open
   * shared object file: No such file or directory}) where there is one, else the first line.
   */
  static String linkFailure(@Nullable String message) {
    if (message == null) {
      return "no message";
    }
    String found = null;
    for (String line : message.split("\n")) {
      int i = line.indexOf("cannot open shared object file");
      if (i >= 0) {
        String head = line.substring(0, i);
        int lib = head.lastIndexOf(": ", head.length() - 3);
        found = line.substring(lib < 0 ? 0 : lib + 2).trim();
      }
    }
    return found != null ? found : firstLine(message);
  }

  static String firstLine(@Nullable String s) {
    if (s == null) {
      return "no message";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }

  /** The kernels KernelRegistry lists for a GPU engine. */
  public static List<BackpropInputKernel> kernels(int ordinal) {
    return List.of(kernel(ordinal));
  }
}
