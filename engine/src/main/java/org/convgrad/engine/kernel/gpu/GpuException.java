package org.convgrad.engine.kernel.gpu;

/**
 * A CUDA call failed, or the GPU cannot run a problem: the message names the call and the problem
 * ({@code "cuMemAlloc(1073741824 bytes) on device 0: CUDA_ERROR_OUT_OF_MEMORY (out of memory)"}).
 * convgrad never returns a result after one.
 */
public final class GpuException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public GpuException(String message) {
    super(message);
  }

  public GpuException(String message, Throwable cause) {
    super(message, cause);
  }
}
