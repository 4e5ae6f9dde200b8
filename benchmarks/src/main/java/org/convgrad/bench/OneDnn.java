package org.convgrad.bench;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * oneDNN's {@code convolution_backward_data} (through JavaCPP), float32: user data in nhwc and the
 * filter in hwio (TensorFlow's layouts), the primitive free to choose its own layouts
 * ({@code format_tag::any}); the reorders into and out of those layouts are counted and timed.
 * Threads: oneDNN's OpenMP runtime, sized by {@code OMP_NUM_THREADS}.
 */
final class OneDnn implements AutoCloseable {
  private final PointerScope scope = new PointerScope();
  private final engine eng = new engine(engine.kind.cpu, 0);
  private final stream strm = new stream(eng);
  private final convolution_backward_data prim;
  private final memory userDy;
  private final memory userW;
  private final memory userDx;
  private final memory primDy;
  private final memory primW;
  private final memory primDx;
  private final reorder dyIn;
  private final reorder wIn;
  private final reorder dxOut;
  private final FloatPointer dxHost;
  /** How many of the three reorders (dy in, filter in, dx out) are not identities. */
  final int reorders;
  final String implementation;

  OneDnn(Shapes s, float[] w, float[] dy) {
    long[] src = {s.n(), s.ic(), s.h(), s.w()};
    long[] wei = {s.oc(), s.ic(), s.fh(), s.fw()};
    long[] dst = {s.n(), s.oc(), s.outH(), s.outW()};
    long[] strides = {s.stride(), s.stride()};
    long[] padL = {s.padTop(), s.padLeft()};
    long[] padR = {s.padBottom(), s.padRight()};
    memory.data_type f32 = memory.data_type.f32;
    memory.desc anySrc = new memory.desc(src, f32, memory.format_tag.any);
    memory.desc anyWei = new memory.desc(wei, f32, memory.format_tag.any);
    memory.desc anyDst = new memory.desc(dst, f32, memory.format_tag.any);
    convolution_forward.primitive_desc hint =
        new convolution_forward.primitive_desc(
            eng, dnnl.prop_kind.forward_training, dnnl.algorithm.convolution_direct, anySrc, anyWei, anyDst,
            strides, padL, padR);
    convolution_backward_data.primitive_desc pd =
        new convolution_backward_data.primitive_desc(
            eng, dnnl.algorithm.convolution_direct, anySrc, anyWei, anyDst, strides, padL, padR, hint);
    implementation = pd.impl_info_str().getString();
    prim = new convolution_backward_data(pd);

    userDy = new memory(new memory.desc(dst, f32, memory.format_tag.nhwc), eng);
    userW = new memory(new memory.desc(wei, f32, memory.format_tag.hwio), eng);
    userDx = new memory(new memory.desc(src, f32, memory.format_tag.nhwc), eng);
    new FloatPointer(userDy.get_data_handle()).put(dy);
    new FloatPointer(userW.get_data_handle()).put(w);
    dxHost = new FloatPointer(userDx.get_data_handle());
    int count = 0;
    primDy = pd.diff_dst_desc().equals(userDy.get_desc()) ? userDy : new memory(pd.diff_dst_desc(), eng);
    primW = pd.weights_desc().equals(userW.get_desc()) ? userW : new memory(pd.weights_desc(), eng);
    primDx = pd.diff_src_desc().equals(userDx.get_desc()) ? userDx : new memory(pd.diff_src_desc(), eng);
    dyIn = primDy == userDy ? null : new reorder(userDy, primDy);
    wIn = primW == userW ? null : new reorder(userW, primW);
    dxOut = primDx == userDx ? null : new reorder(primDx, userDx);
    count += dyIn == null ? 0 : 1;
    count += wIn == null ? 0 : 1;
    count += dxOut == null ? 0 : 1;
    reorders = count;
    if (wIn != null) {
      run(wIn, userW, primW);
    }
  }

  private void run(reorder r, memory from, memory to) {
    IntMemoryMap args = new IntMemoryMap();
    args.put(DNNL_ARG_FROM, from);
    args.put(DNNL_ARG_TO, to);
    r.execute(strm, args);
    args.close();
  }

  /** One call as a framework would make it: reorders in, the primitive, the reorder out. */
  void runWithReorders() {
    if (wIn != null) {
      run(wIn, userW, primW);
    }
    if (dyIn != null) {
      run(dyIn, userDy, primDy);
    }
    runPrimitive();
    if (dxOut != null) {
      run(dxOut, primDx, userDx);
    }
    strm._wait();
  }

  /** The primitive alone, on data already in its layouts. */
  void runPrimitive() {
    IntMemoryMap args = new IntMemoryMap();
    args.put(DNNL_ARG_DIFF_DST, primDy);
    args.put(DNNL_ARG_WEIGHTS, primW);
    args.put(DNNL_ARG_DIFF_SRC, primDx);
    prim.execute(strm, args);
    strm._wait();
    args.close();
  }

  /** The result of the last {@link #runWithReorders()}, nhwc. */
  float[] result(int size) {
    float[] out = new float[size];
    dxHost.get(out);
    return out;
  }

  @Override
  public void close() {
    scope.close();
  }
}
