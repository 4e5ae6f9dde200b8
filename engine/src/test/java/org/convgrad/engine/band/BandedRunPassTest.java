package org.convgrad.engine.band;

import static org.convgrad.engine.band.BandFixtures.convolution;
import static org.convgrad.engine.band.BandFixtures.operands;
import static org.convgrad.engine.testing.Views.assertSameBits;
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
import java.util.concurrent.ConcurrentHashMap;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link BandedRun#pass}: it reads one band ahead and writes one behind on its I/O thread, in order,
 * rethrows what its rows throw with nothing left in flight, and computes band k + 2 from and into
 * band k's tensors.
 */
class BandedRunPassTest {
  private static Engine simd;

  @BeforeAll
  static void engine() {
    simd = Engine.create(b -> b.kind(EngineKind.SIMD).threads(2));
  }

  @AfterAll
  static void close() {
    simd.close();
  }

  @Test
  void aPassReadsAheadInOrderAndRethrowsWhatItsRowsThrowWithNothingLeftInFlight() throws Exception {
    Conv2dBackpropInput op = convolution(DType.FLOAT32, DataFormat.NHWC, 2, 24, 16, 4, 4, 3, 1, Padding.SAME);
    Tensor[] wdy = operands(op, 5);
    Tensor filter = wdy[0];
    Tensor dy = wdy[1];
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
    Tensor[] wdy = operands(op, 6);
    Tensor filter = wdy[0];
    Tensor dy = wdy[1];
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
    assertSameBits(simd.backpropInput(op, filter, dy), dx, "bands computed into reused tensors");
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
}
