package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code convgrad demo} refuses, in one usage line, a batch its JVM could not hold. */
class DemoCommandTest {
  private static String refused(String... args) {
    StringWriter err = new StringWriter();
    assertEquals(2, ConvgradCli.run(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)));
    return err.toString();
  }

  @Test
  void aBatchLargerThanTheHeapOrOneArrayIsAUsageError() {
    long heapMiB = Runtime.getRuntime().maxMemory() >> 20;
    // 15000 samples are more floats than one array holds (a negative array size, before this check).
    String e = refused("demo", "--batch", "15000");
    assertTrue(e.startsWith("Usage error: --batch 15000 is more than the ") && e.contains(heapMiB + " MiB"), e);
    assertTrue(refused("demo", "--batch", "0").startsWith("Usage error: --batch must be at least 1, but got 0"));
  }
}
