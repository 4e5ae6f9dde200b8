package org.convgrad.engine.kernel.gpu;

import java.util.function.IntSupplier;
import jcuda.CudaException;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/** The one way convgrad calls the CUDA driver: a failure is a GpuException naming the call. */
final class Cuda {
  private Cuda() {}

  /** Runs one driver call; {@code what} names it with its arguments, for the message. */
  static void call(String what, IntSupplier call) {
    int result;
    try {
      result = call.getAsInt();
    } catch (CudaException e) {
      // Exceptions are enabled (JCudaDriverBinding), so a failing call lands here.
      throw new GpuException(what + ": " + e.getMessage() + describe(e.getMessage()), e);
    }
    if (result != CUresult.CUDA_SUCCESS) {
      throw new GpuException(what + ": " + CUresult.stringFor(result) + describe(result));
    }
  }

  private static String describe(int result) {
    try {
      String[] text = new String[1];
      JCudaDriver.setExceptionsEnabled(false);
      try {
        JCudaDriver.cuGetErrorString(result, text);
      } finally {
        JCudaDriver.setExceptionsEnabled(true);
      }
      return text[0] == null ? "" : " (" + text[0] + ")";
    } catch (RuntimeException | LinkageError e) {
      return "";
    }
  }

  /** JCuda's exception message is the result's name ({@code CUDA_ERROR_OUT_OF_MEMORY}). */
  private static String describe(String name) {
    Integer code = Codes.BY_NAME.get(name);
    return code == null ? "" : describe(code);
  }

  private static final class Codes {
    static final java.util.Map<String, Integer> BY_NAME = byName();

    private static java.util.Map<String, Integer> byName() {
      java.util.Map<String, Integer> m = new java.util.HashMap<>();
      for (int code = 0; code < 1000; code++) {
        m.putIfAbsent(CUresult.stringFor(code), code);
      }
      return m;
    }
  }
}
