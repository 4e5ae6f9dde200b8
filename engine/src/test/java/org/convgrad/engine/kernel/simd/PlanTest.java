package org.convgrad.engine.kernel.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** How a result row is cut into runs: exactly, and per stride phase with margins of zeros. */
class PlanTest {
  /** Width, filter width, stride, dilation, left and right padding of a row. */
  record Row(int w, int fw, int s, int d, int padL, int padR) {
    Plan plan() {
      long ow = (w + padL + padR - ((long) (fw - 1) * d + 1)) / s + 1;
      return new Plan(Conv2dBackpropInput.of(new long[] {1, 1, w, 3}, Shape.of(1, fw, 3, 4), DType.FLOAT32,
          Shape.of(1, 1, Math.max(0, ow), 4), DType.FLOAT32,
          ConvParams.of(b -> b.strides(1, s).dilations(1, d).padding(Padding.EXPLICIT)
              .explicitPaddings(0, 0, 0, 0, padL, padR, 0, 0))));
    }
  }

  static Stream<Row> rows() {
    return Stream.of(new Row(224, 7, 2, 1, 2, 3), new Row(12, 7, 2, 1, 2, 3), new Row(31, 3, 1, 1, 1, 1),
        new Row(17, 3, 3, 2, 2, 2), new Row(9, 4, 4, 1, 0, 3), new Row(5, 3, 2, 1, 0, 0), new Row(1, 5, 3, 1, 2, 2));
  }

  @ParameterizedTest
  @MethodSource("rows")
  void paddedRunsCoverEachPixelOnceWithEveryTapOfItsPhase(Row r) {
    Plan p = r.plan();
    int[] seen = new int[r.w()];
    Plan.Runs runs = p.padded;
    for (int i = 0; i < runs.count; i++) {
      for (int j = 0; j < runs.n[i]; j++) {
        int x = runs.x0[i] + j * r.s();
        seen[x]++;
        long exact = exactMask(p, x);
        assertEquals(exact, runs.mask[i] & exact, "the padded run of x = " + x + " has its taps");
        for (int kx = 0; kx < r.fw(); kx++) {
          if ((runs.mask[i] & (1L << kx)) == 0) {
            continue;
          }
          int ox = p.firstOx(runs.x0[i], kx) + j;
          assertEquals((x + r.padL() - kx * r.d()), ox * r.s(), "tap kx = " + kx + " of x = " + x + " is in its phase");
          boolean inside = ox >= 0 && ox < p.ow;
          assertEquals(inside, (exact & (1L << kx)) != 0, "an extra tap reads outside the row");
          assertTrue(ox >= -runs.marginLeft && ox < p.ow + runs.marginRight, "column " + ox + " within the margins");
        }
      }
    }
    for (int x = 0; x < r.w(); x++) {
      assertEquals(1, seen[x], "pixel " + x);
    }
  }

  @Test
  void s3PaddedRunsNeedAQuarterFewerTileCalls() {
    Plan p = new Row(224, 7, 2, 1, 2, 3).plan();
    assertEquals(7, p.exact.count);
    assertEquals(2, p.padded.count);
    assertEquals(47, p.exact.tileTaps(24));
    assertEquals(35, p.padded.tileTaps(24));
    assertTrue(F32Worker.padsRuns(p));
    assertEquals(2, p.padded.marginLeft); // x = 0, kx = 6: column -2
    assertEquals(1, p.padded.marginRight); // x = 222, kx = 0: column 112
  }

  /** The filter columns reaching x, from the definition. */
  private static long exactMask(Plan p, int x) {
    long mask = 0;
    for (int i = 0; i < p.exact.count; i++) {
      for (int j = 0; j < p.exact.n[i]; j++) {
        if (p.exact.x0[i] + j * p.sw == x) {
          mask |= p.exact.mask[i];
        }
      }
    }
    return mask;
  }

  @Test
  void bandsStartAtTheRowsWhereWinogradsBlocksStart() {
    // A band must begin where a block of the whole call begins, or its rows round otherwise.
    for (int fh = 1; fh <= 7; fh++) {
      for (int s = 1; s <= 4; s++) {
        int k = fh;
        int stride = s;
        long oh = (40 - k) / s + 1;
        Conv2dBackpropInput op = Conv2dBackpropInput.of(new long[] {1, 40, 8, 3}, Shape.of(k, 3, 3, 4), DType.FLOAT32,
            Shape.of(1, oh, (8 - 3) / s + 1, 4), DType.FLOAT32,
            ConvParams.of(b -> b.strides(stride, stride).padding(Padding.VALID)));
        Plan p = new Plan(op);
        assertEquals((long) Winograd.side(p) * p.sh, op.bandAlignment(), fh + " rows at stride " + s);
      }
    }
  }
}
