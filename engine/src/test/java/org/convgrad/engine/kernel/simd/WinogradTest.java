package org.convgrad.engine.kernel.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.band.OutBackpropScan;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.ReferenceKernel;
import org.convgrad.engine.kernel.WorkPool;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Winograd F(2x2, 3x3) and, per stride phase, F(m x m, ry x rx): which problems take it and with
 * which block side m, that its results match the reference on awkward problems, that the transforms
 * compute the m x m correlation of a window for every block side and sub-filter size, and that out_backprop values it cannot take safely send the whole call to the direct
 * tiles. (Its results against the reference, over awkward shapes, layouts and dtypes, and their
 * independence of the thread count: SimdKernelTest.)
 */
class WinogradTest {
  private static final SimdBackpropInputKernel KERNEL = new SimdBackpropInputKernel();

  @BeforeAll
  static void vectorApi() {
    assumeTrue(SimdBackpropInputKernel.unusableReason() == null, "the Vector API is not usable here");
  }

  private static Conv2dBackpropInput op(int h, int w, int ic, int f, int oc, int stride, int dilation, DType dtype) {
    long oh = (h + stride - 1) / stride;
    long ow = (w + stride - 1) / stride;
    return Conv2dBackpropInput.of(new long[] {2, h, w, ic}, Shape.of(f, f, ic, oc), dtype, Shape.of(2, oh, ow, oc), dtype,
        ConvParams.of(b -> b.strides(stride).dilations(dilation).padding(Padding.SAME).dataFormat(DataFormat.NHWC)));
  }

  /**
   * Awkward Winograd problems against the reference: odd sizes (blocks cut by the image edge), both
   * phases of stride 2 starting on either parity, explicit pads, channel counts off the vector width,
   * both layouts and the 16-bit dtypes. The error allowed is 2e-5 (4e-3 for half and bfloat16) of
   * the largest possible sum; a wrong transform or offset is off by whole terms.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("problems")
  void matchesTheReference(String name, Conv2dBackpropInput op) {
    assertTrue(SimdBackpropInputKernel.strategy(op).startsWith("winograd"), name);
    SplittableRandom rnd = new SplittableRandom(name.hashCode());
    Tensor w = Tensor.fromDoubles(op.dtype(), op.filterShape(), values(op.filterShape(), rnd));
    Tensor dy = Tensor.fromDoubles(op.dtype(), op.outBackpropShape(), values(op.outBackpropShape(), rnd));
    Tensor expected = Tensor.zeros(op.dtype(), op.inputShape());
    double[] nan = new double[(int) op.inputShape().elementCount()];
    java.util.Arrays.fill(nan, Double.NaN); // every element must be written
    Tensor actual = Tensor.fromDoubles(op.dtype(), op.inputShape(), nan);
    try (WorkPool pool = new WorkPool(2)) {
      new ReferenceKernel().compute(op, w, dy, expected, pool);
      KERNEL.compute(op, w, dy, actual, pool);
    }
    var g = op.geometry();
    double bound = g.filterHeight() * g.filterWidth() * g.outDepth() * (op.dtype() == DType.FLOAT32 ? 2e-5 : 4e-3);
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.getFlat(i), actual.getFlat(i), bound, name + ": element " + i);
    }
  }

  private static double[] values(Shape shape, SplittableRandom rnd) {
    double[] v = new double[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextDouble(-1, 1);
    }
    return v;
  }

  static Stream<Arguments> problems() {
    List<Arguments> list = new ArrayList<>();
    for (int[] c : new int[][] {
        // h, w, ic, oc, f, stride, pads (top, bottom, left, right; -1: SAME)
        {7, 9, 17, 15, 3, 1, -1, 0, 0, 0}, {2, 2, 8, 8, 3, 1, -1, 0, 0, 0}, {11, 6, 33, 24, 3, 1, 0, 3, 2, 0},
        {16, 16, 16, 16, 4, 2, -1, 0, 0, 0}, {9, 11, 20, 12, 4, 2, -1, 0, 0, 0}, {13, 7, 9, 40, 4, 2, 1, 2, 0, 3},
        {8, 8, 16, 8, 4, 2, 0, 0, 0, 0}, {5, 12, 16, 9, 2, 1, -1, 0, 0, 0},
        // Sub-filters of two sizes: 5x5 at stride 2 (3 and 2 taps), 3x3 (2 and 1: a 1x1 phase the
        // GEMMs read untransformed).
        {14, 14, 16, 24, 5, 2, -1, 0, 0, 0}, {9, 13, 20, 9, 5, 2, -1, 0, 0, 0}, {10, 7, 8, 17, 5, 2, 2, 0, 1, 2},
        {7, 10, 9, 8, 5, 2, 0, 3, 4, 1}, {14, 14, 16, 24, 3, 2, -1, 0, 0, 0}, {9, 13, 20, 9, 3, 2, -1, 0, 0, 0},
        {10, 7, 8, 17, 3, 2, 1, 0, 1, 2}, {11, 9, 9, 8, 3, 2, 0, 2, 2, 1}, {15, 15, 8, 12, 3, 2, 0, 0, 0, 0},
        // One column (or row) at stride 2: a phase column with no blocks at all.
        {5, 1, 8, 8, 3, 2, -1, 0, 0, 0}, {1, 5, 8, 8, 4, 2, -1, 0, 0, 0}, {6, 1, 16, 8, 6, 2, -1, 0, 0, 0}}) {
      long[] pads = c[6] < 0 ? new long[0] : new long[] {0, 0, c[6], c[7], c[8], c[9], 0, 0};
      for (DataFormat format : DataFormat.values()) {
        for (DType dtype : new DType[] {DType.FLOAT32, DType.HALF, DType.BFLOAT16}) {
          if (dtype != DType.FLOAT32 && format == DataFormat.NCHW) {
            continue;
          }
          int h = c[0], w = c[1], f = c[4], s = c[5];
          long oh = pads.length == 0 ? (h + s - 1) / s : (h + c[6] + c[7] - f) / s + 1;
          long ow = pads.length == 0 ? (w + s - 1) / s : (w + c[8] + c[9] - f) / s + 1;
          long[] nhwc = {2, h, w, c[2]};
          Conv2dBackpropInput op = Conv2dBackpropInput.of(format.order(nhwc[0], nhwc[1], nhwc[2], nhwc[3]),
              Shape.of(f, f, c[2], c[3]), dtype, Shape.of(format.order(2, oh, ow, c[3])), dtype,
              ConvParams.of(b -> {
                b.strides(s).dataFormat(format);
                if (pads.length == 0) {
                  b.padding(Padding.SAME);
                } else {
                  b.padding(Padding.EXPLICIT).explicitPaddings(format == DataFormat.NHWC ? pads
                      : new long[] {0, 0, 0, 0, pads[2], pads[3], pads[4], pads[5]});
                }
              }));
          list.add(Arguments.of(op.toString(), op));
        }
      }
    }
    return list.stream();
  }

  @Test
  void takesFiltersOfUpToThreeTapsPerStridePhaseWithEightOrMoreChannels() {
    assertTrue(SimdBackpropInputKernel.strategy(op(56, 56, 64, 3, 64, 1, 1, DType.FLOAT32)).startsWith("winograd"));
    assertTrue(SimdBackpropInputKernel.strategy(op(9, 7, 8, 3, 8, 1, 1, DType.BFLOAT16)).startsWith("winograd"));
    assertTrue(SimdBackpropInputKernel.strategy(op(32, 32, 128, 4, 256, 2, 1, DType.FLOAT32)).startsWith("winograd"));
    assertTrue(SimdBackpropInputKernel.strategy(op(28, 28, 16, 5, 16, 2, 1, DType.FLOAT32)).startsWith("winograd"));
    assertTrue(SimdBackpropInputKernel.strategy(op(28, 28, 16, 6, 16, 2, 1, DType.FLOAT32)).startsWith("winograd"));
    // 3x3 at stride 2 (S2): phases of 2x2, 2x1, 1x2 and 1x1 taps.
    assertTrue(SimdBackpropInputKernel.strategy(op(56, 56, 64, 3, 128, 2, 1, DType.FLOAT32)).startsWith("winograd"));
    // One tap in every phase (2x2 at stride 2) saves nothing; 7x7 has four in phase 0.
    assertFalse(SimdBackpropInputKernel.strategy(op(28, 28, 16, 2, 16, 2, 1, DType.FLOAT32)).startsWith("winograd"));
    assertFalse(SimdBackpropInputKernel.strategy(op(28, 28, 16, 7, 16, 2, 1, DType.FLOAT32)).startsWith("winograd"));
    assertFalse(SimdBackpropInputKernel.strategy(op(56, 56, 64, 3, 64, 1, 2, DType.FLOAT32)).startsWith("winograd"));
    assertFalse(SimdBackpropInputKernel.strategy(op(56, 56, 64, 5, 64, 1, 1, DType.FLOAT32)).startsWith("winograd"));
    assertFalse(SimdBackpropInputKernel.strategy(op(56, 56, 4, 3, 64, 1, 1, DType.FLOAT32)).startsWith("winograd"));
    assertFalse(SimdBackpropInputKernel.strategy(op(56, 56, 64, 3, 64, 1, 1, DType.FLOAT64)).startsWith("winograd"));
  }

  /**
   * A dimension of one tap packs one filter point, which the GEMMs of all its points read: S2's
   * phases pack 25, 5, 5 and 1 for GEMMs at 25, 20, 20 and 16 points.
   */
  @Test
  void packsOneFilterPointForADimensionOfOneTap() {
    Plan p = new Plan(op(56, 56, 64, 3, 128, 2, 1, DType.FLOAT32));
    assertArrayEquals(new int[] {25, 20, 20, 16}, IntStream.range(0, 4).map(q -> Winograd.points(p, q)).toArray());
    assertArrayEquals(new int[] {25, 5, 5, 1}, IntStream.range(0, 4).map(q -> Winograd.filterPoints(p, q)).toArray());
    for (int k = 0; k < 20; k++) {
      assertEquals(k / 4, Winograd.filterPoint(p, 1, k), "2x1 taps, 5x4 points: (k / 4, k % 4) reads row k / 4");
      assertEquals(k % 5, Winograd.filterPoint(p, 2, k), "1x2 taps, 4x5 points: (k / 5, k % 5) reads column k % 5");
      assertEquals(0, Winograd.filterPoint(p, 3, k % 16));
    }
    float[] filter = new float[3 * 3 * 64 * 128];
    assertEquals(36L * 2 * 128 * F32Tiles.NB, Winograd.pack(p, filter, false, WorkPool.singleThreaded()).u.length);
  }

  /** Blocks of 4x4 (F(4, 2)) for 3x3 filters at stride 2, whose phases have 2 taps a side or 1; else of 2x2. */
  @Test
  void takesBlocksOfFourForThreeByThreeFiltersAtStrideTwo() {
    for (int[] c : new int[][] {{3, 2, 4}, {4, 2, 2}, {2, 1, 2}, {3, 1, 2}, {5, 2, 2}, {6, 2, 2}}) {
      Plan p = new Plan(op(28, 28, 16, c[0], 16, c[1], 1, DType.FLOAT32));
      assertEquals(c[2], Winograd.side(p), c[0] + "x" + c[0] + " at stride " + c[1]);
    }
  }

  /** The transforms on one 4x4 window and one filter, lane by lane, against the 2x2 correlation in double. */
  @Test
  void transformsComputeTheCorrelationOfAWindow() {
    int lanes = F32Tiles.L;
    SplittableRandom rnd = new SplittableRandom(1);
    float[] d = new float[16 * lanes]; // window (i, j) at (i * 4 + j) * lanes
    float[] g = new float[9 * lanes]; // filter (i, j) of lane l at (i * 3 + j) * lanes + l
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) rnd.nextDouble(-1, 1);
    }
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) rnd.nextDouble(-1, 1);
    }
    float[] v = new float[16 * lanes];
    WinogradTransforms.input4(d, 0, 4, lanes, v, 0, lanes, lanes);
    // U = G g G^T per lane, through pack (one in and one out channel per lane would need 8 filters:
    // pack a 3x3 filter with lanes in channels and one out channel, then read U per lane).
    Plan p = new Plan(Conv2dBackpropInput.of(new long[] {1, 4, 4, lanes}, Shape.of(3, 3, lanes, 1), DType.FLOAT32,
        Shape.of(1, 4, 4, 1), DType.FLOAT32, ConvParams.of(b -> b.padding(Padding.SAME))));
    float[] hwio = new float[9 * lanes];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        for (int l = 0; l < lanes; l++) {
          // pack rotates the filter: put g's (i, j) at tap (2 - i, 2 - j).
          hwio[((2 - i) * 3 + (2 - j)) * lanes + l] = g[(i * 3 + j) * lanes + l];
        }
      }
    }
    Winograd.Packed packed = Winograd.pack(p, hwio, false, WorkPool.singleThreaded());
    float[] m = new float[16 * lanes];
    for (int k = 0; k < 16; k++) {
      for (int l = 0; l < lanes; l++) {
        m[k * lanes + l] = v[k * lanes + l] * packed.u[k * F32Tiles.NB + l];
      }
    }
    float[] y = new float[4 * lanes];
    WinogradTransforms.output4(m, 0, lanes, y, 0, 2 * lanes, lanes);
    for (int a = 0; a < 2; a++) {
      for (int b = 0; b < 2; b++) {
        for (int l = 0; l < lanes; l++) {
          double want = 0;
          for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
              want += (double) d[((a + i) * 4 + b + j) * lanes + l] * g[(i * 3 + j) * lanes + l];
            }
          }
          assertEquals(want, y[(a * 2 + b) * lanes + l], 1e-5, "y(" + a + ", " + b + ") lane " + l);
        }
      }
    }
  }

  /**
   * The transforms of blocks of side 2 for sub-filters of ry x rx taps (1 to 3 each) and of side 4
   * (1 or 2 each), lane by lane, against the ry x rx correlation of a (side + ry - 1) x (side + rx
   * - 1) window in double.
   */
  @ParameterizedTest(name = "side {0}, {1}x{2} taps")
  @MethodSource("subFilterSizes")
  void separableTransformsComputeTheCorrelationOfAWindow(int side, int ry, int rx) {
    int lanes = F32Tiles.L;
    int ny = side + ry - 1;
    int nx = side + rx - 1;
    SplittableRandom rnd = new SplittableRandom(side * 16 + ry * 4 + rx);
    float[] d = new float[ny * nx * lanes]; // window (i, j) at (i * nx + j) * lanes
    float[] g = new float[ry * rx * F32Tiles.NB]; // tap (i, j) of lane l at (i * rx + j) * NB + l
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) rnd.nextDouble(-1, 1);
    }
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) rnd.nextDouble(-1, 1);
    }
    float[] tmp = new float[ny * nx * lanes];
    float[] v = new float[ny * nx * lanes];
    WinogradSeparable.input(side, ry, rx, d, 0, nx, lanes, v, 0, lanes, lanes, tmp);
    // U at its distinct points: one for a dimension of one tap, shared by all its points.
    int fy = ry == 1 ? 1 : ny;
    int fx = rx == 1 ? 1 : nx;
    float[] u = new float[fy * fx * lanes];
    WinogradSeparable.filter(side, ry, rx, g, 0, u, 0, lanes, tmp);
    float[] m = new float[ny * nx * lanes];
    for (int k = 0; k < ny; k++) {
      for (int l = 0; l < nx; l++) {
        for (int c = 0; c < lanes; c++) {
          int at = (k * nx + l) * lanes + c;
          m[at] = v[at] * u[((fy == 1 ? 0 : k) * fx + (fx == 1 ? 0 : l)) * lanes + c];
        }
      }
    }
    float[] y = new float[side * side * lanes];
    WinogradSeparable.output(side, ry, rx, m, 0, lanes, y, 0, side * lanes, lanes, tmp);
    for (int a = 0; a < side; a++) {
      for (int b = 0; b < side; b++) {
        for (int l = 0; l < lanes; l++) {
          double want = 0;
          for (int i = 0; i < ry; i++) {
            for (int j = 0; j < rx; j++) {
              want += (double) d[((a + i) * nx + b + j) * lanes + l] * g[(i * rx + j) * F32Tiles.NB + l];
            }
          }
          assertEquals(want, y[(a * side + b) * lanes + l], 1e-5, "y(" + a + ", " + b + ") lane " + l);
        }
      }
    }
  }

  static Stream<Arguments> subFilterSizes() {
    List<Arguments> list = new ArrayList<>();
    for (int side : new int[] {2, 4}) {
      for (int ry = 1; ry <= (side == 2 ? 3 : 2); ry++) {
        for (int rx = 1; rx <= (side == 2 ? 3 : 2); rx++) {
          list.add(Arguments.of(side, ry, rx));
        }
      }
    }
    return list.stream();
  }

  /**
   * Where whole bands would leave threads idle, each phase row of them is a task of its own: the
   * same bits as whole bands on one thread, for 4x4 blocks (3x3 and 4x4 at stride 2) and 2x2 (5x5),
   * with blocks cut by the image's edges.
   */
  @Test
  void tasksOfOnePhaseRowGiveTheBitsOfWholeBands() {
    for (int f : new int[] {3, 4, 5}) {
      Conv2dBackpropInput op = op(13, 15, 24, f, 40, 2, 1, DType.FLOAT32);
      Plan p = new Plan(op);
      int threads = IntStream.rangeClosed(2, 16).filter(t -> WinogradWorker.split(p, t).phaseRows())
          .findFirst().orElseThrow(() -> new AssertionError(f + "x" + f + ": no thread count splits phase rows"));
      assertFalse(WinogradWorker.split(p, 1).phaseRows());
      SplittableRandom rnd = new SplittableRandom(f);
      Tensor w = random(op.filterShape(), rnd, null);
      Tensor dy = random(op.outBackpropShape(), rnd, null);
      float[][] results = new float[2][];
      for (int i = 0; i < 2; i++) {
        try (WorkPool pool = new WorkPool(i == 0 ? 1 : threads)) {
          Tensor out = Tensor.zeros(op.dtype(), op.inputShape());
          KERNEL.compute(op, w, dy, out, pool);
          results[i] = out.float32Data();
        }
      }
      assertArrayEquals(results[0], results[1], f + "x" + f);
    }
  }

  /** One result with Winograd allowed or not ({@code convgrad.winograd}). */
  private static float[] compute(Conv2dBackpropInput op, Tensor w, Tensor dy, boolean winograd) {
    String before = System.getProperty("convgrad.winograd");
    System.setProperty("convgrad.winograd", Boolean.toString(winograd));
    try (WorkPool pool = new WorkPool(2)) {
      Tensor out = Tensor.zeros(op.dtype(), op.inputShape());
      KERNEL.compute(op, w, dy, out, pool);
      return out.float32Data();
    } finally {
      if (before == null) {
        System.clearProperty("convgrad.winograd");
      } else {
        System.setProperty("convgrad.winograd", before);
      }
    }
  }

  private static Tensor random(Shape shape, SplittableRandom rnd, Supplier<Double> special) {
    double[] v = new double[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextDouble(-1, 1);
    }
    if (special != null) {
      v[v.length / 3] = special.get();
    }
    return Tensor.fromDoubles(DType.FLOAT32, shape, v);
  }

  @Test
  void finiteModerateValuesAreComputedByWinograd() {
    Conv2dBackpropInput op = op(9, 11, 16, 3, 24, 1, 1, DType.FLOAT32);
    SplittableRandom rnd = new SplittableRandom(2);
    Tensor w = random(op.filterShape(), rnd, null);
    Tensor dy = random(op.outBackpropShape(), rnd, null);
    float[] winograd = compute(op, w, dy, true);
    float[] direct = compute(op, w, dy, false);
    boolean differs = false;
    for (int i = 0; i < direct.length; i++) {
      assertEquals(direct[i], winograd[i], 1e-4, "element " + i);
      differs |= direct[i] != winograd[i];
    }
    assertTrue(differs, "Winograd rounds differently from the direct tiles somewhere: it ran");
  }

  /**
   * A non-finite out_backprop value would reach, through the 4x4 windows, results the direct sums
   * keep finite ({@code inf - inf} is NaN); a value above {@link Winograd#limit} could overflow a
   * transformed sum. Either sends the whole call to the direct tiles: the same bits.
   */
  @Test
  void outBackpropValuesWinogradCannotTakeAreComputedByTheDirectTiles() {
    Conv2dBackpropInput op = op(9, 11, 16, 3, 24, 1, 1, DType.FLOAT32);
    for (double special : new double[] {Double.NaN, Double.POSITIVE_INFINITY, 1e36}) {
      SplittableRandom rnd = new SplittableRandom(3);
      Tensor w = random(op.filterShape(), rnd, null);
      Tensor dy = random(op.outBackpropShape(), rnd, () -> special);
      assertArrayEquals(compute(op, w, dy, false), compute(op, w, dy, true), "with " + special);
    }
  }

  @Test
  void aNonFiniteFilterIsComputedByTheDirectTiles() {
    Conv2dBackpropInput op = op(9, 11, 16, 3, 24, 1, 1, DType.FLOAT32);
    SplittableRandom rnd = new SplittableRandom(4);
    Tensor w = random(op.filterShape(), rnd, () -> Double.NEGATIVE_INFINITY);
    Tensor dy = random(op.outBackpropShape(), rnd, null);
    assertArrayEquals(compute(op, w, dy, false), compute(op, w, dy, true));
  }

  /**
   * A call finds out_backprop's largest magnitude while Winograd's tasks stage it, not in a pass of
   * its own, and decides as a call given the whole scan does: the same bits without special values,
   * and the direct tiles' bits with a value Winograd cannot take at a corner, in the middle or
   * anywhere else of out_backprop (where a value is read by the edge blocks alone, too).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("problems")
  void findsTheLargestOutBackpropValueAsAScanFirstWould(String name, Conv2dBackpropInput op) {
    SplittableRandom rnd = new SplittableRandom(name.hashCode());
    Tensor w = Tensor.fromDoubles(op.dtype(), op.filterShape(), values(op.filterShape(), rnd));
    double[] dy = values(op.outBackpropShape(), rnd);
    PackedFilter packed = KERNEL.pack(op, w);
    assertArrayEquals(scannedFirst(op, packed, dy), compute(op, packed, dy), name);
    double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, op.dtype() == DType.FLOAT32 ? -1e36 : Double.NEGATIVE_INFINITY};
    int[] at = {0, dy.length - 1, dy.length / 2, rnd.nextInt(dy.length), rnd.nextInt(dy.length), rnd.nextInt(dy.length)};
    for (int i = 0; i < at.length; i++) {
      double[] bad = dy.clone();
      bad[at[i]] = specials[i % specials.length];
      assertArrayEquals(scannedFirst(op, packed, bad), compute(op, packed, bad), name + ": " + bad[at[i]] + " at " + at[i]);
    }
  }

  /** Where the tasks stage every out_backprop value, on any thread count: SAME and VALID paddings. */
  @Test
  void tasksStageAllOfOutBackpropWithSameAndValidPaddings() {
    for (Padding padding : new Padding[] {Padding.SAME, Padding.VALID}) {
      for (int[] c : new int[][] {{8, 56, 64, 3, 64, 1}, {1, 512, 32, 3, 32, 1}, {16, 32, 128, 4, 256, 2}, {2, 9, 16, 5, 8, 2},
          {1, 3, 8, 3, 8, 1}, {8, 56, 64, 3, 128, 2}, {2, 9, 16, 3, 8, 2}}) {
        int h = c[1], f = c[3], s = c[5];
        long o = padding == Padding.SAME ? (h + s - 1) / s : (h - f + s) / s;
        Conv2dBackpropInput op = Conv2dBackpropInput.of(new long[] {c[0], h, h, c[2]}, Shape.of(f, f, c[2], c[4]),
            DType.FLOAT32, Shape.of(c[0], o, o, c[4]), DType.FLOAT32, ConvParams.of(b -> b.strides(s).padding(padding)));
        Plan p = new Plan(op);
        for (int threads = 1; threads <= 64; threads *= 2) {
          assertTrue(WinogradWorker.stagesAll(p, WinogradWorker.split(p, threads).bands()), op + " on " + threads + " threads");
        }
      }
    }
  }

  /**
   * Pads larger than the filter leave out_backprop rows and columns that no result reads and no task
   * stages: the call then scans out_backprop first, and a non-finite value there still sends it to
   * the direct tiles, as it sends a band of a banded run.
   */
  @Test
  void outBackpropValuesNoTaskStagesStillDecideTheTiles() {
    Conv2dBackpropInput op = Conv2dBackpropInput.of(new long[] {1, 6, 6, 8}, Shape.of(3, 3, 8, 8), DType.FLOAT32,
        Shape.of(1, 10, 10, 8), DType.FLOAT32,
        ConvParams.of(b -> b.padding(Padding.EXPLICIT).explicitPaddings(new long[] {0, 0, 5, 1, 5, 1, 0, 0})));
    Plan p = new Plan(op);
    assertFalse(WinogradWorker.stagesAll(p, WinogradWorker.split(p, 2).bands()));
    SplittableRandom rnd = new SplittableRandom(6);
    Tensor w = Tensor.fromDoubles(op.dtype(), op.filterShape(), values(op.filterShape(), rnd));
    double[] dy = values(op.outBackpropShape(), rnd);
    dy[0] = Double.NaN; // out_backprop (0, 0): its window lies in the pads
    PackedFilter packed = KERNEL.pack(op, w);
    float[] result = compute(op, packed, dy);
    assertArrayEquals(scannedFirst(op, packed, dy), result);
    assertArrayEquals(compute(op, w, Tensor.fromDoubles(op.dtype(), op.outBackpropShape(), dy), false), result);
  }

  /**
   * The result of a call that finds out_backprop's largest magnitude itself, and returns it as a
   * scan of its own would find it ({@link SimdBackpropInputKernel#computeAndScan}).
   */
  private static float[] compute(Conv2dBackpropInput op, PackedFilter packed, double[] dy) {
    Tensor t = Tensor.fromDoubles(op.dtype(), op.outBackpropShape(), dy);
    try (WorkPool pool = new WorkPool(2)) {
      Tensor out = Tensor.zeros(op.dtype(), op.inputShape());
      OutBackpropScan seen = KERNEL.computeAndScan(op, packed, t, out, pool);
      assertEquals(packed.payload() instanceof Winograd.Packed ? OutBackpropScan.of(t) : OutBackpropScan.EMPTY, seen,
          op.toString());
      return out.toFloatArray();
    }
  }

  /** The result of a call given the scan of the whole out_backprop, as a banded run's band is. */
  private static float[] scannedFirst(Conv2dBackpropInput op, PackedFilter packed, double[] dy) {
    Tensor t = Tensor.fromDoubles(op.dtype(), op.outBackpropShape(), dy);
    try (WorkPool pool = new WorkPool(2)) {
      Tensor out = Tensor.zeros(op.dtype(), op.inputShape());
      KERNEL.compute(op, packed, t, OutBackpropScan.of(t), out, pool);
      return out.toFloatArray();
    }
  }
}
