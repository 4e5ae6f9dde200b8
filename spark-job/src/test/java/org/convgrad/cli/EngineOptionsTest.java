package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The engine options every command shares: a GPU's ordinal is refused with a CPU engine. */
class EngineOptionsTest {
  private static int run(StringWriter err, String... args) {
    return ConvgradCli.run(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
  }

  @Test
  void aDeviceWithACpuEngineIsAUsageErrorThatSaysWhichEnginesTakeOne() {
    for (String engine : new String[] {"simd", "scalar"}) {
      StringWriter err = new StringWriter();
      assertEquals(2, run(err, "demo", "--batch", "1", "--engine", engine, "--device", "0"));
      assertEquals("Usage error: --device picks a GPU, for --engine auto or gpu; it does not apply to --engine "
          + engine + " (see convgrad demo --help)", err.toString().strip());
    }
  }

  @Test
  void aCpuEngineWithoutADeviceRuns() {
    StringWriter err = new StringWriter();
    assertEquals(0, run(err, "demo", "--batch", "1", "--engine", "scalar"), err.toString());
    assertTrue(err.toString().isEmpty(), err.toString());
  }
}
