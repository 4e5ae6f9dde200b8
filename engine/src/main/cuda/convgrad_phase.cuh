// Stride phases (CUTLASS's "strided dgrad"): result pixels y with the same y mod sH (a phase row)
// are reached by the same filter rows ky, those with (y + padT - ky*dH) mod sH == 0, and for such
// a tap oy = j + cy, where y = ry + j*sH and cy = (ry + padT - ky*dH) / sH (an exact division,
// possibly negative). So one phase is a dense GEMM: M = n * (pixels of the phase),
// N = in channels of a group, K = (taps of the phase) * (out channels of a group), with no work
// spent on the zeros a stride inserts. Columns likewise.
#pragma once

#include "convgrad_args.cuh"
#include "convgrad_types.cuh"

// floor(a mod b) for b > 0.
static __device__ __forceinline__ i64 cg_mod(i64 a, i64 b) {
  i64 r = a % b;
  return r < 0 ? r + b : r;
}

// The taps of one phase along one dimension, in ascending order: first, step, count; and the
// out_backprop offset c of the first tap (each next tap's is c - step*d/s).
struct PhaseTaps {
  i64 first;  // first tap index in the phase (valid when count > 0)
  i64 step;   // distance between consecutive taps of the phase
  i64 count;  // taps of the phase
  i64 c0;     // (r + pad - first*d) / s
  i64 dc;     // step * d / s: how much c drops from one tap to the next
};

// Taps k in [0, F) with (r + pad - k*d) mod s == 0. The solutions repeat with period
// s / gcd(s, d); the first is found by a scan bounded by min(F, period).
static __device__ __forceinline__ PhaseTaps cg_phase_taps(i64 r, i64 pad, i64 F, i64 s, i64 d) {
  PhaseTaps t;
  i64 a = s, b = d % s;
  while (b != 0) {
    i64 q = a % b;
    a = b;
    b = q;
  }
  t.step = s / a;  // a = gcd(s, d)
  t.first = -1;
  i64 limit = F < t.step ? F : t.step;
  for (i64 k = 0; k < limit; k++) {
    if (cg_mod(r + pad - k * d, s) == 0) {
      t.first = k;
      break;
    }
  }
  if (t.first < 0) {
    t.count = 0;
    t.c0 = 0;
    t.dc = 0;
    return t;
  }
  t.count = (F - t.first + t.step - 1) / t.step;
  t.c0 = (r + pad - t.first * d) / s;
  t.dc = t.step * d / s;
  return t;
}

// The pixels of phase r along a dimension of size L: r, r + s, ... below L.
static __device__ __forceinline__ i64 cg_phase_size(i64 L, i64 r, i64 s) {
  return r < L ? (L - r + s - 1) / s : 0;
}
