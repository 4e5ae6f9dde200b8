// Host stand-ins for the CUDA language, so that g++ compiles convgrad's own .cu files unchanged
// (forced in front of them with -include) and the emulator runs them on the CPU: one fiber per CUDA
// thread, __syncthreads() switching fibers (emu_runtime.cpp). Strict where the GPU is: only dynamic
// shared memory (sized by the launch, NaN-filled, guarded), wmma preconditions checked, no warp
// lock-step to lean on, no atomics.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __align__(n) alignas(n)
#define __launch_bounds__(...)
// Static shared memory is not emulated (its size would not pass through the launch planner):
// convgrad's kernels use CG_DYNAMIC_SHARED only.
#define __shared__ static_shared_memory_is_not_emulated_use_CG_DYNAMIC_SHARED

struct dim3 {
  unsigned int x, y, z;
};

// Per OS thread; the fiber scheduler sets threadIdx before it resumes each fiber.
extern thread_local dim3 threadIdx;
extern thread_local dim3 blockIdx;
extern thread_local dim3 blockDim;
extern thread_local dim3 gridDim;

void __syncthreads();
unsigned char* cg_emu_dynamic_shared();
[[noreturn]] void cg_emu_fail(const char* what);

// 16-bit storage types, rounded to nearest even as the CUDA conversions round.
struct __half {
  unsigned short x;
};
struct __nv_bfloat16 {
  unsigned short x;
};

inline float cg_bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t cg_float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

inline float __half2float(__half h) {
  const uint32_t sign = (uint32_t)(h.x & 0x8000) << 16;
  const uint32_t exp = (h.x >> 10) & 0x1f;
  const uint32_t man = h.x & 0x3ff;
  if (exp == 0) {
    const float v = std::ldexp((float)man, -24);  // zero or subnormal: exact
    return sign ? -v : v;
  }
  if (exp == 31) return cg_bits_float(sign | 0x7f800000u | (man << 13));
  return cg_bits_float(sign | ((exp - 15 + 127) << 23) | (man << 13));
}

inline __half __float2half_rn(float f) {
  const uint32_t x = cg_float_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000;
  const uint32_t a = x & 0x7fffffffu;
  uint32_t h;
  if (a > 0x7f800000u) {
    h = 0x7e00 | ((a >> 13) & 0x3ff);  // NaN stays a quiet NaN
  } else if (a >= 0x477ff000u) {
    h = 0x7c00;  // rounds to 65536 or more: infinity
  } else if (a < 0x38800000u) {
    // Below 2^-14: a subnormal half. Adding 0.5 makes the float's rounding (to nearest even) round
    // at 2^-24.
    h = cg_float_bits(cg_bits_float(a) + 0.5f) - 0x3f000000u;
  } else {
    h = (a + ((uint32_t)(15 - 127) << 23) + 0xfff + ((a >> 13) & 1)) >> 13;
  }
  __half r;
  r.x = (unsigned short)(sign | h);
  return r;
}

inline float __bfloat162float(__nv_bfloat16 b) { return cg_bits_float((uint32_t)b.x << 16); }

inline __nv_bfloat16 __float2bfloat16_rn(float f) {
  const uint32_t x = cg_float_bits(f);
  __nv_bfloat16 r;
  if ((x & 0x7fffffffu) > 0x7f800000u) {
    r.x = (unsigned short)((x >> 16) | 0x0040);
  } else {
    r.x = (unsigned short)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
  }
  return r;
}

inline float cg_widen(float v) { return v; }
inline float cg_widen(__half v) { return __half2float(v); }
inline float cg_widen(__nv_bfloat16 v) { return __bfloat162float(v); }

// A host stand-in of the wmma API: every thread holds whole fragments (the GPU spreads them over a
// warp, in an unspecified layout that convgrad's kernels never look into) and computes the whole
// product, as float32 fused multiply-adds in k order. Pointer alignment (256 bits) and leading
// dimensions (16 bytes) are checked as the GPU requires them.
namespace nvcuda {
namespace wmma {
struct row_major {};
struct col_major {};
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
enum layout_t { mem_row_major, mem_col_major };

template <typename Use, int M, int N, int K, typename T, typename Layout = void>
struct fragment;

template <int M, int N, int K, typename T, typename L>
struct fragment<matrix_a, M, N, K, T, L> {
  static constexpr int ROWS = M, COLS = K;
  typedef L layout;
  static constexpr int num_elements = M * K;
  T x[M * K];
};
template <int M, int N, int K, typename T, typename L>
struct fragment<matrix_b, M, N, K, T, L> {
  static constexpr int ROWS = K, COLS = N;
  typedef L layout;
  static constexpr int num_elements = K * N;
  T x[K * N];
};
template <int M, int N, int K>
struct fragment<accumulator, M, N, K, float, void> {
  static constexpr int ROWS = M, COLS = N;
  static constexpr int num_elements = M * N;
  float x[M * N];
};

inline void cg_check_wmma_pointer(const void* p, unsigned ldm, unsigned elemBytes, const char* what) {
  if (reinterpret_cast<uintptr_t>(p) % 32 != 0) cg_emu_fail(what);
  if ((ldm * elemBytes) % 16 != 0) cg_emu_fail(what);
}

template <typename Frag>
inline void fill_fragment(Frag& f, float v) {
  for (int i = 0; i < Frag::num_elements; i++) f.x[i] = v;
}

template <typename Use, int M, int N, int K, typename T, typename L>
inline void load_matrix_sync(fragment<Use, M, N, K, T, L>& f, const T* p, unsigned ldm) {
  typedef fragment<Use, M, N, K, T, L> F;
  cg_check_wmma_pointer(p, ldm, sizeof(T), "wmma::load_matrix_sync: pointer not 256-bit aligned or ldm not a multiple of 16 bytes");
  for (int r = 0; r < F::ROWS; r++)
    for (int c = 0; c < F::COLS; c++)
      f.x[r * F::COLS + c] = std::is_same<L, row_major>::value ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
}

template <int M, int N, int K, typename T, typename LA, typename LB>
inline void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, T, LA>& a,
                     const fragment<matrix_b, M, N, K, T, LB>& b, const fragment<accumulator, M, N, K, float>& c) {
  float out[M * N];
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float acc = c.x[i * N + j];
      for (int k = 0; k < K; k++) acc = std::fma(cg_widen(a.x[i * K + k]), cg_widen(b.x[k * N + j]), acc);
      out[i * N + j] = acc;
    }
  for (int i = 0; i < M * N; i++) d.x[i] = out[i];
}

template <int M, int N, int K>
inline void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm, layout_t layout) {
  cg_check_wmma_pointer(p, ldm, sizeof(float), "wmma::store_matrix_sync: pointer not 256-bit aligned or ldm not a multiple of 16 bytes");
  for (int r = 0; r < M; r++)
    for (int c = 0; c < N; c++) {
      if (layout == mem_row_major) {
        p[(size_t)r * ldm + c] = f.x[r * N + c];
      } else {
        p[(size_t)c * ldm + r] = f.x[r * N + c];
      }
    }
}
}  // namespace wmma
}  // namespace nvcuda
