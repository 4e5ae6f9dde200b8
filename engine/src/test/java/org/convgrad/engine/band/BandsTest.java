package org.convgrad.engine.band;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
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
import org.convgrad.engine.tensor.LargeTensor;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.engine.testing.Problem;
import org.jspecify.annotations.Nullable;
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
        assertBits(whole, banded(engine, op, filter, dy, rows), op + " in bands of " + rows + " rows, " + engine.kind());
      }
    }
  }

  @ParameterizedTest(name = "seed {0} {1} {2}")
  @MethodSource("awkwardProblems")
  void anEngineComputesALargeTensorInBandsToTheWholeResultsBits(int seed, DType dtype, DataFormat format) {
    Conv2dBackpropInput op = Problem.random(seed, dtype, format, true).op;
    SplittableRandom r = new SplittableRandom(seed);
    Tensor filter = random(dtype, op.filterShape(), r);
    Tensor dy = random(dtype, op.outBackpropShape(), r);
    // Chunks of 13 elements: every band's rows cross chunks at places no row boundary falls, and are
    // copied; in chunks of 97 some are views into a chunk and some copies; in the default chunks all
    // NHWC bands of one sample are views, read and written in place.
    for (Engine engine : new Engine[] {simd, scalar}) {
      Tensor whole = engine.backpropInput(op, filter, dy);
      for (int chunk : new int[] {13, 97, LargeTensor.DEFAULT_CHUNK_ELEMENTS}) {
        LargeTensor large = LargeTensor.of(dy, chunk);
        for (long rows : new long[] {1, 4}) {
          LargeTensor dx = engine.backpropInput(op, filter, large, rows);
          assertBits(whole, dx.toTensor(), op + " from a large tensor in chunks of " + chunk + ", bands of " + rows
              + " rows, " + engine.kind());
        }
      }
      assertBits(whole, engine.backpropInput(op, filter, LargeTensor.of(dy)).toTensor(),
          op + " from a large tensor in default bands, " + engine.kind());
    }
  }

  /**
   * NCHW in chunks of 100 (copied bands), poisoned in a middle band; NHWC of one sample in the
   * default chunks (bands in place, a result chunk per band), poisoned in the last band, so that
   * the second pass overwrites every band of the first in place.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("poisonedLargeTensors")
  void aLargeTensorWithAValuePastTheKernelsLimitIsComputedAgainAsTheWholeCall(
      DataFormat format, long batch, int chunk, int poisonFromEnd, float poison, String resultChunks) {
    Conv2dBackpropInput op = convolution(DType.FLOAT32, format, batch, 24, 16, 8, 8, 3, 1, Padding.SAME);
    SplittableRandom r = new SplittableRandom(11);
    Tensor filter = random(DType.FLOAT32, op.filterShape(), r);
    Tensor dy = random(DType.FLOAT32, op.outBackpropShape(), r);
    dy.float32Data()[dy.size() - poisonFromEnd] = poison;
    Tensor whole = simd.backpropInput(op, filter, dy);
    LargeTensor dx = simd.backpropInput(op, filter, LargeTensor.of(dy, chunk), 2);
    assertBits(whole, dx.toTensor(), "a large tensor, " + format);
    assertTrue(dx.toString().endsWith(", " + resultChunks + " chunk(s))"), dx.toString());
  }

  static Stream<Arguments> poisonedLargeTensors() {
    return Stream.of(
        Arguments.of(DataFormat.NCHW, 2, 100, 24 * 16 * 8 - 5, Float.POSITIVE_INFINITY, "1"),
        Arguments.of(DataFormat.NHWC, 1, LargeTensor.DEFAULT_CHUNK_ELEMENTS, 7, Float.NaN, "12"));
  }

  @Test
  void aLargeTensorOfTheWrongShapeOrTypeIsRefusedNamingOutBackprop() {
    Conv2dBackpropInput op = convolution(DType.FLOAT32, DataFormat.NHWC, 1, 8, 8, 2, 3, 3, 1, Padding.SAME);
    Tensor filter = Tensor.zeros(DType.FLOAT32, op.filterShape());
    LargeTensor wrongShape = LargeTensor.zeros(DType.FLOAT32, Shape.of(1, 8, 8, 2));
    InvalidArgumentException e =
        assertThrows(InvalidArgumentException.class, () -> simd.backpropInput(op, filter, wrongShape));
    assertTrue(e.getMessage().contains("out_backprop is LargeTensor(FLOAT32, [1, 8, 8, 2]"), e.getMessage());
    LargeTensor wrongType = LargeTensor.zeros(DType.FLOAT64, op.outBackpropShape());
    assertThrows(InvalidArgumentException.class, () -> simd.backpropInput(op, filter, wrongType));
  }

  @Test
  void aPassReadsAheadInOrderAndRethrowsWhatItsRowsThrowWithNothingLeftInFlight() throws Exception {
    Conv2dBackpropInput op = convolution(DType.FLOAT32, DataFormat.NHWC, 2, 24, 16, 4, 4, 3, 1, Padding.SAME);
    SplittableRandom r = new SplittableRandom(5);
    Tensor filter = random(DType.FLOAT32, op.filterShape(), r);
    Tensor dy = random(DType.FLOAT32, op.outBackpropShape(), r);
    List<Conv2dBackpropInput> bands = Bands.of(op, 4);
    List<String> calls = Collections.synchronizedList(new ArrayList<>());
    class FailingRows implements BandedRun.Rows<IOException> {
      final int failingRead;
      final int failingWrite;

      FailingRows(int failingRead, int failingWrite) {
        this.failingRead = failingRead;
        this.failingWrite = failingWrite;
      }

      @Override
      public Tensor read(Conv2dBackpropInput band) throws IOException {
        int k = bands.indexOf(band);
        calls.add("read " + k);
        if (k == failingRead) {
          throw new IOException("band " + k + " unreadable");
        }
        return RowSlices.outRows(dy, band);
      }

      @Override
      public void write(Conv2dBackpropInput band, Tensor resultRows) {
        int k = bands.indexOf(band);
        calls.add("write " + k);
        if (k == failingWrite) {
          throw new IllegalStateException("band " + k + " unwritable");
        }
      }
    }
    BandedRun run = new BandedRun(simd, op, filter);
    assertTrue(run.pass(bands, new FailingRows(-1, -1), null));
    List<String> expected = new ArrayList<>();
    for (int k = 0; k < bands.size(); k++) {
      expected.add("read " + k);
      if (k > 0) {
        expected.add("write " + (k - 1)); // band k - 1 is written after band k is read
      }
    }
    expected.add("write " + (bands.size() - 1));
    assertEquals(expected, calls);

    calls.clear();
    IOException read = assertThrows(IOException.class, () -> run.pass(bands, new FailingRows(3, -1), null));
    assertEquals("band 3 unreadable", read.getMessage());
    List<String> atReturn = List.copyOf(calls);
    assertFalse(atReturn.contains("read 4"), "nothing read past the failure: " + atReturn);
    Thread.sleep(50);
    assertEquals(atReturn, calls, "no call after the pass returned");

    calls.clear();
    IllegalStateException write =
        assertThrows(IllegalStateException.class, () -> run.pass(bands, new FailingRows(-1, 1), null));
    assertEquals("band 1 unwritable", write.getMessage());
    List<String> afterWrite = List.copyOf(calls);
    Thread.sleep(50);
    assertEquals(afterWrite, calls, "no call after the pass returned");
    assertFalse(afterWrite.contains("write 2"), afterWrite.toString());
  }

  @Test
  void aPassReusesTheRowsAndResultsOfBandsTwoBackAndStillGivesTheWholeResultsBits() {
    Conv2dBackpropInput op = convolution(DType.FLOAT32, DataFormat.NHWC, 1, 26, 16, 4, 4, 3, 1, Padding.SAME);
    SplittableRandom r = new SplittableRandom(6);
    Tensor filter = random(DType.FLOAT32, op.filterShape(), r);
    Tensor dy = random(DType.FLOAT32, op.outBackpropShape(), r);
    List<Conv2dBackpropInput> bands = Bands.of(op, 4); // six bands of 4 rows, then one of 2
    Map<Integer, Tensor> rowsRead = new ConcurrentHashMap<>();
    Map<Integer, Tensor> sparesGiven = new ConcurrentHashMap<>();
    Map<Integer, Tensor> written = new ConcurrentHashMap<>();
    Tensor dx = Tensor.zeros(DType.FLOAT32, op.inputShape());
    BandedRun.Rows<RuntimeException> io = new BandedRun.Rows<>() {
      @Override
      public Tensor read(Conv2dBackpropInput band) {
        throw new AssertionError("the pass reads through read(band, spare)");
      }

      @Override
      public Tensor read(Conv2dBackpropInput band, @Nullable Tensor spare) {
        int k = bands.indexOf(band);
        if (spare != null) {
          sparesGiven.put(k, spare);
        }
        Tensor rows = RowSlices.outRows(dy, band);
        if (spare != null && spare.shape().equals(rows.shape())) {
          System.arraycopy(rows.float32Data(), 0, spare.float32Data(), 0, rows.size());
          rows = spare;
        }
        rowsRead.put(k, rows);
        return rows;
      }

      @Override
      public void write(Conv2dBackpropInput band, Tensor resultRows) {
        written.put(bands.indexOf(band), resultRows);
        RowSlices.place(resultRows, band, dx);
      }
    };
    assertTrue(new BandedRun(simd, op, filter).pass(bands, io, null));
    assertBits(simd.backpropInput(op, filter, dy), dx, "bands computed into reused tensors");
    for (int k = 2; k < bands.size(); k++) {
      assertSame(rowsRead.get(k - 2), sparesGiven.get(k), "band " + k + " is offered band " + (k - 2) + "'s rows");
      if (bands.get(k).inputShape().equals(bands.get(k - 2).inputShape())) {
        assertSame(written.get(k - 2), written.get(k), "band " + k + " is computed into band " + (k - 2) + "'s result");
      }
    }
    assertEquals(null, sparesGiven.get(0));
    assertEquals(null, sparesGiven.get(1));
    assertNotSame(written.get(0), written.get(1));
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
        Arguments.of(DType.HALF, DataFormat.NHWC, 4, 2, Padding.SAME, 5L));
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
    assertBits(whole, banded(simd, op, filter, dy, rows), op + " in bands of " + rows);
  }

  @Test
  void aHugeValueInOneBandsRowsSendsEveryBandToTheDirectTilesAsTheWholeCall() {
    Conv2dBackpropInput op = convolution(DType.FLOAT32, DataFormat.NHWC, 1, 24, 16, 8, 8, 3, 1, Padding.SAME);
    SplittableRandom r = new SplittableRandom(7);
    Tensor filter = random(DType.FLOAT32, op.filterShape(), r);
    Tensor dy = random(DType.FLOAT32, op.outBackpropShape(), r);
    // Past Winograd's limit, in the last rows only: the first bands never read it.
    dy.float32Data()[dy.size() - 3] = 1e36f;
    Tensor whole = simd.backpropInput(op, filter, dy);
    BandedRun run = new BandedRun(simd, op, filter);
    assertTrue(run.outBackpropLimit() < 1e36, "the filter is finite: Winograd up to " + run.outBackpropLimit());
    assertBits(whole, banded(run, dy, 4), "direct tiles for the whole call");
    assertFalse(run.choseAsTheWhole(), "the first pass assumed Winograd and was computed again");
    try (Engine direct = Engine.create(b -> b.kind(EngineKind.SIMD).threads(1))) {
      System.setProperty("convgrad.winograd", "false");
      try {
        assertBits(direct.backpropInput(op, filter, dy), whole, "the whole call ran the direct tiles");
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
      assertBits(simd.backpropInput(op, filter, dy), banded(run, dy, 4), "infinity in out row " + hugeRow);
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
    SplittableRandom r = new SplittableRandom(3);
    Tensor filter = random(DType.FLOAT32, op.filterShape(), r);
    Tensor dy = random(DType.FLOAT32, op.outBackpropShape(), r);
    assertBits(simd.backpropInput(op, filter, dy), banded(simd, op, filter, dy, 2), "1x1 with a top pad");
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
    assertThrows(InvalidArgumentException.class, () -> op.band(0, 3, 3));
    assertThrows(InvalidArgumentException.class, () -> op.band(2, 0, 4));
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

  private static Conv2dBackpropInput convolution(
      DType dtype, DataFormat f, long n, long h, long w, long c, long oc, long k, long s, Padding padding) {
    long[] pads = padding == Padding.EXPLICIT ? new long[8] : new long[0];
    if (padding == Padding.EXPLICIT) {
      pads[2 * f.heightDim()] = 2;
      pads[2 * f.heightDim() + 1] = 3;
      pads[2 * f.widthDim()] = 1;
    }
    ConvParams params = ConvParams.of(b -> b.strides(s, s).padding(padding).explicitPaddings(pads).dataFormat(f));
    long ek = k;
    long oh = padding == Padding.SAME ? (h + s - 1) / s
        : (h + (padding == Padding.EXPLICIT ? 5 : 0) - ek + s) / s;
    long ow = padding == Padding.SAME ? (w + s - 1) / s
        : (w + (padding == Padding.EXPLICIT ? 1 : 0) - ek + s) / s;
    return Conv2dBackpropInput.of(f.order(n, h, w, c), Shape.of(k, k, c, oc), dtype, Shape.of(f.order(n, oh, ow, oc)),
        dtype, params);
  }

  private static Tensor random(DType dtype, Shape shape, SplittableRandom r) {
    double[] v = new double[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble(-1, 1);
    }
    return Tensor.fromDoubles(dtype, shape, v);
  }

  private static void assertBits(Tensor expected, Tensor actual, String context) {
    assertEquals(expected.shape(), actual.shape(), context);
    switch (expected.dtype()) {
      case FLOAT32 -> assertArrayEquals(bits(expected.float32Data()), bits(actual.float32Data()), context);
      case FLOAT64 -> assertArrayEquals(bits(expected.float64Data()), bits(actual.float64Data()), context);
      default -> assertArrayEquals(expected.bits16Data(), actual.bits16Data(), context);
    }
  }

  private static int[] bits(float[] a) {
    int[] b = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = Float.floatToRawIntBits(a[i]);
    }
    return b;
  }

  private static long[] bits(double[] a) {
    long[] b = new long[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = Double.doubleToRawLongBits(a[i]);
    }
    return b;
  }
}
