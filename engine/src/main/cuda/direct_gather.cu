// Strategy 1: the direct gather. One thread per result element, each summing its own terms in the
// reference kernel's order (ky ascending, kx ascending, out channel ascending), so the result does
// not depend on the grid, the block size or the batch chunk. Good where a GEMM tile would be mostly
// padding: few in channels per group (S3: 3), depthwise filters, huge strides; and the fallback for
// a filter with non-finite values (a GEMM multiplies masked zeros by every filter value, and
// 0 * inf is NaN where the reference skips the tap).
//
// A grid-stride loop covers any element count with int64 indices; consecutive threads take
// consecutive elements of the layout (channels fastest in NHWC, columns fastest in NCHW), so stores
// are coalesced in both.
#include "convgrad_phase.cuh"

template <typename T>
static __device__ __forceinline__ void direct_gather(const ConvArgs& a) {
  typedef typename Elem<T>::Acc Acc;
  T* __restrict__ dx = reinterpret_cast<T*>(a.dx);
  const T* __restrict__ dy = reinterpret_cast<const T*>(a.dy);
  const T* __restrict__ w = reinterpret_cast<const T*>(a.w);
  const i64 tapStride = a.Kg * a.Cg;  // packed filter: [g][ky][kx][co][ci]
  const i64 threads = (i64)gridDim.x * blockDim.x;
  for (i64 e = (i64)blockIdx.x * blockDim.x + threadIdx.x; e < a.total; e += threads) {
    i64 b, y, x, ci, t;
    if (a.nchw) {
      x = e % a.W;
      t = e / a.W;
      y = t % a.H;
      t /= a.H;
      ci = t % a.C;
      b = t / a.C;
    } else {
      ci = e % a.C;
      t = e / a.C;
      x = t % a.W;
      t /= a.W;
      y = t % a.H;
      b = t / a.H;
    }
    const i64 g = ci / a.Cg;
    const i64 cil = ci - g * a.Cg;
    // The taps that reach this pixel: for pixel y the "phase" is y itself (no reduction needed).
    const PhaseTaps ty = cg_phase_taps(y, a.padT, a.FH, a.sH, a.dH);
    const PhaseTaps tx = cg_phase_taps(x, a.padL, a.FW, a.sW, a.dW);
    const T* wg = w + g * a.FH * a.FW * tapStride + cil;
    const T* dyg = dy + b * a.dyN + g * a.Kg * a.dyC;
    Acc acc = 0;
    i64 oy = ty.c0;
    for (i64 i = 0; i < ty.count; i++, oy -= ty.dc) {
      if (oy < 0) break;  // oy only decreases from here
      if (oy >= a.OH) continue;
      const i64 ky = ty.first + i * ty.step;
      i64 ox = tx.c0;
      for (i64 j = 0; j < tx.count; j++, ox -= tx.dc) {
        if (ox < 0) break;
        if (ox >= a.OW) continue;
        const i64 kx = tx.first + j * tx.step;
        const T* wt = wg + (ky * a.FW + kx) * tapStride;
        const T* d = dyg + oy * a.dyH + ox * a.dyW;
        for (i64 co = 0; co < a.Kg; co++) {
          acc = cg_fma(Elem<T>::load(wt + co * a.Cg), Elem<T>::load(d + co * a.dyC), acc);
        }
      }
    }
    dx[b * a.dxN + y * a.dxH + x * a.dxW + ci * a.dxC] = Elem<T>::narrow(acc);
  }
}

extern "C" __global__ void __launch_bounds__(256) convgrad_direct_f32(ConvArgs a) { direct_gather<float>(a); }
extern "C" __global__ void __launch_bounds__(256) convgrad_direct_f64(ConvArgs a) { direct_gather<double>(a); }
extern "C" __global__ void __launch_bounds__(256) convgrad_direct_f16(ConvArgs a) { direct_gather<__half>(a); }
extern "C" __global__ void __launch_bounds__(256) convgrad_direct_bf16(ConvArgs a) { direct_gather<__nv_bfloat16>(a); }
