package org.convgrad.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SIMD kernel against the reference kernel over awkward problems (every tail of the tiles, every
 * stride phase, padding, dilation, group count, layout and dtype), and its bitwise determinism
 * across thread counts.
 */
class SimdKernelTest {
  private static BackpropInputKernel simd;
  private static final ReferenceKernel REFERENCE = new ReferenceKernel();

  @BeforeAll
  static void findKernel() {
    assumeTrue(SimdSupport.available(), "the Vector API is not available in this JVM");
    simd = SimdSupport.kernels().get(0);
  }

  /** One problem: sizes, filter, strides, dilations, padding, layout, dtype. */
  record Case(
      int n, int h, int w, int ic, int fh, int fw, int fid, int oc, int sh, int sw, int dh, int dw,
      Padding padding, long[] explicit, DataFormat format, DType dtype) {
    static Case of(int n, int h, int w, int ic, int f, int oc, int s, Padding padding) {
      return new Case(n, h, w, ic, f, f, ic, oc, s, s, 1, 1, padding, new long[0], DataFormat.NHWC, DType.FLOAT32);
    }

    Case with(DataFormat f) {
      return new Case(n, h, w, ic, fh, fw, fid, oc, sh, sw, dh, dw, padding, explicit, f, dtype);
    }

    Case with(DType t) {
      return new Case(n, h, w, ic, fh, fw, fid, oc, sh, sw, dh, dw, padding, explicit, format, t);
    }

    Case dilated(int d) {
      return new Case(n, h, w, ic, fh, fw, fid, oc, sh, sw, d, d, padding, explicit, format, dtype);
    }

    Case grouped(int groups) {
      return new Case(n, h, w, ic, fh, fw, ic / groups, oc, sh, sw, dh, dw, padding, explicit, format, dtype);
    }

    ConvParams params() {
      return ConvParams.of(
          b -> {
            b.dataFormat(format).padding(padding).strides(sh, sw).dilations(dh, dw);
            if (padding == Padding.EXPLICIT) {
              b.explicitPaddings(explicit);
            }
          });
    }

    long outSize(long i, long k, long s, long d, long before, long after) {
      long ek = (k - 1) * d + 1;
      switch (padding) {
        case VALID:
          return (i - ek + s) / s;
        case EXPLICIT:
          return (i + before + after - ek + s) / s;
        default:
          return (i + s - 1) / s;
      }
    }

    Conv2dBackpropInput op() {
      int hd = format.heightDim();
      int wd = format.widthDim();
      long oh = outSize(h, fh, sh, dh, explicit.length == 8 ? explicit[2 * hd] : 0, explicit.length == 8 ? explicit[2 * hd + 1] : 0);
      long ow = outSize(w, fw, sw, dw, explicit.length == 8 ? explicit[2 * wd] : 0, explicit.length == 8 ? explicit[2 * wd + 1] : 0);
      return Conv2dBackpropInput.of(
          format.order(n, h, w, ic), Shape.of(fh, fw, fid, oc), dtype, Shape.of(format.order(n, oh, ow, oc)), dtype,
          params());
    }

    @Override
    public String toString() {
      return n + "x" + h + "x" + w + "x" + ic + " f" + fh + "x" + fw + "x" + fid + "x" + oc + " s" + sh + "," + sw
          + " d" + dh + "," + dw + " " + padding + (explicit.length > 0 ? java.util.Arrays.toString(explicit) : "")
          + " " + format + " " + dtype;
    }
  }

  static Stream<Case> cases() {
    List<Case> c = new ArrayList<>();
    // Channel counts around the vector widths, on small images.
    for (int ic : new int[] {1, 3, 15, 16, 17, 33}) {
      for (int oc : new int[] {1, 3, 16, 17}) {
        c.add(Case.of(2, 7, 7, ic, 3, oc, 1, Padding.SAME));
        c.add(Case.of(1, 7, 7, ic, 3, oc, 2, Padding.VALID));
      }
    }
    // Large channel counts on a tiny image.
    c.add(Case.of(1, 2, 2, 1000, 1, 7, 1, Padding.VALID));
    c.add(Case.of(1, 2, 3, 17, 2, 1000, 1, Padding.SAME));
    c.add(Case.of(1, 1, 2, 1000, 1, 1000, 1, Padding.VALID));
    // Reductions longer than a tile call's chunk of packed filter (1024 out channels), in place and staged.
    c.add(Case.of(2, 3, 3, 64, 1, 1100, 1, Padding.VALID));
    c.add(Case.of(1, 3, 2, 32, 1, 2100, 1, Padding.VALID).with(DataFormat.NCHW).with(DType.HALF));
    c.add(Case.of(1, 5, 4, 32, 3, 1100, 1, Padding.SAME)); // Winograd's GEMMs
    // Spatial sizes 1, 2, 7, 31; strides 1-4; paddings.
    for (int size : new int[] {1, 2, 7, 31}) {
      for (int s = 1; s <= 4; s++) {
        for (Padding pad : new Padding[] {Padding.SAME, Padding.VALID}) {
          if (pad == Padding.VALID && size < 3) {
            continue;
          }
          c.add(Case.of(1, size, size, 5, 3, 6, s, pad));
        }
      }
    }
    c.add(new Case(2, 9, 11, 18, 3, 4, 18, 20, 2, 3, 1, 1, Padding.EXPLICIT,
        new long[] {0, 0, 2, 1, 0, 3, 0, 0}, DataFormat.NHWC, DType.FLOAT32));
    c.add(new Case(1, 13, 10, 16, 5, 2, 16, 8, 3, 1, 1, 1, Padding.EXPLICIT,
        new long[] {0, 0, 4, 0, 1, 5, 0, 0}, DataFormat.NHWC, DType.FLOAT32));
    // Filter larger than the input; an empty out_backprop (VALID, i=1, k=5, s=3 gives 0).
    c.add(Case.of(1, 3, 3, 4, 7, 5, 1, Padding.SAME));
    c.add(Case.of(1, 3, 3, 4, 7, 5, 2, Padding.SAME));
    c.add(Case.of(2, 1, 1, 4, 5, 3, 3, Padding.VALID));
    // Pointwise (the flat path), with a tail of the pixel block.
    c.add(Case.of(3, 7, 5, 33, 1, 19, 1, Padding.VALID));
    c.add(Case.of(2, 14, 14, 40, 1, 24, 1, Padding.VALID));
    // Dilations, also with strides.
    c.add(Case.of(2, 12, 13, 17, 3, 9, 1, Padding.SAME).dilated(2));
    c.add(Case.of(1, 15, 15, 4, 3, 20, 2, Padding.SAME).dilated(3));
    c.add(Case.of(1, 9, 9, 18, 2, 5, 3, Padding.VALID).dilated(2));
    // Groups: depthwise-like, few and many channels per group.
    c.add(Case.of(2, 9, 9, 8, 3, 8, 1, Padding.SAME).grouped(8));
    c.add(Case.of(1, 9, 9, 34, 3, 6, 2, Padding.SAME).grouped(2));
    c.add(Case.of(1, 8, 8, 6, 3, 48, 1, Padding.SAME).grouped(3));
    c.add(Case.of(1, 7, 7, 64, 3, 32, 2, Padding.VALID).grouped(4));
    // The small-in-channel path (S3-like).
    c.add(Case.of(2, 23, 22, 3, 7, 64, 2, Padding.SAME));
    c.add(Case.of(1, 11, 11, 2, 5, 37, 2, Padding.SAME));
    c.add(Case.of(1, 11, 11, 7, 3, 70, 1, Padding.SAME));
    // Rows wider than one pixel tile, for each in-channel count: full spans, then a narrow one.
    c.add(Case.of(1, 9, 61, 3, 7, 16, 2, Padding.SAME));
    c.add(Case.of(1, 5, 130, 1, 3, 8, 1, Padding.SAME));
    c.add(Case.of(1, 6, 50, 2, 3, 8, 1, Padding.SAME));
    c.add(Case.of(1, 6, 40, 4, 3, 8, 1, Padding.VALID));
    // Every layout and dtype over a few of the shapes.
    List<Case> base = List.of(
        Case.of(2, 9, 8, 17, 3, 19, 2, Padding.SAME),
        Case.of(1, 11, 11, 3, 7, 40, 2, Padding.SAME),
        Case.of(2, 6, 6, 12, 3, 9, 1, Padding.SAME).grouped(3).dilated(2),
        Case.of(2, 5, 6, 33, 1, 16, 1, Padding.VALID));
    for (Case b : base) {
      for (DataFormat f : DataFormat.values()) {
        for (DType t : DType.values()) {
          c.add(b.with(f).with(t));
        }
      }
    }
    c.add(Case.of(1, 31, 31, 17, 4, 16, 3, Padding.SAME).with(DataFormat.NCHW).with(DType.FLOAT64));
    c.add(Case.of(1, 1, 1, 3, 5, 4, 3, Padding.VALID).with(DataFormat.NCHW).with(DType.HALF));
    return c.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesReference(Case c) {
    Conv2dBackpropInput op = c.op();
    assertTrue(simd.supports(op), "simd declines " + c);
    SplittableRandom rnd = new SplittableRandom(c.toString().hashCode());
    Tensor w = random(op.dtype(), op.filterShape(), rnd);
    Tensor dy = random(op.dtype(), op.outBackpropShape(), rnd);
    Tensor expected = Tensor.zeros(op.dtype(), op.inputShape());
    Tensor actual = Tensor.zeros(op.dtype(), op.inputShape());
    // Poison the result: every element must be written.
    Tensor poisoned = Tensor.fromDoubles(op.dtype(), op.inputShape(), filled(actual.size(), Double.NaN));
    try (WorkPool one = new WorkPool(1); WorkPool two = new WorkPool(2)) {
      REFERENCE.compute(op, w, dy, expected, one);
      simd.compute(op, w, dy, actual, two);
      simd.compute(op, w, dy, poisoned, one);
      Tensor bound = sumOfAbsTerms(op, w, dy, one);
      double rel = tolerance(op.dtype());
      for (int i = 0; i < expected.size(); i++) {
        double e = expected.getFlat(i);
        double a = actual.getFlat(i);
        double limit = rel * bound.getFlat(i) + 1e-30;
        if (!(Math.abs(e - a) <= limit)) {
          throw new AssertionError(c + ": element " + i + " is " + a + ", reference " + e + " (limit " + limit + ")");
        }
        assertEquals(
            Double.doubleToRawLongBits(a), Double.doubleToRawLongBits(poisoned.getFlat(i)), () -> c + " threads");
      }
    }
  }

  @Test
  void bitwiseDeterministicAcrossThreadCounts() {
    List<Case> problems = List.of(
        Case.of(3, 31, 29, 33, 3, 40, 2, Padding.SAME),
        Case.of(2, 23, 22, 3, 7, 64, 2, Padding.SAME),
        Case.of(4, 14, 14, 20, 1, 50, 1, Padding.VALID),
        // Winograd with tasks of 4 bands on 1 to 3 threads and of 1 on 7 (WorkSplitTest).
        Case.of(3, 30, 30, 16, 3, 24, 1, Padding.SAME),
        Case.of(2, 17, 17, 16, 3, 24, 1, Padding.SAME).with(DataFormat.NCHW).with(DType.BFLOAT16),
        Case.of(2, 17, 17, 16, 3, 24, 2, Padding.SAME).with(DType.FLOAT64));
    for (Case c : problems) {
      Conv2dBackpropInput op = c.op();
      SplittableRandom rnd = new SplittableRandom(7);
      Tensor w = random(op.dtype(), op.filterShape(), rnd);
      Tensor dy = random(op.dtype(), op.outBackpropShape(), rnd);
      double[] first = null;
      for (int threads : new int[] {1, 2, 3, 7}) {
        try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(threads))) {
          assertEquals("simd", e.kernelFor(op).name());
          double[] got = e.backpropInput(op, w, dy).toDoubleArray();
          if (first == null) {
            first = got;
          } else {
            assertArrayEquals(first, got, 0.0, c + " with " + threads + " threads");
          }
        }
      }
    }
  }

  @Test
  void packedFilterIsReusedAcrossBatchAndSpatialSizes() {
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(2))) {
      Conv2dBackpropInput small = Case.of(2, 9, 9, 20, 3, 24, 2, Padding.SAME).op();
      Conv2dBackpropInput large = Case.of(5, 13, 11, 20, 3, 24, 2, Padding.SAME).op();
      SplittableRandom rnd = new SplittableRandom(3);
      Tensor w = random(DType.FLOAT32, small.filterShape(), rnd);
      PackedFilter packed = e.pack(small, w);
      assertTrue(packed.bytes() >= 4L * w.size());
      for (Conv2dBackpropInput op : List.of(small, large)) {
        Tensor dy = random(DType.FLOAT32, op.outBackpropShape(), rnd);
        assertArrayEquals(
            e.backpropInput(op, w, dy).float32Data(), e.backpropInput(op, packed, dy).float32Data(), op.toString());
      }
    }
  }

  /**
   * The packed layout depends on the strides (the filter columns are ordered by stride phase, and
   * Winograd packs per stride) and the dilations: a filter packed for other ones is refused, not
   * used for a wrong answer.
   */
  @Test
  void aPackedFilterFitsOnlyProblemsWithItsStridesAndDilations() {
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(2))) {
      Conv2dBackpropInput s1 = Case.of(1, 9, 9, 16, 3, 16, 1, Padding.SAME).op();
      Conv2dBackpropInput s2 = Case.of(1, 9, 9, 16, 3, 16, 2, Padding.SAME).op();
      Conv2dBackpropInput d2 = Case.of(1, 9, 9, 16, 3, 16, 1, Padding.SAME).dilated(2).op();
      PackedFilter packed = e.pack(s1, random(DType.FLOAT32, s1.filterShape(), new SplittableRandom(5)));
      assertTrue(packed.fits(s1));
      assertFalse(packed.fits(s2));
      assertFalse(packed.fits(d2));
      Tensor dy = random(DType.FLOAT32, s2.outBackpropShape(), new SplittableRandom(6));
      var refused = org.junit.jupiter.api.Assertions.assertThrows(
          org.convgrad.engine.InvalidArgumentException.class, () -> e.backpropInput(s2, packed, dy));
      assertTrue(refused.getMessage().contains("strides and dilations"), refused.getMessage());
    }
  }

  /**
   * Small in-channel problems may read zeros past the image edges (padded runs, for pixels whose
   * taps leave the image): never with a non-finite filter, as {@code inf * 0} would be a NaN where
   * the reference has a finite value (here at x = 10: tap kx = 0 reads out_backprop column 6 of 6).
   */
  @Test
  void nonFiniteFilterValuesReachOnlyWhatTheReferenceGivesThem() {
    Conv2dBackpropInput op = Case.of(1, 12, 12, 3, 7, 8, 2, Padding.SAME).op();
    SplittableRandom rnd = new SplittableRandom(11);
    double[] wv = random(DType.FLOAT32, op.filterShape(), rnd).toDoubleArray();
    wv[0] = Double.POSITIVE_INFINITY; // tap (0, 0), in channel 0, out channel 0
    wv[wv.length - 1] = Double.NaN; // tap (6, 6), in channel 2, out channel 7
    Tensor w = Tensor.fromDoubles(DType.FLOAT32, op.filterShape(), wv);
    Tensor dy = random(DType.FLOAT32, op.outBackpropShape(), rnd);
    Tensor expected = Tensor.zeros(DType.FLOAT32, op.inputShape());
    Tensor actual = Tensor.zeros(DType.FLOAT32, op.inputShape());
    try (WorkPool two = new WorkPool(2)) {
      REFERENCE.compute(op, w, dy, expected, two);
      simd.compute(op, w, dy, actual, two);
    }
    int finite = 0;
    for (int i = 0; i < expected.size(); i++) {
      double e = expected.getFlat(i);
      double a = actual.getFlat(i);
      if (Double.isFinite(e)) {
        finite++;
        assertEquals(e, a, 1e-4, "element " + i);
      } else {
        assertEquals(Double.doubleToLongBits(e), Double.doubleToLongBits(a), "element " + i + ": " + a + ", reference " + e);
      }
    }
    assertTrue(Double.isFinite(expected.getFlat((0 * 12 + 10) * 3)), "the reference is finite at (0, 10, 0)");
    assertTrue(finite < expected.size(), "some elements are not finite");
  }

  /**
   * Measures what a call allocates (one thread: everything on this thread) against the bound the
   * kernel's javadoc states: result + packed filter + per-thread and per-call scratch, far below an
   * im2col buffer. A kernel whose compiled code boxes vectors exceeds it in every call: this JVM's
   * history decides whether C2 compiles the kernels that way ({@link SimdBoxingTest} forces the
   * worst case, in other JVMs).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("memoryCases")
  void allocatesNoMoreThanTheStatedBound(Case c) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    Conv2dBackpropInput op = c.op();
    SplittableRandom rnd = new SplittableRandom(5);
    Tensor w = random(op.dtype(), op.filterShape(), rnd);
    Tensor dy = random(op.dtype(), op.outBackpropShape(), rnd);
    long elem = op.dtype().byteSize();
    long result = op.inputShape().elementCount() * elem;
    long bound =
        result
            + org.convgrad.engine.kernel.simd.SimdBackpropInputKernel.scratchBytesPerThread(op)
            + org.convgrad.engine.kernel.simd.SimdBackpropInputKernel.scratchBytesPerCall(op)
            + 16 * 1024; // small objects: the plan, workers, lambdas
    long im2col = op.inputShape().elementCount() * op.filterShape().get(0) * op.filterShape().get(1)
        * op.geometry().outDepthPerGroup() * elem;
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(1))) {
      PackedFilter packed = e.pack(op, w);
      // Until C2 has compiled the tiles, every vector operation allocates (the Vector API's
      // interpreted form boxes vectors): measure calls until one runs compiled, for at most 90 s.
      long used = measure(threads, () -> e.backpropInput(op, packed, dy), bound);
      assertTrue(used <= bound, c + ": allocated " + used + " bytes, bound " + bound);
      assertTrue(used < im2col / 4, c + ": allocated " + used + " bytes, im2col would be " + im2col);
      // Packing a half or bfloat16 filter widens it to float32 first: one filter-sized buffer.
      long widened = op.dtype().byteSize() == 2 ? 4 * op.filterShape().elementCount() : 0;
      long packBound = bound + packed.bytes() + widened + 1024;
      long usedWithPack = measure(threads, () -> e.backpropInput(op, w, dy), packBound);
      assertTrue(usedWithPack <= packBound,
          c + ": allocated " + usedWithPack + " bytes with packing, bound " + packBound);
    }
  }

  /**
   * The bytes one call allocates on this thread: the first measurement within bound, or the last.
   * The deadline is long: on a loaded 2-core machine C2 once took more than 30 s to compile them.
   */
  private static long measure(com.sun.management.ThreadMXBean threads, Runnable call, long bound) {
    long deadline = System.nanoTime() + 90_000_000_000L;
    long used;
    do {
      long before = threads.getCurrentThreadAllocatedBytes();
      call.run();
      used = threads.getCurrentThreadAllocatedBytes() - before;
    } while (used > bound && System.nanoTime() < deadline);
    return used;
  }

  static Stream<Case> memoryCases() {
    return Stream.of(
        Case.of(2, 32, 32, 32, 3, 32, 1, Padding.SAME),
        Case.of(2, 32, 32, 32, 3, 32, 2, Padding.SAME).with(DataFormat.NCHW),
        Case.of(2, 32, 32, 32, 3, 32, 1, Padding.SAME).with(DType.HALF),
        Case.of(2, 40, 40, 3, 7, 64, 2, Padding.SAME),
        Case.of(2, 16, 16, 32, 3, 48, 1, Padding.SAME).with(DType.FLOAT64));
  }

  @Test
  void autoAndSimdPickTheSimdKernelScalarPicksTheReference() {
    Conv2dBackpropInput op = Case.of(1, 5, 5, 3, 3, 4, 1, Padding.SAME).op();
    try (Engine auto = Engine.create(b -> b.kind(EngineKind.AUTO));
        Engine simdEngine = Engine.create(b -> b.kind(EngineKind.SIMD));
        Engine scalar = Engine.create(b -> b.kind(EngineKind.SCALAR))) {
      // AUTO takes a usable GPU first: this machine's CPU kernels are what it picks without one.
      assertEquals(org.convgrad.engine.kernel.gpu.GpuSupport.probe(0).usable() ? "gpu" : "simd",
          auto.kernelFor(op).name());
      assertEquals("simd", simdEngine.kernelFor(op).name());
      assertEquals("reference", scalar.kernelFor(op).name());
      // 3 in channels: float32 runs the pixel tiles (vectorized over result pixels), float64 the dot
      // tiles (vectorized over out channels); 7 in channels: the dot tiles. Lanes per the machine's vectors.
      assertTrue(simdEngine.kernelFor(op).describe(op).startsWith("simd (pixel-f32x"), simdEngine.kernelFor(op).describe(op));
      Conv2dBackpropInput f64 = Case.of(1, 5, 5, 3, 3, 4, 1, Padding.SAME).with(DType.FLOAT64).op();
      assertTrue(simdEngine.kernelFor(f64).describe(f64).startsWith("simd (dot-f64x"), simdEngine.kernelFor(f64).describe(f64));
      Conv2dBackpropInput seven = Case.of(1, 11, 11, 7, 3, 70, 1, Padding.SAME).op();
      assertTrue(simdEngine.kernelFor(seven).describe(seven).startsWith("simd (dot-f32x"), simdEngine.kernelFor(seven).describe(seven));
    }
  }

  @Test
  void geometriesBeyondIntIndexingAreLeftToTheReference() {
    // TF accepts a stride of 2^31 - 1 and int64 paddings; the SIMD plans index in int.
    Shape w = Shape.of(3, 3, 2, 4);
    Shape dy = Shape.of(1, 1, 1, 4);
    Conv2dBackpropInput huge = Conv2dBackpropInput.of(new long[] {1, 5, 5, 2}, w, DType.FLOAT32, dy, DType.FLOAT32,
        ConvParams.of(p -> p.strides(Integer.MAX_VALUE).padding(Padding.SAME)));
    // Width: (5 + 2^32 - 3 + 2^30) / 2^30 = 5 outputs, with a left pad of 2^32.
    Conv2dBackpropInput padded = Conv2dBackpropInput.of(new long[] {1, 5, 5, 2}, w, DType.FLOAT32,
        Shape.of(1, 3, 5, 4), DType.FLOAT32,
        ConvParams.of(p -> p.strides(1, 1 << 30).padding(Padding.EXPLICIT).explicitPaddings(0, 0, 0, 0, 1L << 32, 0, 0, 0)));
    assertFalse(simd.supports(huge));
    assertFalse(simd.supports(padded));
    try (Engine auto = Engine.create(b -> b.kind(EngineKind.AUTO))) {
      assertEquals("reference", auto.kernelFor(huge).name());
    }
  }

  private static double tolerance(DType t) {
    switch (t) {
      case FLOAT64:
        return 1e-13;
      case FLOAT32:
        return 1e-5;
      case HALF:
        return 2e-3;
      default:
        return 1.6e-2;
    }
  }

  /** sum over the terms of |w * dy| per element, by the reference kernel in float64. */
  private static Tensor sumOfAbsTerms(Conv2dBackpropInput op, Tensor w, Tensor dy, WorkPool pool) {
    Conv2dBackpropInput op64 = Conv2dBackpropInput.of(
        op.inputShape().toArray(), op.filterShape(), DType.FLOAT64, op.outBackpropShape(), DType.FLOAT64,
        op.params());
    Tensor out = Tensor.zeros(DType.FLOAT64, op.inputShape());
    REFERENCE.compute(op64, abs(w), abs(dy), out, pool);
    return out;
  }

  private static Tensor abs(Tensor t) {
    double[] v = t.toDoubleArray().clone();
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.abs(v[i]);
    }
    return Tensor.fromDoubles(DType.FLOAT64, t.shape(), v);
  }

  private static double[] filled(int n, double v) {
    double[] out = new double[n];
    java.util.Arrays.fill(out, v);
    return out;
  }

  static Tensor random(DType dtype, Shape shape, SplittableRandom rnd) {
    double[] v = new double[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextDouble(-1, 1);
    }
    return Tensor.fromDoubles(dtype, shape, v);
  }
}
