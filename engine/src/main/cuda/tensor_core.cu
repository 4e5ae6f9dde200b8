// Strategy 3: the implicit GEMM per stride phase on tensor cores, for half and bfloat16
// (wmma m16n16k16, float32 accumulate, rounded once to the 16-bit type at the end). Same phase
// GEMM and K walk as implicit_gemm.cu, with BK = 16 out channels per K chunk; block tile 64 x 64,
// four warps of 32 x 32 (2 x 2 fragments). The next chunk is loaded to registers while the current
// one is multiplied (two shared stages, one barrier per chunk); the accumulators go through shared
// memory to the result so that stores are bounds-checked and placed by the strides.
//
// Determinism: each result element is the float32 sum of its 16-term tensor-core products over
// the K chunks in a fixed order; no block computes anything another block adds to. (A tensor core's
// own rounding inside one 16-term product differs from sequential fmaf: the host emulation checks
// the data flow of this kernel, and the result within the half / bfloat16 tolerances; the real
// device test checks the device's arithmetic.)
#include "convgrad_gemm_iter.cuh"

#ifdef __CUDACC__
#include <mma.h>
#endif

template <typename T>
struct WmmaGemm {
  static constexpr int BM = 64, BN = 64, BK = 16;
  static constexpr int THREADS = 128;  // 4 warps, 2 x 2, each 32 x 32
  static constexpr int LDA = BK + 16;  // row pitch of A in shared memory (elements): 32-byte rows
  static constexpr int LDB = BN + 16;  // row pitch of B
  static constexpr int LDC = BN + 8;   // row pitch of the float32 accumulator tile
  static constexpr int A_STAGE = BM * LDA, B_STAGE = BK * LDB;
  static constexpr int A_PER_THREAD = BM * BK / THREADS;  // 8
  static constexpr int B_PER_THREAD = BK * BN / THREADS;  // 8
  static constexpr int OPERAND_BYTES = 2 * (A_STAGE + B_STAGE) * (int)sizeof(T);
  static constexpr int C_BYTES = BM * LDC * (int)sizeof(float);
  static constexpr int SHARED_BYTES = OPERAND_BYTES > C_BYTES ? OPERAND_BYTES : C_BYTES;  // 18432

  static __device__ __forceinline__ void run(const ConvArgs& a) {
    using namespace nvcuda;
    const PhaseTile p = cg_phase_tile(a, BM, BN);
    if (p.m0 >= p.M) return;
    CG_DYNAMIC_SHARED(smem);
    T* As = reinterpret_cast<T*>(smem);  // [2][BM][LDA], row-major A tile
    T* Bs = As + 2 * A_STAGE;            // [2][BK][LDB], row-major B tile
    const T* __restrict__ dy = reinterpret_cast<const T*>(a.dy);
    const T* __restrict__ w = reinterpret_cast<const T*>(a.w);
    const int tid = threadIdx.x;
    const int warp = tid / 32;
    const int wr = warp / 2, wc = warp % 2;  // the warp's 32 x 32 quadrant

    int aRow[A_PER_THREAD], aCol[A_PER_THREAD];
    ARow aPos[A_PER_THREAD];
    for (int q = 0; q < A_PER_THREAD; q++) {
      const int l = tid + q * THREADS;
      aRow[q] = a.nchw ? l % BM : l / BK;
      aCol[q] = a.nchw ? l / BM : l % BK;
      aPos[q] = cg_a_row(a, p, p.m0 + aRow[q]);
    }
    const i64 tapStride = a.Kg * a.Cg;
    const T* wg = w + p.g * a.FH * a.FW * tapStride;
    const T zero = Elem<T>::narrow(0.0f);

    T regA[A_PER_THREAD], regB[B_PER_THREAD];
    auto fetch = [&](const KStep& s) {
      const i64 ky = p.ty.first + s.iy * p.ty.step;
      const i64 kx = p.tx.first + s.ix * p.tx.step;
      const i64 cy = p.ty.c0 - s.iy * p.ty.dc;
      const i64 cx = p.tx.c0 - s.ix * p.tx.dc;
      const i64 tapOff = cy * a.dyH + cx * a.dyW;
      for (int q = 0; q < A_PER_THREAD; q++) {
        const i64 co = s.co0 + aCol[q];
        const i64 off = co < a.Kg && cg_a_inside(a, aPos[q], cy, cx) ? aPos[q].base + tapOff + co * a.dyC : -1;
        regA[q] = off >= 0 ? dy[off] : zero;
      }
      const T* wt = wg + (ky * a.FW + kx) * tapStride;
      for (int q = 0; q < B_PER_THREAD; q++) {
        const int l = tid + q * THREADS;
        const i64 co = s.co0 + l / BN;
        const i64 ci = p.n0 + l % BN;
        regB[q] = co < a.Kg && ci < a.Cg ? wt[co * a.Cg + ci] : zero;
      }
    };
    auto stash = [&](int stage) {
      for (int q = 0; q < A_PER_THREAD; q++) As[stage * A_STAGE + aRow[q] * LDA + aCol[q]] = regA[q];
      for (int q = 0; q < B_PER_THREAD; q++) {
        const int l = tid + q * THREADS;
        Bs[stage * B_STAGE + (l / BN) * LDB + l % BN] = regB[q];
      }
    };

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);

    const i64 steps = cg_k_steps(p, a, BK);
    KStep s = {0, 0, 0};
    if (steps > 0) {
      fetch(s);
      stash(0);
    }
    __syncthreads();
    for (i64 k = 0; k < steps; k++) {
      const int stage = (int)(k & 1);
      const bool more = k + 1 < steps;
      if (more) {
        cg_k_next(s, p, a, BK);
        fetch(s);
      }
      wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> fb[2];
      for (int i = 0; i < 2; i++)
        wmma::load_matrix_sync(fa[i], As + stage * A_STAGE + (wr * 32 + i * 16) * LDA, LDA);
      for (int j = 0; j < 2; j++)
        wmma::load_matrix_sync(fb[j], Bs + stage * B_STAGE + wc * 32 + j * 16, LDB);
      for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
      if (more) stash(stage ^ 1);
      __syncthreads();
    }

    // The accumulators through shared memory (the operand stages are no longer read: the loop
    // ended on a barrier), then each thread stores whole rows' worth of elements, bounds-checked.
    float* Cs = reinterpret_cast<float*>(smem);
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++)
        wmma::store_matrix_sync(Cs + (wr * 32 + i * 16) * LDC + wc * 32 + j * 16, acc[i][j], LDC,
                                wmma::mem_row_major);
    __syncthreads();
    T* __restrict__ dx = reinterpret_cast<T*>(a.dx);
    for (int l = tid; l < BM * BN; l += THREADS) {
      // NHWC: consecutive threads take consecutive channels; NCHW: consecutive pixels.
      const int r = a.nchw ? l % BM : l / BN;
      const int c = a.nchw ? l / BM : l % BN;
      const i64 m = p.m0 + r;
      const i64 n = p.n0 + c;
      if (m < p.M && n < a.Cg) {
        dx[cg_dx_offset(a, p, cg_row(m, p), p.g * a.Cg + n)] = Elem<T>::narrow(Cs[r * LDC + c]);
      }
    }
  }
};

extern "C" __global__ void __launch_bounds__(128) convgrad_wmma_f16(ConvArgs a) { WmmaGemm<__half>::run(a); }
extern "C" __global__ void __launch_bounds__(128) convgrad_wmma_bf16(ConvArgs a) { WmmaGemm<__nv_bfloat16>::run(a); }
