/**
 * The GPU backend: convgrad's own CUDA kernels ({@code engine/src/main/cuda}, one file per
 * strategy, compiled into the committed {@code convgrad.fatbin}) driven through JCuda's driver
 * API. {@link org.convgrad.engine.kernel.gpu.GpuSupport} is the public entry point (probe, device
 * count, engines); the rest is the launch planner, the device abstraction (a CUDA device, or in the
 * tests an emulated one that runs the same kernel sources on the CPU) and the chunked,
 * double-buffered runner.
 */
@NullMarked
package org.convgrad.engine.kernel.gpu;

import org.jspecify.annotations.NullMarked;
