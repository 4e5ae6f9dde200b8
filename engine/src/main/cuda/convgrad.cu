// The one translation unit nvcc compiles into convgrad.fatbin (build-fatbin.sh): every strategy,
// one file each. The host emulation compiles the same files (GpuEmulator in the engine's tests).
#include "direct_gather.cu"
#include "implicit_gemm.cu"
#include "tensor_core.cu"
#include "args_probe.cu"
