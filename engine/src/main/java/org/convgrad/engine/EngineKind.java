package org.convgrad.engine;

/** Which kernels an {@link Engine} may choose from. */
public enum EngineKind {
  /** The best kernel that accepts the problem on this machine. */
  AUTO,
  /** The reference kernel: plain scalar Java, the oracle. */
  SCALAR,
  /** The Vector API kernels (falls back, with a log line, where the Vector API is unusable). */
  SIMD,
  /** A CUDA kernel on an NVIDIA GPU. */
  GPU,
  /** cuDNN on an NVIDIA GPU. */
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
