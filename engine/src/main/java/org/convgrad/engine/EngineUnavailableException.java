package org.convgrad.engine;

/**
 * An engine that cannot run here: {@link EngineKind#GPU} without a usable GPU (no driver, no
 * device, too little free memory; the message says which, in one line), or {@link EngineKind#CUDNN}.
 * Not a rejected argument of the op: the same call runs on another engine, or on a machine that has
 * the GPU.
 */
public final class EngineUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EngineUnavailableException(String message) {
    super(message);
  }
}
