package org.convgrad.engine.kernel;

import java.util.List;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.InvalidArgumentException;

/** The ordered kernel lists, best first, reference last: one place decides what runs. */
public final class KernelRegistry {
  private KernelRegistry() {}

  public static List<BackpropInputKernel> kernelsFor(EngineKind kind) {
    switch (kind) {
      case AUTO:
      case SCALAR:
        return List.of(new ReferenceKernel());
      default:
        throw new InvalidArgumentException(
            "engine " + kind.name().toLowerCase() + " is not available in this build");
    }
  }
}
