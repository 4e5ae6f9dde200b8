package org.convgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.gpu.GpuProbe;
import org.convgrad.engine.kernel.gpu.GpuSupport;
import org.convgrad.engine.tensor.LargeTensor;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The README's Java examples of the library, run as written. */
class JavaApiExamplesTest {
  private final Tensor filter = Tensor.fromDoubles(DType.FLOAT32, Shape.of(3, 3, 64, 64), new double[3 * 3 * 64 * 64]);
  private final Tensor dy = Tensor.zeros(DType.FLOAT32, Shape.of(8, 28, 28, 64));

  @Test
  void oneCallAndAnEngineOfYourOwnGiveTheSameResult() {
    // README: one call
    Tensor dx = ConvGrad.backpropInput(new long[] {8, 56, 56, 64}, filter, dy,
        p -> p.strides(2).padding(Padding.SAME));
    // end README
    // README: the op as a value, an engine of your own
    BackpropInputOp op = BackpropInputOp.of(o -> o.inputSizes(56, 56).strides(2).padding(Padding.SAME));
    try (Engine engine = Engine.create(b -> b.kind(EngineKind.SIMD).threads(4))) {
      Conv2dBackpropInput problem = op.bind(filter, dy);  // the shapes' checks, once
      PackedFilter packed = engine.pack(problem, filter); // reuse across calls
      Tensor batch = engine.backpropInput(problem, packed, dy);
      engine.backpropInput(problem, packed, dy, batch);  // into a result kept across calls
      System.out.println(engine.kernelFor(problem).describe(problem) + ": " + batch.shape());
      // end README
      assertEquals(Shape.of(8, 56, 56, 64), batch.shape());
      assertArrayEquals(dx.float32Data(), batch.float32Data());
    }
    assertArrayEquals(dx.float32Data(), ConvGrad.backpropInput(op, filter, dy).float32Data());
  }

  @Test
  void theGpuIfThereIsAUsableOneElseTheCpu() {
    Conv2dBackpropInput problem = BackpropInputOp.of(o -> o.inputSizes(56, 56).strides(2).padding(Padding.SAME))
        .bind(filter, dy);
    // README: a GPU when one is usable
    GpuProbe probe = GpuSupport.probe(0); // never throws
    System.out.println(probe.usable() ? "GPU 0: " + probe.deviceName() : "no GPU: " + probe.reason());
    EngineKind kind = probe.usable() ? EngineKind.GPU : EngineKind.SIMD;
    try (Engine engine = Engine.create(b -> b.kind(kind).device(0))) {
      PackedFilter w = engine.pack(problem, filter); // on a GPU: in device memory, until close()
      Tensor dx = engine.backpropInput(problem, w, dy);
      System.out.println(engine.kernelFor(problem).describe(problem)); // gpu (implicit-gemm-f32, device 0 ...)
      // end README
      assertEquals(probe.usable() ? "gpu" : "simd", engine.kernelFor(problem).name());
      assertArrayEquals(ConvGrad.backpropInput(BackpropInputOp.of(o -> o.inputSizes(56, 56).strides(2)
          .padding(Padding.SAME)), filter, dy).float32Data(), dx.float32Data());
    }
  }

  @Test
  void anImageInALargeTensorIsComputedInBandsToTheInMemoryBits() {
    Tensor w = Tensor.fromDoubles(DType.FLOAT32, Shape.of(3, 3, 4, 8), ramp(3 * 3 * 4 * 8));
    Tensor rows = Tensor.fromDoubles(DType.FLOAT32, Shape.of(1, 50, 250, 8), ramp(50 * 250 * 8));
    // README: an image in a LargeTensor
    BackpropInputOp op = BackpropInputOp.of(o -> o.inputSizes(600, 500).strides(2).padding(Padding.SAME));
    Conv2dBackpropInput problem = op.bind(w.shape(), DType.FLOAT32, Shape.of(1, 300, 250, 8), DType.FLOAT32);
    LargeTensor dyImage = LargeTensor.zeros(DType.FLOAT32, problem.outBackpropShape()); // chunked, 64-bit offsets
    dyImage.write(new long[] {0, 100, 0, 0}, rows); // out_backprop rows 100 to 149
    try (Engine engine = Engine.create(b -> b.kind(EngineKind.SIMD))) {
      LargeTensor dxImage = engine.backpropInput(problem, w, dyImage, 64); // bands of 64 result rows
      Tensor some = dxImage.read(new long[] {0, 190, 0, 0}, new long[] {1, 20, 500, 4}); // result rows 190 to 209
      // end README
      Tensor whole = engine.backpropInput(problem, w, dyImage.toTensor());
      assertEquals(dxImage.size(), whole.size());
      for (int i = 0; i < whole.size(); i++) {
        assertEquals(Float.floatToRawIntBits(whole.float32Data()[i]), Float.floatToRawIntBits((float) dxImage.getFlat(i)),
            "element " + i);
      }
      int first = 190 * 500 * 4;
      assertArrayEquals(Arrays.copyOfRange(whole.float32Data(), first, first + 20 * 500 * 4),
          some.float32Data());
    }
  }

  /** Values off any grid, so that another order of the sums would round otherwise. */
  private static double[] ramp(int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = Math.sin(i * 0.37) / 3;
    }
    return v;
  }
}
