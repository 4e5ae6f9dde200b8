package org.convgrad.engine.kernel;

import java.util.ArrayList;
import java.util.List;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.InvalidArgumentException;

/**
 * The ordered kernel lists, best first, reference last: one place decides what runs. A kernel that
 * declines a problem ({@link BackpropInputKernel#supports}) leaves it to the next one, so the
 * reference computes whatever the faster kernels do not.
 */
public final class KernelRegistry {
  private KernelRegistry() {}

  public static List<BackpropInputKernel> kernelsFor(EngineKind kind) {
    switch (kind) {
      case AUTO:
      case SIMD: {
        // SIMD without the Vector API: SimdSupport has logged why; the reference runs.
        List<BackpropInputKernel> list = new ArrayList<>(SimdSupport.kernels());
        list.add(new ReferenceKernel());
        return List.copyOf(list);
      }
      case SCALAR:
        return List.of(new ReferenceKernel());
      default:
        throw new InvalidArgumentException(
            "engine " + kind.name().toLowerCase() + " is not available in this build");
    }
  }
}
