package org.convgrad.engine.kernel.gpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/**
 * The GPU benchmark of S1-S6 (run-on-gpu.sh runs it beside PyTorch's): per shape and dtype the
 * kernel time (operands resident on the device, launches timed back to back after a warm-up) and
 * the end-to-end time of an engine call (host arrays in and out, chunked and double-buffered), as
 * one JSON object per line on standard output.
 *
 * <pre>
 * java -cp ... org.convgrad.engine.kernel.gpu.GpuBenchmark [--device N] [--dtypes float32,half]
 *     [--shapes S1,S3] [--seconds 1.0] [--batch N] [--emulated]
 * </pre>
 *
 * {@code --emulated} runs on the host emulation (smoke test of this program; no meaningful times).
 */
public final class GpuBenchmark {
  private GpuBenchmark() {}

  /** An anchor shape: input NHWC, filter HWIO, stride, padding, and the batch that fills an H200. */
  record Shape6(String name, int n, int h, int w, int c, int fh, int fw, int oc, int s, Padding padding) {
    Conv2dBackpropInput op(DType t, int batch) {
      long oh = padding == Padding.SAME ? (h + s - 1) / s : (h - fh + s) / s;
      long ow = padding == Padding.SAME ? (w + s - 1) / s : (w - fw + s) / s;
      return Conv2dBackpropInput.of(new long[] {batch, h, w, c}, Shape.of(fh, fw, c, oc), t,
          Shape.of(batch, oh, ow, oc), t, ConvParams.of(b -> b.strides(s).padding(padding)));
    }
  }

  static final List<Shape6> SHAPES = List.of(
      new Shape6("S1", 64, 56, 56, 64, 3, 3, 64, 1, Padding.SAME),
      new Shape6("S2", 64, 56, 56, 64, 3, 3, 128, 2, Padding.SAME),
      new Shape6("S3", 32, 224, 224, 3, 7, 7, 64, 2, Padding.SAME),
      new Shape6("S4", 64, 32, 32, 128, 4, 4, 256, 2, Padding.SAME),
      new Shape6("S5", 256, 14, 14, 256, 1, 1, 1024, 1, Padding.VALID),
      new Shape6("S6", 8, 512, 512, 32, 3, 3, 32, 1, Padding.SAME));

  public static void main(String[] args) {
    int ordinal = 0;
    List<String> dtypes = List.of("float32", "half", "bfloat16", "float64");
    List<String> shapes = null;
    double seconds = 1.0;
    int batch = 0;
    boolean emulated = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--device": ordinal = Integer.parseInt(args[++i]); break;
        case "--dtypes": dtypes = Arrays.asList(args[++i].split(",")); break;
        case "--shapes": shapes = Arrays.asList(args[++i].split(",")); break;
        case "--seconds": seconds = Double.parseDouble(args[++i]); break;
        case "--batch": batch = Integer.parseInt(args[++i]); break;
        case "--emulated": emulated = true; break;
        default: throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Device device;
    if (emulated) {
      device = new EmulatedDevice(4L << 30);
    } else {
      GpuProbe p = GpuSupport.probe(ordinal);
      if (!p.usable()) {
        System.err.println("no usable GPU: " + p.reason());
        System.exit(3);
      }
      device = new JCudaDriverBinding().open(ordinal, Fatbin.image());
    }
    try (GpuBackpropInputKernel k = new GpuBackpropInputKernel(device, GpuOptions.defaults().withReserveBytes(emulated ? 0 : 256L << 20))) {
      for (Shape6 s : SHAPES) {
        if (shapes != null && !shapes.contains(s.name())) {
          continue;
        }
        for (String d : dtypes) {
          DType t = dtype(d);
          System.out.println(run(k, s, t, batch > 0 ? batch : s.n(), seconds));
          System.out.flush();
        }
      }
    }
  }

  private static DType dtype(String name) {
    switch (name) {
      case "float32": return DType.FLOAT32;
      case "float64": return DType.FLOAT64;
      case "half": return DType.HALF;
      case "bfloat16": return DType.BFLOAT16;
      default: throw new IllegalArgumentException("dtype " + name);
    }
  }

  private static String run(GpuBackpropInputKernel k, Shape6 s, DType t, int batch, double seconds) {
    Conv2dBackpropInput op = s.op(t, batch);
    SplittableRandom rnd = new SplittableRandom(1);
    Tensor w = GpuAsserts.random(t, op.filterShape(), rnd);
    Tensor dy = GpuAsserts.random(t, op.outBackpropShape(), rnd);
    Device d = k.device();
    PackedFilter packed = k.pack(op, w);
    DeviceFilter f = (DeviceFilter) packed.payload();
    Strategy strategy = k.strategy(op, f.finite);
    LaunchPlan plan = LaunchPlanner.plan(strategy, op.geometry(), t, batch,
        32L * Math.max(1, d.info().multiprocessors()));
    // Kernel time: operands resident, launches back to back on one stream.
    long dyBytes = (long) dy.size() * t.byteSize();
    long dxBytes = op.inputShape().elementCount() * t.byteSize();
    long dyDev = d.allocate(dyBytes);
    long dxDev = d.allocate(dxBytes);
    double kernelSeconds;
    try {
      HostBuffer h = d.allocateHost(dyBytes);
      HostCopy.toBuffer(dy, 0, dy.size(), h.buffer());
      d.copyToDevice(dyDev, h, 0, dyBytes, 0);
      d.synchronize(0);
      d.freeHost(h);
      long[] a = KernelArgs.of(op.geometry(), batch, dxDev, dyDev, f.address);
      kernelSeconds = time(() -> {
        d.launch(plan, a, 0);
      }, () -> d.synchronize(0), seconds);
    } finally {
      d.free(dyDev);
      d.free(dxDev);
    }
    // End to end: an engine call from host arrays to host arrays.
    Tensor dx = Tensor.zeros(t, op.inputShape());
    WorkPool pool = WorkPool.singleThreaded();
    double callSeconds = time(() -> k.compute(op, packed, dy, dx, pool), () -> { }, seconds);
    k.release(packed);
    double flops = op.geometry().flops();
    return String.format(Locale.ROOT,
        "{\"engine\": \"convgrad\", \"shape\": \"%s\", \"dtype\": \"%s\", \"batch\": %d, \"strategy\": \"%s\", "
            + "\"grid\": \"%s\", \"kernel_ms\": %.4f, \"kernel_tflops\": %.3f, \"call_ms\": %.4f, \"call_tflops\": %.3f}",
        s.name(), t.tfName(), batch, strategy.label(t), Arrays.toString(plan.grid()), kernelSeconds * 1e3,
        flops / kernelSeconds / 1e12, callSeconds * 1e3, flops / callSeconds / 1e12);
  }

  /** Median seconds per repetition over rounds of about 0.1 s, after a warm-up of one round. */
  private static double time(Runnable rep, Runnable sync, double seconds) {
    rep.run();
    sync.run();
    long t0 = System.nanoTime();
    rep.run();
    sync.run();
    double one = Math.max((System.nanoTime() - t0) / 1e9, 1e-6);
    int perRound = (int) Math.max(1, Math.min(1000, 0.1 / one));
    List<Double> rounds = new ArrayList<>();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    do {
      long s = System.nanoTime();
      for (int i = 0; i < perRound; i++) {
        rep.run();
      }
      sync.run();
      rounds.add((System.nanoTime() - s) / 1e9 / perRound);
    } while (System.nanoTime() < end || rounds.size() < 3);
    rounds.sort(null);
    return rounds.get(rounds.size() / 2);
  }
}
