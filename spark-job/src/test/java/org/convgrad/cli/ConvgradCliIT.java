package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.engine.testing.Problem;
import org.convgrad.engine.testing.ScatterOracle;
import org.convgrad.engine.testing.Tolerance;
import org.convgrad.engine.tf.TensorFlowReference;
import org.convgrad.io.TensorFile;
import org.convgrad.io.TensorFiles;
import org.convgrad.io.npy.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line through the real launcher, {@code bin/convgrad}, in a separate JVM. */
class ConvgradCliIT {
  @TempDir Path dir;

  @Test
  void givesTensorFlowsAnswersOnFiles() throws Exception {
    // Seeds far from the engine tests' ones: configurations those tests did not see.
    for (long seed : new long[] {90_001, 90_002, 90_003, 90_004}) {
      DType dtype = seed % 2 == 0 ? DType.FLOAT32 : DType.FLOAT64;
      DataFormat format = seed % 4 < 2 ? DataFormat.NHWC : DataFormat.NCHW;
      Problem p = Problem.random(seed, dtype, format, true);
      Path w = dir.resolve(seed + "-w.npy");
      Path dy = dir.resolve(seed + "-dy.npy");
      Path dx = dir.resolve(seed + "-dx.npy");
      Npy.write(w, p.filter);
      Npy.write(dy, p.outBackprop);
      Launcher.Run run = Launcher.convgrad(opArgs(p, w, dy, dx));
      assertEquals(0, run.exit(), p + "\n" + run.err());
      Tensor expected = TensorFlowReference.backpropInput(p.op, p.inputSizes, p.filter, p.outBackprop);
      Tolerance.assertClose(expected, Npy.read(dx), ScatterOracle.compute(p.op, p.filter, p.outBackprop).magnitude, p.toString());
    }
  }

  @Test
  void arrowFilesGiveTheSameBitsAsNpyAndKeepTheIds() throws Exception {
    Problem p = Problem.random(90_010, DType.FLOAT32, DataFormat.NCHW, true);
    Path w = dir.resolve("w.arrow");
    Path dy = dir.resolve("dy.arrow");
    TensorFiles.writeFilter(w, p.filter);
    TensorFiles.write(dy, p.outBackprop, DataFormat.NCHW, null);
    Npy.write(dir.resolve("w.npy"), p.filter);
    Npy.write(dir.resolve("dy.npy"), p.outBackprop);
    Launcher.Run arrow = Launcher.convgrad(opArgs(p, w, dy, dir.resolve("dx.arrow")));
    Launcher.Run npy = Launcher.convgrad(opArgs(p, dir.resolve("w.npy"), dir.resolve("dy.npy"), dir.resolve("dx.npy")));
    assertEquals(0, arrow.exit(), arrow.err());
    assertEquals(0, npy.exit(), npy.err());
    TensorFile result = TensorFiles.read(dir.resolve("dx.arrow"));
    assertEquals(DataFormat.NCHW, result.layout());
    assertArrayEquals(Npy.read(dir.resolve("dx.npy")).float32Data(), result.tensor().float32Data());
    assertArrayEquals(LongStream.range(0, p.op.geometry().batch()).toArray(), result.ids());
  }

  @Test
  void rejectedArgumentExitsTwoWithOneLine() throws Exception {
    Problem p = Problem.random(7, DType.FLOAT32, DataFormat.NHWC, false);
    Path w = dir.resolve("w.npy");
    Path dy = dir.resolve("dy.npy");
    Npy.write(w, p.filter);
    Npy.write(dy, p.outBackprop);
    Path dx = dir.resolve("dx.npy");
    Launcher.Run run = Launcher.convgrad("backprop-input", "--input-sizes", "1,2,3", "--filter", w.toString(),
        "--out-backprop", dy.toString(), "--padding", "SAME", "--output", dx.toString());
    assertEquals(2, run.exit());
    assertTrue(run.err().startsWith("InvalidArgument: Conv2DBackpropInput requires input_sizes to contain 4 values or 2 values"), run.err());
    assertEquals(1, run.err().lines().count(), run.err());
    assertFalse(Files.exists(dx));

    Launcher.Run badPadding = Launcher.convgrad("backprop-input", "--input-sizes", "1,2,3,4", "--filter", w.toString(),
        "--out-backprop", dy.toString(), "--padding", "FULL", "--output", dx.toString());
    assertEquals(2, badPadding.exit());
    assertTrue(badPadding.err().startsWith("InvalidArgument:") && badPadding.err().contains("SAME, VALID or EXPLICIT"), badPadding.err());
  }

  @Test
  void truncatedNpyExitsTwoAndLeavesNoOutput() throws Exception {
    Problem p = Problem.random(11, DType.FLOAT32, DataFormat.NHWC, false);
    Path w = dir.resolve("w.npy");
    Path dy = dir.resolve("dy.npy");
    Npy.write(w, p.filter);
    Npy.write(dy, p.outBackprop);
    byte[] whole = Files.readAllBytes(dy);
    Files.write(dy, Arrays.copyOf(whole, whole.length - 3));
    Path dx = dir.resolve("dx.npy");
    Launcher.Run run = Launcher.convgrad(opArgs(p, w, dy, dx));
    assertEquals(2, run.exit(), run.err());
    assertTrue(run.err().contains(dy.toString()), "the message names the file: " + run.err());
    assertEquals(1, run.err().lines().count(), run.err());
    try (var files = Files.list(dir)) {
      assertEquals(2, files.count(), "no output and no temporary file is left");
    }
  }

  @Test
  void aFilterLargerThanTheHeapExitsOneWithOneLineAndLeavesNoOutput() throws Exception {
    Path w = dir.resolve("w.npy");
    Path dy = dir.resolve("dy.npy");
    Npy.write(w, Tensor.zeros(DType.FLOAT32, Shape.of(3, 3, 1024, 2048))); // 75 MB
    Npy.write(dy, Tensor.zeros(DType.FLOAT32, Shape.of(1, 4, 4, 2048)));
    Path dx = dir.resolve("dx.npy");
    Launcher.Run run = Launcher.run("bin/convgrad", Map.of("CONVGRAD_JAVA_OPTS", "-Xmx40m"), "backprop-input",
        "--input-sizes", "1,4,4,1024", "--filter", w.toString(), "--out-backprop", dy.toString(), "--padding", "SAME",
        "--output", dx.toString());
    assertEquals(1, run.exit(), run.err());
    assertTrue(run.err().startsWith("Error: out of memory (Java heap space, in a heap of ")
        && run.err().contains("CONVGRAD_JAVA_OPTS=-Xmx8g"), run.err());
    assertEquals(1, run.err().lines().count(), "no stack trace: " + run.err());
    try (var files = Files.list(dir)) {
      assertEquals(2, files.count(), "no output and no temporary file is left");
    }
  }

  @Test
  void demoRunsAndChecksTheAdjointIdentity() throws Exception {
    Launcher.Run run = Launcher.convgrad("demo", "--batch", "1", "--threads", "2");
    assertEquals(0, run.exit(), run.out() + run.err());
    assertTrue(run.out().contains("adjoint identity on sample 0") && run.out().strip().endsWith("OK"), run.out());
  }

  @Test
  void bothLaunchersRunThroughALinkOnThePath(@org.junit.jupiter.api.io.TempDir Path links) throws Exception {
    for (String launcher : new String[] {"convgrad", "convgrad-spark-submit"}) {
      Files.createSymbolicLink(links.resolve(launcher), Launcher.ROOT.resolve("bin").resolve(launcher));
      Launcher.Run run = Launcher.run(links, launcher, Map.of(), "--help");
      assertEquals(0, run.exit(), run.err());
      assertTrue(run.out().startsWith("Usage: " + launcher), run.out());
    }
  }

  @Test
  void onJdk25AFailureIsStillOneLine() throws Exception {
    Path jdk25 = Path.of(System.getProperty("convgrad.jdk25", "/usr/lib/jvm/temurin-25-jdk-amd64"));
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(jdk25.resolve("bin/java")), "no JDK 25 at " + jdk25);
    // Spark's list of opens names sun.security.action, which JDK 25 no longer has: a warning line of its own.
    Launcher.run("bin/convgrad", Map.of("JAVA_HOME", jdk25.toString(), "CONVGRAD_CDS", "off"), "backprop-input",
        "--input-sizes", "1,5,5,2", "--filter", "no-such-w.npy", "--out-backprop", "no-such-dy.npy", "--padding",
        "SAME", "--output", "dx.npy").assertOneLine(2, "Error: no such file: no-such-w.npy");
  }

  @Test
  void aMistypedJvmOptionIsRefusedByTheJvmNotIgnored() throws Exception {
    // The build's flags carried -XX:+IgnoreUnrecognizedVMOptions, which silently dropped the user's typos too.
    Launcher.Run run = Launcher.run("bin/convgrad", Map.of("CONVGRAD_JAVA_OPTS", "-XX:+UseZGCC", "CONVGRAD_CDS", "off"),
        "--version");
    assertEquals(1, run.exit(), run.out() + run.err());
    assertTrue(run.err().contains("Unrecognized VM option 'UseZGCC'"), run.err());
  }

  @Test
  void helpExplainsEveryOption() throws Exception {
    Launcher.Run run = Launcher.convgrad("backprop-input", "--help");
    assertEquals(0, run.exit());
    for (String option : new String[] {"--input-sizes", "--filter", "--out-backprop", "--strides", "--padding",
        "--explicit-paddings", "--dilations", "--data-format", "--engine", "--threads", "--repeat", "--output", "Example"}) {
      assertTrue(run.out().contains(option), "help mentions " + option);
    }
  }

  /** The command line that runs problem {@code p} on files. */
  private static String[] opArgs(Problem p, Path w, Path dy, Path dx) {
    List<String> args = new ArrayList<>(List.of("backprop-input"));
    args.addAll(CliArgs.op(p));
    args.addAll(List.of("--filter", w.toString(), "--out-backprop", dy.toString(), "--output", dx.toString()));
    return args.toArray(new String[0]);
  }
}
