package org.convgrad.engine.band;

import static org.convgrad.engine.band.BandFixtures.convolution;
import static org.convgrad.engine.band.BandFixtures.operands;
import static org.convgrad.engine.band.BandFixtures.random;
import static org.convgrad.engine.testing.Views.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.Padding;
import org.convgrad.engine.RowBand;
import org.convgrad.engine.kernel.simd.SimdBackpropInputKernel;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.engine.testing.Problem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A problem computed band by band gives the whole result bit for bit, whatever the band height:
 * bands of one row, filters taller than a band, halos that cross several bands, every padding,
 * stride, dilation and layout, and the SIMD kernel's Winograd and pointwise paths.
 */
class BandsTest {
  private static Engine simd;
  private static Engine scalar;

  @BeforeAll
  static void engines() {
    simd = Engine.create(b -> b.kind(EngineKind.SIMD).threads(2));
    scalar = Engine.create(b -> b.kind(EngineKind.SCALAR).threads(2));
  }

  @AfterAll
  static void close() {
    simd.close();
    scalar.close();
  }

  static Stream<Arguments> awkwardProblems() {
    List<Arguments> cases = new ArrayList<>();
    DType[] dtypes = {DType.FLOAT32, DType.FLOAT64, DType.HALF, DType.BFLOAT16};
    for (int seed = 0; seed < 96; seed++) {
      DType dtype = dtypes[seed % dtypes.length];
      DataFormat format = seed % 3 == 0 ? DataFormat.NCHW : DataFormat.NHWC;
      cases.add(Arguments.of(seed, dtype, format));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "seed {0} {1} {2}")
  @MethodSource("awkwardProblems")
  void bandsOfAnyHeightGiveTheWholeResultsBits(int seed, DType dtype, DataFormat format) {
    Problem shape = Problem.random(seed, dtype, format, true);
    Conv2dBackpropInput op = shape.op;
    SplittableRandom r = new SplittableRandom(seed);
    // Values off any grid, so that a different order of the same terms would round differently.
    Tensor filter = random(dtype, op.filterShape(), r);
    Tensor dy = random(dtype, op.outBackpropShape(), r);
    for (Engine engine : new Engine[] {simd, scalar}) {
      Tensor whole = engine.backpropInput(op, filter, dy);
      for (long rows : new long[] {1, 2, 3, 5}) {
        assertSameBits(whole, banded(engine, op, filter, dy, rows), op + " in bands of " + rows + " rows, " + engine.kind());
      }
    }
  }



  static Stream<Arguments> winogradProblems() {
    return Stream.of(
        // S1/S6-like: 3x3 at stride 1; S4-like: 4x4 at stride 2; every padding, both layouts, half.
        // Heights that are not multiples of two stride-rows are rounded up to one.
        Arguments.of(DType.FLOAT32, DataFormat.NHWC, 3, 1, Padding.SAME, 3L),
        Arguments.of(DType.FLOAT32, DataFormat.NHWC, 3, 1, Padding.VALID, 4L),
        Arguments.of(DType.FLOAT32, DataFormat.NCHW, 3, 1, Padding.EXPLICIT, 6L),
        Arguments.of(DType.HALF, DataFormat.NHWC, 3, 1, Padding.SAME, 2L),
        Arguments.of(DType.BFLOAT16, DataFormat.NCHW, 3, 1, Padding.VALID, 2L),
        Arguments.of(DType.FLOAT32, DataFormat.NHWC, 4, 2, Padding.SAME, 4L),
        Arguments.of(DType.FLOAT32, DataFormat.NHWC, 4, 2, Padding.EXPLICIT, 6L),
        Arguments.of(DType.FLOAT32, DataFormat.NCHW, 4, 2, Padding.VALID, 4L),
        Arguments.of(DType.HALF, DataFormat.NHWC, 4, 2, Padding.SAME, 5L),
        // S2-like: 3x3 at stride 2 runs F(4x4, 2x2), blocks of eight rows: bands of 4 and 12 become 8 and 16.
        Arguments.of(DType.FLOAT32, DataFormat.NHWC, 3, 2, Padding.SAME, 4L),
        Arguments.of(DType.FLOAT32, DataFormat.NCHW, 3, 2, Padding.EXPLICIT, 12L),
        Arguments.of(DType.BFLOAT16, DataFormat.NHWC, 3, 2, Padding.VALID, 1L));
  }

  @ParameterizedTest(name = "{0} {1} {2}x{2} stride {3} {4}, bands of {5}")
  @MethodSource("winogradProblems")
  void winogradBandsGiveTheWholeResultsBits(
      DType dtype, DataFormat format, int k, int stride, Padding padding, long rows) {
    Conv2dBackpropInput op = convolution(dtype, format, 2, 23, 19, 9, 10, k, stride, padding);
    assertTrue(SimdBackpropInputKernel.strategy(op).startsWith("winograd"), SimdBackpropInputKernel.strategy(op));
    SplittableRandom r = new SplittableRandom(k * 31L + rows);
    Tensor filter = random(dtype, op.filterShape(), r);
    Tensor dy = random(dtype, op.outBackpropShape(), r);
    Tensor whole = simd.backpropInput(op, filter, dy);
    assertSameBits(whole, banded(simd, op, filter, dy, rows), op + " in bands of " + rows);
  }

  @ParameterizedTest(name = "{0} {1} {2}x{2} stride {3} {4}, bands of {5}")
  @MethodSource("winogradProblems")
  void aPassFindsTheLargestValueWhicheverOutBackpropRowHoldsIt(
      DType dtype, DataFormat format, int k, int stride, Padding padding, long rows) {
    // The kernel finds the bands' scan as it stages their rows: every row, halo rows included,
    // must reach it, or a value past Winograd's limit would go unseen and the bands keep Winograd.
    Conv2dBackpropInput op = convolution(dtype, format, 2, 23, 19, 9, 10, k, stride, padding);
    SplittableRandom r = new SplittableRandom(k * 17L + rows);
    Tensor filter = random(dtype, op.filterShape(), r);
    Tensor dy = random(dtype, op.outBackpropShape(), r);
    Tensor whole = simd.backpropInput(op, filter, dy);
    Shape shape = op.outBackpropShape();
    long rowsPerSample = op.geometry().outHeight();
    for (long row = 0; row < shape.get(0) * rowsPerSample; row++) {
      long[] at = new long[4];
      at[0] = row / rowsPerSample;
      at[format == DataFormat.NHWC ? 1 : 2] = row % rowsPerSample;
      at[format == DataFormat.NHWC ? 2 : 3] = r.nextLong(op.geometry().outWidth());
      at[format == DataFormat.NHWC ? 3 : 1] = r.nextLong(op.filterShape().get(3));
      long flat = ((at[0] * shape.get(1) + at[1]) * shape.get(2) + at[2]) * shape.get(3) + at[3];
      double[] values = dy.toDoubleArray();
      values[(int) flat] = -1000;
      Tensor planted = Tensor.fromDoubles(dtype, shape, values);
      BandedRun run = new BandedRun(simd, op, filter);
      banded(run, planted, rows);
      assertTrue(run.choseAsTheWhole(), "1000 is within the limit " + run.outBackpropLimit());
      assertEquals(1000, run.scanned().maxAbs(), "the largest value, in out row " + row);
      assertEquals(OutBackpropScan.of(planted).maxAbs(), run.scanned().maxAbs());
    }
    assertSameBits(whole, banded(simd, op, filter, dy, rows), op + " in bands of " + rows);
  }

  @Test
  void aHugeValueInOneBandsRowsSendsEveryBandToTheDirectTilesAsTheWholeCall() {
    Conv2dBackpropInput op = convolution(DType.FLOAT32, DataFormat.NHWC, 1, 24, 16, 8, 8, 3, 1, Padding.SAME);
    Tensor[] wdy = operands(op, 7);
    Tensor filter = wdy[0];
    Tensor dy = wdy[1];
    // Past Winograd's limit, in the last rows only: the first bands never read it.
    dy.float32Data()[dy.size() - 3] = 1e36f;
    Tensor whole = simd.backpropInput(op, filter, dy);
    BandedRun run = new BandedRun(simd, op, filter);
    assertTrue(run.outBackpropLimit() < 1e36, "the filter is finite: Winograd up to " + run.outBackpropLimit());
    assertSameBits(whole, banded(run, dy, 4), "direct tiles for the whole call");
    assertFalse(run.choseAsTheWhole(), "the first pass assumed Winograd and was computed again");
    try (Engine direct = Engine.create(b -> b.kind(EngineKind.SIMD).threads(1))) {
      System.setProperty("convgrad.winograd", "false");
      try {
        assertSameBits(direct.backpropInput(op, filter, dy), whole, "the whole call ran the direct tiles");
      } finally {
        System.clearProperty("convgrad.winograd");
      }
    }
  }

  @Test
  void aHugeValueInRowsThatReachNoResultRowIsReadByTheFirstOrLastBand() {
    // Pads of 4 above and 6 below a 3x3 filter: two out rows at the top and four at the bottom reach
    // no result row; the whole call still chooses its tiles by them.
    ConvParams params =
        ConvParams.of(b -> b.padding(Padding.EXPLICIT).explicitPaddings(0, 0, 4, 6, 1, 1, 0, 0));
    Conv2dBackpropInput op =
        Conv2dBackpropInput.of(new long[] {1, 12, 10, 8}, Shape.of(3, 3, 8, 8), DType.FLOAT32,
            Shape.of(1, 20, 10, 8), DType.FLOAT32, params);
    for (int hugeRow : new int[] {0, 19}) {
      SplittableRandom r = new SplittableRandom(hugeRow);
      Tensor filter = random(DType.FLOAT32, op.filterShape(), r);
      Tensor dy = random(DType.FLOAT32, op.outBackpropShape(), r);
      dy.float32Data()[hugeRow * 10 * 8 + 5] = Float.POSITIVE_INFINITY;
      BandedRun run = new BandedRun(simd, op, filter);
      assertSameBits(simd.backpropInput(op, filter, dy), banded(run, dy, 4), "infinity in out row " + hugeRow);
      assertFalse(run.choseAsTheWhole(), "out row " + hugeRow + " was read");
    }
  }

  @Test
  void theBandsOfASampleReadAllOfItsOutBackpropRowsBetweenThem() {
    for (int seed = 0; seed < 300; seed++) {
      Conv2dBackpropInput op = Problem.random(seed, DType.FLOAT32, DataFormat.NHWC, false).op;
      for (long rows : new long[] {1, 2, 5}) {
        long next = 0;
        for (Conv2dBackpropInput band : Bands.of(op, rows)) {
          RowBand at = band.bandOf();
          if (at.firstRow() == 0) {
            assertTrue(at.sample() == 0 || next == op.geometry().outHeight(), op + " " + at);
            next = 0;
          }
          assertTrue(at.firstOutRow() <= next, "no gap before " + at + " in " + op);
          next = Math.max(next, at.endOutRow());
        }
        assertTrue(op.geometry().inHeight() == 0 || next == op.geometry().outHeight(), op.toString());
      }
    }
  }

  @Test
  void aBandedRunTakesTheWholeProblemAndItsOwnBands() {
    Conv2dBackpropInput op = convolution(DType.FLOAT32, DataFormat.NHWC, 1, 12, 12, 8, 8, 3, 1, Padding.SAME);
    Conv2dBackpropInput other = convolution(DType.FLOAT32, DataFormat.NHWC, 1, 12, 12, 8, 8, 3, 1, Padding.SAME);
    Tensor filter = random(DType.FLOAT32, op.filterShape(), new SplittableRandom(1));
    Tensor dy = random(DType.FLOAT32, op.outBackpropShape(), new SplittableRandom(2));
    Conv2dBackpropInput band = Bands.of(op, 4).get(0);
    assertThrows(InvalidArgumentException.class, () -> new BandedRun(simd, band, filter));
    BandedRun run = new BandedRun(simd, other, filter);
    InvalidArgumentException e =
        assertThrows(InvalidArgumentException.class, () -> run.compute(band, RowSlices.outRows(dy, band)));
    assertTrue(e.getMessage().contains("was not cut from"), e.getMessage());
    assertEquals(Double.POSITIVE_INFINITY, new BandedRun(scalar, op, filter).outBackpropLimit(),
        "the reference kernel chooses nothing by the data");
  }

  @Test
  void aPointwiseFilterWithPaddingKeepsTheWholeProblemsTiles() {
    // 1x1 with a top pad is not pointwise; its bands, whose own pads are zero, must not become so.
    ConvParams params =
        ConvParams.of(b -> b.strides(1, 1).padding(Padding.EXPLICIT).explicitPaddings(0, 0, 1, 0, 0, 0, 0, 0));
    Conv2dBackpropInput op =
        Conv2dBackpropInput.of(new long[] {2, 9, 7, 20}, Shape.of(1, 1, 20, 24), DType.FLOAT32,
            Shape.of(2, 10, 7, 24), DType.FLOAT32, params);
    Tensor[] wdy = operands(op, 3);
    Tensor filter = wdy[0];
    Tensor dy = wdy[1];
    assertSameBits(simd.backpropInput(op, filter, dy), banded(simd, op, filter, dy, 2), "1x1 with a top pad");
  }

  @Test
  void aBandReadsTheOutBackpropRowsThatReachItAndNoPadAboveGoesNegative() {
    // 5x5 dilated by 2 at stride 3, SAME: reach 8 rows, a halo across several one-row bands.
    Conv2dBackpropInput op =
        Conv2dBackpropInput.of(new long[] {1, 20, 6, 2}, Shape.of(5, 5, 2, 3), DType.FLOAT32,
            Shape.of(1, 7, 2, 3), DType.FLOAT32,
            ConvParams.of(b -> b.strides(3, 3).dilations(2, 2).padding(Padding.SAME)));
    for (long r0 = 0; r0 < 20; r0++) {
      Conv2dBackpropInput band = op.band(0, r0, r0 + 1);
      RowBand at = band.bandOf();
      assertTrue(band.geometry().padTop() >= 0, band.toString());
      long pad = op.geometry().padTop();
      for (long oy = 0; oy < 7; oy++) {
        boolean reaches = false;
        for (long ky = 0; ky < 5; ky++) {
          reaches |= r0 + pad - 2 * ky == 3 * oy;
        }
        if (reaches) {
          assertTrue(oy >= at.firstOutRow() && oy < at.endOutRow(), "row " + r0 + " needs out row " + oy + ": " + at);
        }
      }
      assertEquals(Shape.of(1, at.outRows(), 2, 3), band.outBackpropShape());
    }
  }

  @Test
  void bandsAreCutAtTheAlignmentAndSizedToABudget() {
    Conv2dBackpropInput op = convolution(DType.FLOAT32, DataFormat.NHWC, 2, 23, 19, 9, 10, 4, 2, Padding.SAME);
    assertEquals(4, op.bandAlignment());
    List<Conv2dBackpropInput> bands = Bands.of(op, 5);
    assertEquals(2 * 3, bands.size()); // rows [0, 8), [8, 16), [16, 23) of each sample
    assertEquals(16, bands.get(2).bandOf().firstRow());
    assertEquals(23, bands.get(2).bandOf().endRow());
    assertEquals(1, bands.get(3).bandOf().sample());
    long budget = Bands.elements(op, 8);
    assertEquals(8, Bands.rowsWithin(op, budget));
    assertEquals(4, Bands.rowsWithin(op, budget - 1));
    assertEquals(4, Bands.rowsWithin(op, 1)); // never less than one multiple
    assertEquals(23, Bands.rowsWithin(op, Long.MAX_VALUE));
    // Rows past the image are one band of the whole image, however many: the rounding cannot overflow.
    assertEquals(24, Bands.height(op, Long.MAX_VALUE));
    assertEquals(2, Bands.of(op, Long.MAX_VALUE).size());
    assertThrows(InvalidArgumentException.class, () -> op.band(0, 3, 3));
    assertThrows(InvalidArgumentException.class, () -> op.band(2, 0, 4));
    // A band of a band: batch 1, its own rows.
    Conv2dBackpropInput band = op.band(1, 8, 16);
    assertEquals(op.band(1, 10, 13).toString(), band.band(0, 2, 5).toString());
    assertThrows(InvalidArgumentException.class, () -> band.band(0, 0, 12), "rows past the band");
    assertThrows(InvalidArgumentException.class, () -> band.band(1, 0, 2), "a band has one sample");
  }

  @Test
  void aBandsSizeIsTheLargestOfAnyBandNotTheFirstOnes() {
    // Every band of sample 0, counted: the first bands read from the top, the last to the bottom (a
    // large bottom pad reads hundreds of rows), and the sizes must be the largest of them all.
    List<Conv2dBackpropInput> ops = new ArrayList<>();
    for (int seed = 0; seed < 200; seed++) {
      ops.add(Problem.random(seed, DType.FLOAT32, seed % 2 == 0 ? DataFormat.NHWC : DataFormat.NCHW, true).op);
    }
    ops.add(Conv2dBackpropInput.of(new long[] {1, 4, 5, 1}, Shape.of(1, 1, 1, 1), DType.FLOAT32,
        Shape.of(1, 1004, 5, 1), DType.FLOAT32, ConvParams.of(p -> p.padding(Padding.EXPLICIT)
            .explicitPaddings(0, 0, 0, 1000, 0, 0, 0, 0))));
    for (Conv2dBackpropInput op : ops) {
      if (op.geometry().batch() == 0 || op.geometry().inHeight() == 0) {
        continue;
      }
      for (long rows = 1; rows <= op.geometry().inHeight(); rows++) {
        long elements = 0;
        long dy = 0;
        for (Conv2dBackpropInput band : Bands.of(op, rows)) {
          if (band.bandOf().sample() == 0) {
            elements = Math.max(elements, band.inputShape().elementCount() + band.outBackpropShape().elementCount());
            dy = Math.max(dy, band.outBackpropShape().elementCount());
          }
        }
        assertEquals(elements, Bands.elements(op, rows), op + ", bands of " + rows);
        assertEquals(dy, Bands.mostOutBackpropElements(op, rows), op + ", bands of " + rows);
      }
    }
  }

  /** The whole result assembled from bands of {@code rows} rows computed by a {@link BandedRun}. */
  private static Tensor banded(Engine engine, Conv2dBackpropInput op, Tensor filter, Tensor dy, long rows) {
    return banded(new BandedRun(engine, op, filter), dy, rows);
  }

  /** As a user of {@link BandedRun} does: once on its assumption, and again by the scan if that failed. */
  private static Tensor banded(BandedRun run, Tensor dy, long rows) {
    Conv2dBackpropInput op = run.whole();
    Tensor dx = Tensor.zeros(op.dtype(), op.inputShape());
    if (op.geometry().inHeight() == 0) {
      return dx;
    }
    List<Conv2dBackpropInput> bands = Bands.of(op, rows);
    BandedRun.Rows<RuntimeException> io = new BandedRun.Rows<>() {
      @Override
      public Tensor read(Conv2dBackpropInput band) {
        return RowSlices.outRows(dy, band);
      }

      @Override
      public void write(Conv2dBackpropInput band, Tensor resultRows) {
        RowSlices.place(resultRows, band, dx);
      }
    };
    if (!run.pass(bands, io, null)) {
      assertTrue(run.pass(bands, io, run.scanned()), "a pass by the whole scan always completes");
    }
    return dx;
  }
}
