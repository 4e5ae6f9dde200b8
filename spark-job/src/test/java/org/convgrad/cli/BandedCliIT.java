package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.io.npy.Npy;
import org.convgrad.spark.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/convgrad --band-rows} in a small heap: the most rows its usage error advises do run there. */
class BandedCliIT {
  @TempDir Path dir;

  @Test
  void theLargestBandTheUsageErrorAdvisesFitsTheHeap() throws Exception {
    // out_backprop of 64 MiB in a heap of 64 MiB: only bands can do it.
    TestData.npy(dir.resolve("w.npy"), TestData.random(DType.FLOAT32, 1, 3, 3, 64, 64));
    TestData.npy(dir.resolve("dy.npy"), TestData.random(DType.FLOAT32, 2, 1, 512, 512, 64));
    Map<String, String> heap = Map.of("CONVGRAD_JAVA_OPTS", "-Xmx64m");
    Path dx = dir.resolve("dx.npy");
    String[] args = {"backprop-input", "--input-sizes", "1,512,512,64", "--filter", dir.resolve("w.npy").toString(),
        "--out-backprop", dir.resolve("dy.npy").toString(), "--padding", "SAME", "--output", dx.toString(),
        "--band-rows"};
    Launcher.Run refused = Launcher.run("bin/convgrad", heap, concat(args, "100000"));
    refused.assertOneLine(2, "Usage error: --band-rows 100000 is more than the ");
    Matcher most = Pattern.compile("give at most (\\d+)").matcher(refused.err());
    assertTrue(most.find(), refused.err());
    Launcher.Run run = Launcher.run("bin/convgrad", heap, concat(args, most.group(1)));
    assertEquals(0, run.exit(), "--band-rows " + most.group(1) + ": " + run.err());
    assertEquals(Shape.of(1, 512, 512, 64), Npy.readHeader(dx).shape());
  }

  private static String[] concat(String[] args, String last) {
    String[] all = java.util.Arrays.copyOf(args, args.length + 1);
    all[args.length] = last;
    return all;
  }
}
