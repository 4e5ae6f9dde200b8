// Not a strategy: writes each field of the parameter block, in declaration order, to out[i] (one
// thread), so that a test can check that the Java side (KernelArgs) fills the fields it means to.
// out is the dx field's address.
#include "convgrad_args.cuh"

extern "C" __global__ void convgrad_args_probe(ConvArgs a) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  long long* out = reinterpret_cast<long long*>(a.dx);
  const long long v[] = {a.dx, a.dy, a.w, a.n, a.H, a.W, a.C, a.OH, a.OW, a.K, a.FH, a.FW,
                         a.Cg, a.Kg, a.groups, a.sH, a.sW, a.dH, a.dW, a.padT, a.padL,
                         a.dxN, a.dxH, a.dxW, a.dxC, a.dyN, a.dyH, a.dyW, a.dyC,
                         a.phaseRows, a.phaseCols, a.nchw, a.total};
  for (int i = 0; i < (int)(sizeof(v) / sizeof(v[0])); i++) out[i] = v[i];
}
