package org.convgrad.engine.band;

import static org.convgrad.engine.band.BandFixtures.convolution;
import static org.convgrad.engine.band.BandFixtures.operands;
import static org.convgrad.engine.band.BandFixtures.random;
import static org.convgrad.engine.testing.Views.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.LargeTensor;
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
 * {@link Engine#backpropInput(Conv2dBackpropInput, Tensor, LargeTensor, long)} gives the whole
 * result's bits over the awkward-shape matrix, whether its bands are copied out of the chunks or
 * computed in place in them, and computes every band again, in place, when a value breaks the
 * kernel's assumption.
 */
class LargeTensorBandsTest {
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

  @ParameterizedTest(name = "seed {0} {1} {2}")
  @MethodSource("org.convgrad.engine.band.BandsTest#awkwardProblems")
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
          assertSameBits(whole, dx.toTensor(), op + " from a large tensor in chunks of " + chunk + ", bands of " + rows
              + " rows, " + engine.kind());
        }
      }
      assertSameBits(whole, engine.backpropInput(op, filter, LargeTensor.of(dy)).toTensor(),
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
    Tensor[] wdy = operands(op, 11);
    Tensor filter = wdy[0];
    Tensor dy = wdy[1];
    dy.float32Data()[dy.size() - poisonFromEnd] = poison;
    Tensor whole = simd.backpropInput(op, filter, dy);
    LargeTensor dx = simd.backpropInput(op, filter, LargeTensor.of(dy, chunk), 2);
    assertSameBits(whole, dx.toTensor(), "a large tensor, " + format);
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
  void anEmptyBatchGivesAnEmptyLargeTensorAsTheInMemoryCallDoes() {
    Conv2dBackpropInput op = convolution(DType.FLOAT32, DataFormat.NHWC, 0, 8, 8, 2, 3, 3, 1, Padding.SAME);
    Tensor filter = Tensor.zeros(DType.FLOAT32, op.filterShape());
    LargeTensor dx = simd.backpropInput(op, filter, LargeTensor.zeros(DType.FLOAT32, op.outBackpropShape()));
    assertEquals(op.inputShape(), dx.shape());
    assertEquals(0, simd.backpropInput(op, filter, Tensor.zeros(DType.FLOAT32, op.outBackpropShape())).size());
  }
}
