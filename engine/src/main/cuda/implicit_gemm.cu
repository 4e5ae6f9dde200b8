// Strategy 2: the implicit GEMM per stride phase on the CUDA cores (every dtype; half and
// bfloat16 accumulate in float32). Block tile BM x BN of one phase GEMM (rows: pixels of the
// phase, columns: in channels of a group), K walked in chunks of BK out channels of one tap.
// Each thread holds a TM x TN register tile. Global loads of the next K chunk go to registers
// while the current chunk is multiplied from shared memory (two shared buffers, one barrier per
// chunk).
//
// Determinism: every result element is the sum of its terms in one fixed order (taps ky then kx
// ascending, out channels ascending: the reference's order; taps outside out_backprop add a
// masked 0 * w, which leaves a sum unchanged for finite filters: the planner sends other filters to
// the direct kernel). Nothing depends on which block computes a row, so a batch chunk gives the
// same bits as the whole batch. No atomics, no split-K.
#include "convgrad_gemm_iter.cuh"

template <typename T, int BM, int BN, int BK, int TM, int TN>
struct IGemm {
  typedef typename Elem<T>::Acc Acc;
  static constexpr int THREADS = (BM / TM) * (BN / TN);
  static constexpr int A_PER_THREAD = BM * BK / THREADS;
  static constexpr int B_PER_THREAD = BN * BK / THREADS;
  static_assert(BM * BK % THREADS == 0 && BN * BK % THREADS == 0, "tiles split evenly over threads");
  // Shared memory: two stages of A (BK x BM, k-major so that a thread reads TM consecutive rows)
  // and B (BK x BN), in the accumulator type (16-bit values are widened once, when stored).
  static constexpr int SHARED_BYTES = 2 * BK * (BM + BN) * (int)sizeof(Acc);

  static __device__ __forceinline__ void run(const ConvArgs& a) {
    const PhaseTile p = cg_phase_tile(a, BM, BN);
    if (p.m0 >= p.M) return;  // the whole block: this phase has fewer rows than the biggest
    CG_DYNAMIC_SHARED(smem);
    Acc* As = reinterpret_cast<Acc*>(smem);  // [2][BK][BM]
    Acc* Bs = As + 2 * BK * BM;              // [2][BK][BN]
    const T* __restrict__ dy = reinterpret_cast<const T*>(a.dy);
    const T* __restrict__ w = reinterpret_cast<const T*>(a.w);
    const int tid = threadIdx.x;

    // This thread's A elements: element l = tid + q*THREADS of the BM x BK tile. Consecutive
    // threads walk k (out channels, contiguous in NHWC) or m (columns, contiguous in NCHW).
    int aRow[A_PER_THREAD], aCol[A_PER_THREAD];
    ARow aPos[A_PER_THREAD];
    for (int q = 0; q < A_PER_THREAD; q++) {
      const int l = tid + q * THREADS;
      aRow[q] = a.nchw ? l % BM : l / BK;
      aCol[q] = a.nchw ? l / BM : l % BK;
      aPos[q] = cg_a_row(a, p, p.m0 + aRow[q]);
    }
    int bRow[B_PER_THREAD], bCol[B_PER_THREAD];
    for (int q = 0; q < B_PER_THREAD; q++) {
      const int l = tid + q * THREADS;
      bRow[q] = l / BN;
      bCol[q] = l % BN;
    }
    const i64 tapStride = a.Kg * a.Cg;
    const T* wg = w + p.g * a.FH * a.FW * tapStride;

    Acc regA[A_PER_THREAD], regB[B_PER_THREAD];
    auto fetch = [&](const KStep& s) {
      const i64 ky = p.ty.first + s.iy * p.ty.step;
      const i64 kx = p.tx.first + s.ix * p.tx.step;
      const i64 cy = p.ty.c0 - s.iy * p.ty.dc;
      const i64 cx = p.tx.c0 - s.ix * p.tx.dc;
      const i64 tapOff = cy * a.dyH + cx * a.dyW;
      for (int q = 0; q < A_PER_THREAD; q++) {
        const i64 co = s.co0 + aCol[q];
        const i64 off = co < a.Kg && cg_a_inside(a, aPos[q], cy, cx) ? aPos[q].base + tapOff + co * a.dyC : -1;
        regA[q] = off >= 0 ? Elem<T>::load(dy + off) : Acc(0);
      }
      const T* wt = wg + (ky * a.FW + kx) * tapStride;
      for (int q = 0; q < B_PER_THREAD; q++) {
        const i64 co = s.co0 + bRow[q];
        const i64 ci = p.n0 + bCol[q];
        regB[q] = co < a.Kg && ci < a.Cg ? Elem<T>::load(wt + co * a.Cg + ci) : Acc(0);
      }
    };
    auto stash = [&](int stage) {
      for (int q = 0; q < A_PER_THREAD; q++) As[(stage * BK + aCol[q]) * BM + aRow[q]] = regA[q];
      for (int q = 0; q < B_PER_THREAD; q++) Bs[(stage * BK + bRow[q]) * BN + bCol[q]] = regB[q];
    };

    // Thread (tr, tc) owns rows tr*TM.. and columns tc*TN.. of the block tile.
    const int tr = tid / (BN / TN);
    const int tc = tid % (BN / TN);
    Acc acc[TM][TN];
    for (int i = 0; i < TM; i++)
      for (int j = 0; j < TN; j++) acc[i][j] = Acc(0);

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
      const Acc* as = As + stage * BK * BM + tr * TM;
      const Acc* bs = Bs + stage * BK * BN + tc * TN;
      for (int kk = 0; kk < BK; kk++) {
        Acc av[TM], bv[TN];
        for (int i = 0; i < TM; i++) av[i] = as[kk * BM + i];
        for (int j = 0; j < TN; j++) bv[j] = bs[kk * BN + j];
        for (int i = 0; i < TM; i++)
          for (int j = 0; j < TN; j++) acc[i][j] = cg_fma(av[i], bv[j], acc[i][j]);
      }
      if (more) stash(stage ^ 1);
      __syncthreads();
    }

    T* __restrict__ dx = reinterpret_cast<T*>(a.dx);
    for (int i = 0; i < TM; i++) {
      const i64 m = p.m0 + tr * TM + i;
      if (m >= p.M) break;
      const RowPos r = cg_row(m, p);
      for (int j = 0; j < TN; j++) {
        const i64 n = p.n0 + tc * TN + j;
        if (n < a.Cg) dx[cg_dx_offset(a, p, r, p.g * a.Cg + n)] = Elem<T>::narrow(acc[i][j]);
      }
    }
  }
};

// Tile shapes (the planner's IGEMM_* constants mirror them: threads and shared bytes).
typedef IGemm<float, 128, 64, 8, 8, 4> IGemmF32;          // 256 threads, 12 KiB
typedef IGemm<double, 64, 64, 8, 4, 4> IGemmF64;          // 256 threads, 16 KiB
typedef IGemm<__half, 128, 64, 8, 8, 4> IGemmF16;         // 256 threads, 12 KiB
typedef IGemm<__nv_bfloat16, 128, 64, 8, 8, 4> IGemmBF16; // 256 threads, 12 KiB

extern "C" __global__ void __launch_bounds__(256) convgrad_igemm_f32(ConvArgs a) { IGemmF32::run(a); }
extern "C" __global__ void __launch_bounds__(256) convgrad_igemm_f64(ConvArgs a) { IGemmF64::run(a); }
extern "C" __global__ void __launch_bounds__(256) convgrad_igemm_f16(ConvArgs a) { IGemmF16::run(a); }
extern "C" __global__ void __launch_bounds__(256) convgrad_igemm_bf16(ConvArgs a) { IGemmBF16::run(a); }
