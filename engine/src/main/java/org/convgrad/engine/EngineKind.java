package org.convgrad.engine;

/** Which kernels an {@link Engine} may choose from. */
public enum EngineKind {
  /** The best kernel that accepts the problem on this machine. */
  AUTO,
  /** The reference kernel: plain scalar Java, the oracle. */
  SCALAR,
  /** The Vector API kernels (falls back, with a log line, where the Vector API is unusable). */
  SIMD,
  /**
   * convgrad's CUDA kernels on one NVIDIA GPU (compute capability 8.0 or newer), chosen with {@link
   * Engine.Builder#device(int)}; refused, with the reason in one line, where none is usable.
   */
  GPU,
  /** cuDNN on an NVIDIA GPU: refused, convgrad has no cuDNN binding (use {@link #GPU}). */
  CUDNN;

  public static EngineKind parse(String name) {
    for (EngineKind k : values()) {
      if (k.name().equalsIgnoreCase(name.trim())) {
        return k;
      }
    }
    throw new InvalidArgumentException(
        "Invalid engine: '" + name + "', expected one of auto, scalar, simd, gpu, cudnn");
  }
}
