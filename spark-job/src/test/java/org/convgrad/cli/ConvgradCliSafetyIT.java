package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.TensorFile;
import org.convgrad.io.TensorFiles;
import org.convgrad.io.arrow.FixedShapeTensorType;
import org.convgrad.io.arrow.TensorIpcReader;
import org.convgrad.io.npy.Npy;
import org.convgrad.spark.testing.OddArrowFiles;
import org.convgrad.spark.testing.TestData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/convgrad} never destroys a user's data, keeps what it promises to carry, and fails in
 * one line: each class of ordinary mistake, through the real launcher.
 */
class ConvgradCliSafetyIT {
  @TempDir Path dir;
  private Path w;
  private Path dy;
  private Tensor dyTensor;
  private byte[] dyBytes;

  @BeforeEach
  void inputs() throws Exception {
    dyTensor = TestData.random(DType.FLOAT32, 1, 2, 4, 4, 3);
    w = TestData.npy(dir.resolve("w.npy"), TestData.random(DType.FLOAT32, 2, 3, 3, 2, 3));
    dy = TestData.npy(dir.resolve("dy.npy"), dyTensor);
    dyBytes = Files.readAllBytes(dy);
  }

  private String[] args(Path filter, Path outBackprop, Path output, String... more) {
    List<String> a = new ArrayList<>(List.of("backprop-input", "--input-sizes", "4,4", "--filter", filter.toString(),
        "--out-backprop", outBackprop.toString(), "--padding", "SAME", "--output", output.toString()));
    a.addAll(List.of(more));
    return a.toArray(new String[0]);
  }


  @Test
  void anOutputTheStorageFailsIsNamedInOneLineExitOneAndLeavesTheOldFileAndNoTemporaryOne() throws Exception {
    // A file-size limit of 256 KiB under the launcher (as a full disk fails a write) and results of 512 KiB.
    Path bigDy = TestData.npy(dir.resolve("big-dy.npy"), TestData.random(DType.FLOAT32, 3, 1, 256, 256, 3));
    for (String[] run : new String[][] {{"dx.npy"}, {"dx.npy", "--band-rows", "16"}, {"dx.arrow"}}) {
      Path out = dir.resolve(run[0]);
      Files.writeString(out, "an older result");
      List<String> a = new ArrayList<>(List.of(args(w, bigDy, out)));
      a.set(a.indexOf("4,4"), "256,256");
      a.addAll(List.of(run).subList(1, run.length));
      Launcher.Run r = Launcher.underFileSizeLimit(dir, 256, "bin/convgrad", java.util.Map.of(), a.toArray(new String[0]));
      r.assertOneLine(1, "Error: " + out + ": could not be written: File too large; nothing of it was kept");
      assertEquals("an older result", Files.readString(out), List.of(run).toString());
      try (java.util.stream.Stream<Path> files = Files.list(dir)) {
        assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file is left");
      }
    }
  }

  @Test
  void anOutputThatIsAnInputIsRefusedHoweverItIsSpelled() throws Exception {
    Files.createDirectories(dir.resolve("sub"));
    Files.createSymbolicLink(dir.resolve("link-dir"), dir);
    Files.createLink(dir.resolve("hard.npy"), dy);
    for (Path same : List.of(dy, dir.resolve("sub/../dy.npy"), dir.resolve("link-dir/dy.npy"), dir.resolve("hard.npy"))) {
      Launcher.convgrad(args(w, dy, same)).assertOneLine(2, "Error: --output", "is the same file as --out-backprop",
          "never overwrites an input");
    }
    Launcher.convgrad(args(w, dy, w)).assertOneLine(2, "Error: --output", "is the same file as --filter");
    assertArrayEquals(dyBytes, Files.readAllBytes(dy), "out_backprop untouched");
  }

  @Test
  void anOutputThatIsALinkOrADirectoryIsRefused() throws Exception {
    Path target = dir.resolve("elsewhere.npy");
    Files.writeString(target, "someone's file");
    Files.createSymbolicLink(dir.resolve("dx.npy"), target);
    Launcher.convgrad(args(w, dy, dir.resolve("dx.npy"))).assertOneLine(2, "Error: --output", "is a symbolic link");
    assertEquals("someone's file", Files.readString(target));
    assertTrue(Files.isSymbolicLink(dir.resolve("dx.npy")), "the link is left as it was");
    Files.createDirectories(dir.resolve("out.npy"));
    Launcher.convgrad(args(w, dy, dir.resolve("out.npy"))).assertOneLine(2, "Error: --output", "is a directory");
  }

  @Test
  void idsOfAnyTypeAreCarriedWithTheirTypeAndValuesAndTheResultReadsAgain() throws Exception {
    FixedShapeTensorType type = FixedShapeTensorType.sample(DataFormat.NHWC, 4, 4, 3);
    for (OddArrowFiles.Ids ids : new OddArrowFiles.Ids[] {OddArrowFiles.Ids.UTF8, OddArrowFiles.Ids.INT32,
        OddArrowFiles.Ids.FLOAT64}) {
      Path in = OddArrowFiles.write(dir.resolve("dy-" + ids + ".arrow"), dyTensor, type, ids);
      Path out = dir.resolve("dx-" + ids + ".arrow");
      Launcher.Run run = Launcher.convgrad(args(w, in, out));
      assertEquals(0, run.exit(), run.err());
      try (RootAllocator a = new RootAllocator(); TensorIpcReader r = TensorIpcReader.openFile(out, a)) {
        var idFields = r.schema().getFields().stream().filter(f -> f.getName().equals("id")).toList();
        assertEquals(1, idFields.size(), "one id column: " + r.schema());
        assertEquals(idType(ids), idFields.get(0).getType());
        r.loadNextBatch();
        assertEquals(ids == OddArrowFiles.Ids.UTF8 ? "s1" : ids == OddArrowFiles.Ids.INT32 ? "101" : "1.5",
            String.valueOf(r.root().getVector("id").getObject(1)));
      }
      Launcher.Run again = Launcher.convgrad(args(w, in, dir.resolve("again-" + ids + ".npy")));
      assertEquals(0, again.exit(), again.err());
      assertArrayEquals(TensorFiles.read(out).tensor().float32Data(),
          Npy.read(dir.resolve("again-" + ids + ".npy")).float32Data());
      TensorFile reread = TensorFiles.read(out);
      assertEquals(2, reread.rows());
    }
  }

  private static ArrowType idType(OddArrowFiles.Ids ids) {
    switch (ids) {
      case UTF8:
        return new ArrowType.Utf8();
      case INT32:
        return new ArrowType.Int(32, true);
      default:
        return new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE);
    }
  }

  @Test
  void aSecondTensorColumnOrMetadataConvgradCannotHonourIsRefusedAndLeavesNoFile() throws Exception {
    FixedShapeTensorType hwc = FixedShapeTensorType.sample(DataFormat.NHWC, 4, 4, 3);
    Path two = OddArrowFiles.write(dir.resolve("two.arrow"), dyTensor, hwc, OddArrowFiles.Ids.NONE, dyTensor, -1);
    Launcher.convgrad(args(w, two, dir.resolve("dx.arrow"))).assertOneLine(2, "Error: ", "two.arrow",
        "2 arrow.fixed_shape_tensor columns [dy, dy2]");
    Path names = OddArrowFiles.write(dir.resolve("names.arrow"), dyTensor,
        new FixedShapeTensorType(new long[] {4, 4, 3}, List.of("X", "Y", "Z"), null), OddArrowFiles.Ids.NONE);
    Launcher.convgrad(args(w, names, dir.resolve("dx.arrow"))).assertOneLine(2, "Error: ", "dim_names [X, Y, Z]");
    Path perm = OddArrowFiles.write(dir.resolve("perm.arrow"), dyTensor,
        new FixedShapeTensorType(new long[] {4, 4, 3}, null, new int[] {1, 0, 2}), OddArrowFiles.Ids.NONE);
    Launcher.convgrad(args(w, perm, dir.resolve("dx.arrow"))).assertOneLine(2, "Error: ", "permutation [1, 0, 2]");
    assertFalse(Files.exists(dir.resolve("dx.arrow")), "no output file on any failure");
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file");
    }
  }

  @Test
  void aFifoIsNotReadAsAnEmptyFile() throws Exception {
    Path fifo = dir.resolve("dy-fifo.npy");
    Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0);
    Launcher.convgrad(args(w, fifo, dir.resolve("dx.npy"))).assertOneLine(2, "Error: ", "is not a regular file",
        "a FIFO");
  }

  @Test
  void usageErrorsSayWhichCommandAndCarryNoInvalidArgumentPrefix() throws Exception {
    Launcher.convgrad("backprop-input", "--filter", w.toString()).assertOneLine(2, "Usage error: ",
        "(see convgrad backprop-input --help)");
    Launcher.convgrad("--no-such-option").assertOneLine(2, "Usage error: ", "(see convgrad --help)");
    Path out = dir.resolve("dx.npy");
    Launcher.convgrad(args(w, dy, out, "--threads", "0")).assertOneLine(2, "Usage error: --threads must be at least 1");
    Launcher.convgrad(args(w, dy, out, "--threads", "abc")).assertOneLine(2, "Usage error: ", "--threads");
    // A repeated option is refused whatever its kind, lists included (never appended).
    Launcher.convgrad(args(w, dy, out, "--strides", "1", "--strides", "2")).assertOneLine(2, "Usage error: ",
        "--strides", "should be specified only once");
    Launcher.convgrad(args(w, dy, out, "--padding", "VALID")).assertOneLine(2, "Usage error: ", "--padding",
        "should be specified only once");
    // The op's own arguments keep TensorFlow's InvalidArgument.
    Launcher.convgrad(args(w, dy, out, "--strides", "1,2,1")).assertOneLine(2, "InvalidArgument: ",
        "Sliding window strides field must specify 4 dimensions");
    assertFalse(Files.exists(out));
  }

  @Test
  void withoutAUsableGpuGpuSaysWhyInOneLineAndAutoRunsOnTheCpuAndSaysWhich() throws Exception {
    org.convgrad.engine.kernel.gpu.GpuProbe probe = org.convgrad.engine.kernel.gpu.GpuSupport.probe(0);
    org.junit.jupiter.api.Assumptions.assumeFalse(probe.usable(), "this machine has a usable GPU");
    Path out = dir.resolve("dx.npy");
    Launcher.convgrad(args(w, dy, out, "--engine", "gpu")).assertOneLine(2, "Error: engine gpu: no usable GPU: ",
        probe.reason());
    assertFalse(Files.exists(out));
    Launcher.convgrad(args(w, dy, out, "--engine", "gpu", "--device", "-1")).assertOneLine(2,
        "Usage error: --device must be at least 0");
    Launcher.Run auto = Launcher.convgrad(args(w, dy, out, "--engine", "auto", "-v"));
    assertEquals(0, auto.exit(), auto.err());
    assertTrue(auto.out().contains("kernel simd") || auto.out().contains("kernel reference"), auto.out());
    assertTrue(auto.err().isEmpty(), "no GPU, no noise: " + auto.err());
  }

  @Test
  void everyCommandPrintsItsVersion() throws Exception {
    for (String[] a : new String[][] {{"--version"}, {"backprop-input", "--version"}, {"demo", "--version"}}) {
      Launcher.Run run = Launcher.convgrad(a);
      assertEquals(0, run.exit(), run.err());
      assertTrue(run.out().startsWith("convgrad "), String.join(" ", a) + " printed: " + run.out());
    }
  }

  @Test
  void theEnvironmentsMistakesAreNamed() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("JAVA_HOME", dir.resolve("no-jdk").toString());
    Launcher.Run run = Launcher.run("bin/convgrad", env, "--version");
    run.assertOneLine(2, "convgrad: JAVA_HOME=", "holds no bin/java");
    env.clear();
    // An option with a space survives CONVGRAD_JAVA_OPTS whole (the JVM prints the property and exits).
    env.put("CONVGRAD_JAVA_OPTS", "-Dconvgrad.test=\"a b\" -XshowSettings:properties -version");
    Launcher.Run opts = Launcher.run("bin/convgrad", env);
    assertEquals(0, opts.exit(), opts.err());
    assertTrue(opts.err().contains("convgrad.test = a b"), opts.err());
    env.put("CONVGRAD_JAVA_OPTS", "-Dx=\"unbalanced");
    Launcher.run("bin/convgrad", env, "--version").assertOneLine(2, "convgrad: CONVGRAD_JAVA_OPTS has an unmatched"
        + " quote");
  }
}
