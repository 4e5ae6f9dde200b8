package org.convgrad.spark.job;

import org.convgrad.engine.EngineKind;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.kernel.KernelRegistry;

/** The job's {@code --engine}: auto, cpu or gpu. */
public enum EngineChoice {
  AUTO,
  CPU,
  GPU;

  public static EngineChoice parse(String name) {
    for (EngineChoice c : values()) {
      if (c.name().equalsIgnoreCase(name.trim())) {
        return c;
      }
    }
    throw new InvalidArgumentException("Invalid engine: '" + name + "', expected one of auto, cpu, gpu");
  }

  /**
   * Fails on the driver, before any task, when this choice cannot run anywhere: {@code gpu} while
   * the build has no GPU backend.
   */
  public void checkAvailable() {
    if (this == GPU) {
      try {
        KernelRegistry.kernelsFor(EngineKind.GPU);
      } catch (InvalidArgumentException e) {
        throw new InvalidArgumentException(
            "--engine gpu: this build of convgrad has no GPU backend yet (" + e.getMessage()
                + "); use --engine auto, which runs on the CPU and says so, or --engine cpu");
      }
    }
  }

  /**
   * The engine kind a task builds while it runs on the CPU (no GPU backend exists yet): {@code cpu}
   * is {@link EngineKind#SIMD}, CPU kernels only (the SIMD kernel falls back to the reference kernel
   * by itself where the Vector API is unusable); {@code auto} stays {@link EngineKind#AUTO}, which
   * will take a GPU when the engine has one.
   */
  public EngineKind cpuKind() {
    return this == CPU ? EngineKind.SIMD : EngineKind.AUTO;
  }
}
