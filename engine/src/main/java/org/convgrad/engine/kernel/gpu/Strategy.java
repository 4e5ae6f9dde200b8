package org.convgrad.engine.kernel.gpu;

import org.convgrad.engine.DType;

/**
 * The GPU kernels, one {@code .cu} file each in {@code src/main/cuda}: their names in the fatbin,
 * block sizes ({@code __launch_bounds__}) and tiles. GpuKernelSourcesTest checks these numbers
 * against the sources.
 */
enum Strategy {
  /** {@code direct_gather.cu}: one thread per result element. */
  DIRECT("direct", "convgrad_direct_", 256),
  /** {@code implicit_gemm.cu}: a GEMM per stride phase on the CUDA cores. */
  IMPLICIT_GEMM("implicit-gemm", "convgrad_igemm_", 256),
  /** {@code tensor_core.cu}: a GEMM per stride phase on tensor cores (half and bfloat16). */
  TENSOR_CORE("tensor-core", "convgrad_wmma_", 128);

  private final String label;
  private final String prefix;
  private final int threads;

  Strategy(String label, String prefix, int threads) {
    this.label = label;
    this.prefix = prefix;
    this.threads = threads;
  }

  /** The kernel's symbol in the fatbin for {@code dtype}. */
  String kernel(DType dtype) {
    return prefix + suffix(dtype);
  }

  /** What {@code describe} prints: {@code implicit-gemm-f32}. */
  String label(DType dtype) {
    return label + "-" + suffix(dtype);
  }

  int threads() {
    return threads;
  }

  /** Rows of the GEMM (pixels of a phase) per block; 0 for the direct kernel. */
  int tileM(DType dtype) {
    switch (this) {
      case IMPLICIT_GEMM:
        return dtype == DType.FLOAT64 ? 64 : 128;
      case TENSOR_CORE:
        return 64;
      default:
        return 0;
    }
  }

  /** Columns of the GEMM (in channels of a group) per block; 0 for the direct kernel. */
  int tileN() {
    return this == DIRECT ? 0 : 64;
  }

  /** Dynamic shared memory per block, as the kernel's SHARED_BYTES computes it. */
  int sharedBytes(DType dtype) {
    switch (this) {
      case IMPLICIT_GEMM: // 2 stages x BK (8) x (BM + BN) accumulators
        return 2 * 8 * (tileM(dtype) + tileN()) * (dtype == DType.FLOAT64 ? 8 : 4);
      case TENSOR_CORE: // the float32 accumulator tile, 64 x (64 + 8), outgrows the operand stages
        return 64 * (64 + 8) * 4;
      default:
        return 0;
    }
  }

  boolean accepts(DType dtype) {
    return this != TENSOR_CORE || dtype == DType.HALF || dtype == DType.BFLOAT16;
  }

  static String suffix(DType dtype) {
    switch (dtype) {
      case FLOAT32:
        return "f32";
      case FLOAT64:
        return "f64";
      case HALF:
        return "f16";
      default:
        return "bf16";
    }
  }
}
