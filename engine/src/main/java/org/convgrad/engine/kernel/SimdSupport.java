package org.convgrad.engine.kernel;

import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides whether the Vector API kernels run (after Lucene's {@code
 * VectorizationProvider}): the module {@code jdk.incubator.vector} must be in the boot layer (the
 * JVM was started with {@code --add-modules jdk.incubator.vector}) and usable, and the SIMD kernel
 * class, which alone names incubator classes, is then loaded by name. Otherwise the SIMD kernels
 * are left out, one warning line says why and which flag to add, and the engines run the
 * reference kernel: nothing fails because a flag is missing.
 */
public final class SimdSupport {
  static final String MODULE = "jdk.incubator.vector";
  static final String KERNEL_CLASS = "org.convgrad.engine.kernel.simd.SimdBackpropInputKernel";

  private static final Logger LOG = LoggerFactory.getLogger(SimdSupport.class);

  private SimdSupport() {}

  /** The SIMD kernels, best first; empty where the Vector API is unusable. */
  public static List<BackpropInputKernel> kernels() {
    return Holder.KERNELS;
  }

  /** Whether the SIMD kernels run in this JVM. */
  public static boolean available() {
    return !Holder.KERNELS.isEmpty();
  }

  private static final class Holder {
    static final List<BackpropInputKernel> KERNELS = lookup();
  }

  private static List<BackpropInputKernel> lookup() {
    Optional<Module> module = ModuleLayer.boot().findModule(MODULE);
    if (module.isEmpty()) {
      LOG.warn(
          "Java vector incubator module is not readable: convgrad runs its scalar reference kernel. "
              + "For the SIMD kernels, add '--add-modules {}' to the JVM flags.",
          MODULE);
      return List.of();
    }
    try {
      Class<?> c = Class.forName(KERNEL_CLASS);
      String reason = (String) c.getMethod("unusableReason").invoke(null);
      if (reason != null) {
        LOG.warn("Vector API is not usable ({}): convgrad runs its scalar reference kernel.", reason);
        return List.of();
      }
      return List.of((BackpropInputKernel) c.getConstructor().newInstance());
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      LOG.warn(
          "Vector API kernels failed to load ({}): convgrad runs its scalar reference kernel. "
              + "Check that the JVM runs with '--add-modules {}'.",
          e.toString(), MODULE);
      return List.of();
    }
  }
}
