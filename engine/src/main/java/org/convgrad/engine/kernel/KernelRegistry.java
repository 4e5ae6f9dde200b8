package org.convgrad.engine.kernel;

import java.util.ArrayList;
import java.util.List;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.EngineUnavailableException;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.kernel.gpu.GpuSupport;

/**
 * The ordered kernel lists, best first, reference last: one place decides what runs. A kernel that
 * declines a problem ({@link BackpropInputKernel#supports}) leaves it to the next one, so the
 * reference computes whatever the faster kernels do not.
 *
 * <p>GPU: the CUDA kernels of one device only, or a refusal that says in one line why no GPU is
 * usable. AUTO: a usable GPU's kernels first, then SIMD, then the reference; without a GPU (or a
 * driver) AUTO runs on the CPU without a warning.
 */
public final class KernelRegistry {
  private KernelRegistry() {}

  /** The kernels of {@code kind}, on GPU device 0 where the kind uses a GPU. */
  public static List<BackpropInputKernel> kernelsFor(EngineKind kind) {
    return kernelsFor(kind, 0);
  }

  /**
   * The kernels of {@code kind}, on GPU device {@code device} where the kind uses a GPU. A GPU kernel
   * holds the device until its engine closes it.
   */
  public static List<BackpropInputKernel> kernelsFor(EngineKind kind, int device) {
    switch (kind) {
      case AUTO: {
        List<BackpropInputKernel> list = new ArrayList<>();
        GpuSupport.kernelIfUsable(device).ifPresent(list::add);
        list.addAll(SimdSupport.kernels());
        list.add(new ReferenceKernel());
        return List.copyOf(list);
      }
      case GPU:
        return GpuSupport.kernels(device);
      case CUDNN:
        throw new EngineUnavailableException(
            "engine cudnn is not available: convgrad has no cuDNN binding (JCuda's jcudnn 12.x is not published); "
                + "engine gpu runs convgrad's own CUDA kernels");
      case SIMD: {
        // SIMD without the Vector API: SimdSupport has logged why; the reference runs.
        List<BackpropInputKernel> list = new ArrayList<>(SimdSupport.kernels());
        list.add(new ReferenceKernel());
        return List.copyOf(list);
      }
      case SCALAR:
        return List.of(new ReferenceKernel());
      default:
        throw new InvalidArgumentException("engine " + kind.name().toLowerCase() + " is not available in this build");
    }
  }
}
