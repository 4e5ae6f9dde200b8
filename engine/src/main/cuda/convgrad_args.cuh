// The one parameter block every convgrad kernel takes, by value: 64-bit words only, so that its
// layout is the same for nvcc, for g++ (the host emulation) and for the Java side that fills it
// (org.convgrad.engine.kernel.gpu.KernelArgs lists the same fields in the same order; the kernel
// convgrad_args_probe and GpuArgsLayoutTest check that the two agree).
//
// Sizes and strides are in elements. Activation strides are given per logical dimension
// (n, h, w, c), so one kernel serves NHWC and NCHW. The filter is the packed layout
// [groups][fh][fw][out channels of the group][in channels of the group] (see PackedLayout.java).
#pragma once

struct ConvArgs {
  long long dx;      // device address of the result (this launch's batch chunk)
  long long dy;      // device address of out_backprop (the same chunk)
  long long w;       // device address of the packed filter
  long long n;       // samples in this chunk
  long long H, W, C; // result (the convolution's input): height, width, channels
  long long OH, OW, K; // out_backprop: height, width, channels
  long long FH, FW;  // filter taps
  long long Cg, Kg, groups; // in and out channels per group, group count
  long long sH, sW, dH, dW; // strides, dilations
  long long padT, padL;     // pads before (top, left)
  long long dxN, dxH, dxW, dxC; // result element strides per logical dimension
  long long dyN, dyH, dyW, dyC; // out_backprop element strides per logical dimension
  long long phaseRows, phaseCols; // stride phases that hold pixels: min(sH, H), min(sW, W)
  long long nchw;    // 1: a linear result index runs (n, c, h, w); 0: (n, h, w, c)
  long long total;   // result elements in this chunk: n * H * W * C
};

// 33 words: KernelArgs.WORDS on the Java side.
static_assert(sizeof(ConvArgs) == 33 * 8, "ConvArgs is 33 64-bit words");
