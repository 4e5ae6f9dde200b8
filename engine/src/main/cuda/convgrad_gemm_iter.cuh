// What the two GEMM strategies share: which (phase, group) and M tile a block computes, the walk
// over the GEMM's K dimension (the phase's taps, ky then kx ascending, and for each tap the out
// channels of the group in chunks of BK), and the placement of a GEMM row in the result.
#pragma once

#include "convgrad_phase.cuh"

// Dynamic shared memory is the only shared memory convgrad's kernels use: the launch planner
// sizes it, and the host emulation gives each block exactly that many bytes (filled with NaN,
// with a guard after them), so a tile that outgrows its budget fails the tests.
#ifdef __CUDACC__
#define CG_DYNAMIC_SHARED(name) extern __shared__ __align__(128) unsigned char name[]
#else
#define CG_DYNAMIC_SHARED(name) unsigned char* name = cg_emu_dynamic_shared()
#endif

// One block's share of a phase GEMM, derived from blockIdx: z = group * phases + phase.
struct PhaseTile {
  i64 ry, rx;        // the phase: result rows y = ry + j*sH, columns x = rx + i*sW
  i64 g;             // the group
  i64 Hp, Wp, M;     // the phase's pixel grid, M = n * Hp * Wp GEMM rows
  i64 m0, n0;        // this block's first GEMM row and column
  PhaseTaps ty, tx;  // the phase's taps
};

static __device__ __forceinline__ PhaseTile cg_phase_tile(const ConvArgs& a, int BM, int BN) {
  PhaseTile p;
  const i64 phases = a.phaseRows * a.phaseCols;
  const i64 z = blockIdx.z;
  const i64 phase = z % phases;
  p.g = z / phases;
  p.ry = phase / a.phaseCols;
  p.rx = phase % a.phaseCols;
  p.Hp = cg_phase_size(a.H, p.ry, a.sH);
  p.Wp = cg_phase_size(a.W, p.rx, a.sW);
  p.M = a.n * p.Hp * p.Wp;
  p.m0 = (i64)blockIdx.x * BM;
  p.n0 = (i64)blockIdx.y * BN;
  p.ty = cg_phase_taps(p.ry, a.padT, a.FH, a.sH, a.dH);
  p.tx = cg_phase_taps(p.rx, a.padL, a.FW, a.sW, a.dW);
  return p;
}

// The K walk: step s covers tap (iy, ix) of the phase and out channels [co0, co0 + BK).
struct KStep {
  i64 iy, ix;  // tap indices within the phase
  i64 co0;     // first out channel of the chunk
};

static __device__ __forceinline__ i64 cg_k_steps(const PhaseTile& p, const ConvArgs& a, int BK) {
  return p.ty.count * p.tx.count * ((a.Kg + BK - 1) / BK);
}

static __device__ __forceinline__ void cg_k_next(KStep& s, const PhaseTile& p, const ConvArgs& a, int BK) {
  s.co0 += BK;
  if (s.co0 >= a.Kg) {
    s.co0 = 0;
    if (++s.ix == p.tx.count) {
      s.ix = 0;
      ++s.iy;
    }
  }
}

// A GEMM row's place: sample b, phase pixel (j, i).
struct RowPos {
  i64 b, j, i;
};

static __device__ __forceinline__ RowPos cg_row(i64 m, const PhaseTile& p) {
  RowPos r;
  r.i = m % p.Wp;
  const i64 t = m / p.Wp;
  r.j = t % p.Hp;
  r.b = t / p.Hp;
  return r;
}

// A GEMM row as the A loads need it: its out_backprop offset for the tap (cy, cx) = (0, 0) and
// the group's first out channel, and its phase pixel (j, i), which fit an int (a tensor holds
// fewer than 2^31 elements).
struct ARow {
  i64 base;
  int j, i;
  bool live;
};

static __device__ __forceinline__ ARow cg_a_row(const ConvArgs& a, const PhaseTile& p, i64 m) {
  ARow r;
  r.live = m < p.M;
  const RowPos pos = cg_row(r.live ? m : 0, p);
  r.base = pos.b * a.dyN + pos.j * a.dyH + pos.i * a.dyW + p.g * a.Kg * a.dyC;
  r.j = (int)pos.j;
  r.i = (int)pos.i;
  return r;
}

// Whether out_backprop holds the tap (cy, cx) of a row (else the row reads a masked zero).
static __device__ __forceinline__ bool cg_a_inside(const ConvArgs& a, const ARow& r, i64 cy, i64 cx) {
  const i64 oy = r.j + cy;
  const i64 ox = r.i + cx;
  return r.live && oy >= 0 && oy < a.OH && ox >= 0 && ox < a.OW;
}

// Offset of result element (b, ry + j*sH, rx + i*sW, ci).
static __device__ __forceinline__ i64 cg_dx_offset(const ConvArgs& a, const PhaseTile& p, const RowPos& r, i64 ci) {
  return r.b * a.dxN + (p.ry + r.j * a.sH) * a.dxH + (p.rx + r.i * a.sW) * a.dxW + ci * a.dxC;
}
