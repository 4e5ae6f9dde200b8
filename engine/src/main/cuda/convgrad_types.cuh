// Element types: what a kernel loads (widened to its accumulator type) and stores (rounded once,
// to nearest even). half and bfloat16 accumulate in float32, float32 in float32, float64 in
// float64, as the reference kernel does. Accumulation uses fused multiply-adds written out
// (cg_fma), and the fatbin is built with --fmad=false, so that the GPU and the host emulation
// (which compiles this same file with g++) perform the same roundings in the same order.
#pragma once

#ifdef __CUDACC__
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

typedef long long i64;

template <typename T> struct Elem;

template <> struct Elem<float> {
  typedef float Acc;
  static __device__ __forceinline__ float load(const float* p) { return *p; }
  static __device__ __forceinline__ float widen(float v) { return v; }
  static __device__ __forceinline__ float narrow(float v) { return v; }
};

template <> struct Elem<double> {
  typedef double Acc;
  static __device__ __forceinline__ double load(const double* p) { return *p; }
  static __device__ __forceinline__ double widen(double v) { return v; }
  static __device__ __forceinline__ double narrow(double v) { return v; }
};

template <> struct Elem<__half> {
  typedef float Acc;
  static __device__ __forceinline__ float load(const __half* p) { return __half2float(*p); }
  static __device__ __forceinline__ float widen(__half v) { return __half2float(v); }
  static __device__ __forceinline__ __half narrow(float v) { return __float2half_rn(v); }
};

template <> struct Elem<__nv_bfloat16> {
  typedef float Acc;
  static __device__ __forceinline__ float load(const __nv_bfloat16* p) { return __bfloat162float(*p); }
  static __device__ __forceinline__ float widen(__nv_bfloat16 v) { return __bfloat162float(v); }
  static __device__ __forceinline__ __nv_bfloat16 narrow(float v) { return __float2bfloat16_rn(v); }
};

static __device__ __forceinline__ float cg_fma(float a, float b, float c) { return fmaf(a, b, c); }
static __device__ __forceinline__ double cg_fma(double a, double b, double c) { return fma(a, b, c); }
