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
import java.util.stream.Stream;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.arrow.FixedShapeTensorType;
import org.convgrad.spark.io.ArrowParts;
import org.convgrad.spark.testing.OddArrowFiles;
import org.convgrad.spark.testing.TestData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/convgrad-spark-submit} never destroys a user's data, refuses what it cannot carry, and
 * fails in one line: each class of ordinary mistake, through the real launcher on the Spark the
 * project ships.
 */
class SparkSubmitSafetyIT {
  @TempDir Path dir;
  private Path w;
  private Path data;
  private Tensor dyTensor;

  @BeforeEach
  void inputs() throws Exception {
    dyTensor = TestData.random(DType.FLOAT32, 1, 6, 4, 4, 3);
    w = TestData.npy(dir.resolve("w.npy"), TestData.random(DType.FLOAT32, 2, 3, 3, 2, 3));
    data = Files.createDirectories(dir.resolve("dy"));
    ArrowParts.writeSamples(data.resolve("dy-0.arrow"), 0, dyTensor, DataFormat.NHWC);
  }

  private List<String> job(Path outBackprop, Path output, String... more) {
    List<String> a = new ArrayList<>(List.of("--out-backprop", outBackprop.toString(), "--filter", w.toString(),
        "--input-sizes", "4,4", "--padding", "SAME", "--output", output.toString()));
    a.addAll(List.of(more));
    return a;
  }

  private static Launcher.Run submit(List<String> args) throws Exception {
    return Launcher.sparkSubmit(args.toArray(new String[0]));
  }


  @Test
  void anAssemblyTheStorageFailsIsOneLineThatSaysTheOutputIsCommitted() throws Exception {
    // Under a file-size limit of 1 MiB: parts of 256 KiB are written, the assembled 1.5 MiB is not
    // (Hadoop's local file system throws that as an FSError, an Error, which escaped as a stack trace).
    Path dy = TestData.npy(dir.resolve("big-dy.npy"), TestData.random(DType.FLOAT32, 3, 192, 32, 32, 3));
    List<String> args = new ArrayList<>(List.of("--master", "local[2]", "--out-backprop", dy.toString(), "--filter",
        w.toString(), "--input-sizes", "32,32", "--padding", "SAME", "--output", dir.resolve("out").toString(),
        "--samples-per-task", "32", "--assemble", dir.resolve("dx.npy").toString()));
    Launcher.Run r = Launcher.underFileSizeLimit(dir, 1024, "bin/convgrad-spark-submit", java.util.Map.of(),
        args.toArray(new String[0]));
    String line = r.err().lines().filter(l -> l.startsWith("Error:")).findFirst().orElse(r.err());
    assertEquals(1, r.exit(), r.err());
    assertTrue(line.startsWith("Error: the job's output ") && line.contains("is complete and committed")
        && line.contains("File too large"), line);
    assertTrue(r.err().lines().noneMatch(l -> l.startsWith("Exception in thread") || l.startsWith("\tat ")), r.err());
    assertTrue(Files.exists(dir.resolve("out/_SUCCESS")), "the committed output stays");
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file is left");
    }
  }

  @Test
  void aDemoWithATypoInItsJobsOptionsIsRefusedBeforeItWritesAnything() throws Exception {
    Path demo = dir.resolve("demo");
    Launcher.Run r = Launcher.sparkSubmit("--demo", "--dir", demo.toString(), "--sample", "8");
    r.assertOneLine(2, "Usage error: ", "'--sample'", "--demo --help");
    assertFalse(Files.exists(demo), "nothing made, nothing written");
  }

  @Test
  void theDemosDirectoryMayHoldAColonAndIsNoUri() throws Exception {
    // A time stamp in the name: Hadoop would take "demo-12" for a URI scheme of a relative path.
    Path stamped = dir.resolve("demo-12:00");
    Launcher.Run r = Launcher.run(dir, Launcher.ROOT.resolve("bin/convgrad-spark-submit").toString(), java.util.Map.of(),
        "--demo", "--master", "local[2]", "--dir", "demo-12:00", "--samples", "8"); // relative, from dir
    assertEquals(0, r.exit(), r.out() + r.err());
    assertTrue(Files.exists(stamped.resolve("dx.npy")), r.out());
    Launcher.Run uri = Launcher.sparkSubmit("--demo", "--dir", "file://" + dir.resolve("d5"), "--samples", "8");
    uri.assertOneLine(2, "Usage error: --dir file:", "looks like a URI");
    try (java.util.stream.Stream<Path> files = Files.list(Launcher.ROOT)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("file:")), "no directory named file:");
    }
  }

  @Test
  void theDemoNeverRemovesWhatItDidNotWrite() throws Exception {
    Path mine = Files.createDirectories(dir.resolve("mine/keep"));
    Files.writeString(mine.resolve("notes.txt"), "x");
    Launcher.sparkSubmit("--demo", "--dir", dir.resolve("mine").toString()).assertOneLine(2, "Error: --dir",
        "was not made by the demo");
    assertEquals("x", Files.readString(mine.resolve("notes.txt")));
    Launcher.sparkSubmit("--demo", "--dir", ".").assertOneLine(2, "Error: --dir .", "was not made by the demo");
    Launcher.sparkSubmit("--samples", "abc", "--demo").assertOneLine(2, "Usage error: ", "--samples", "'abc'");

    // Its own directory, run twice, with --demo last and a spark-submit option in its --opt=value form.
    Path demo = dir.resolve("demo");
    for (int run = 0; run < 2; run++) {
      Launcher.Run r = Launcher.sparkSubmit("--dir", demo.toString(), "--samples", "8", "--executor-cores=1", "--demo");
      assertEquals(0, r.exit(), r.out() + r.err());
      assertTrue(r.out().contains("convgrad: 8 samples"), r.out());
      assertTrue(r.out().contains("summed over") && r.out().contains("engine rate"), "where the time went: " + r.out());
    }
    Files.writeString(demo.resolve("dx").resolve("mine.txt"), "a user's file in the demo's output");
    Launcher.sparkSubmit("--demo", "--dir", demo.toString(), "--samples", "8").assertOneLine(2, "Error: --dir",
        "holds files the demo did not write", "mine.txt");
    assertTrue(Files.exists(demo.resolve("dx").resolve("mine.txt")));
    assertTrue(Files.exists(demo.resolve("dx.npy")), "the demo's own files stay when it refuses");
  }

  @Test
  void outputsThatAreOrHoldInputsAreRefusedBeforeAnyTask() throws Exception {
    Path npy = TestData.npy(dir.resolve("dy.npy"), dyTensor);
    byte[] before = Files.readAllBytes(npy);
    submit(job(npy, dir.resolve("out"), "--assemble", npy.toString())).assertOneLine(2, "Error: --assemble",
        "is the same file as --out-backprop");
    submit(job(npy, dir.resolve("out"), "--assemble", dir.resolve("./w.npy").toString())).assertOneLine(2,
        "Error: --assemble", "is the same file as --filter");
    assertArrayEquals(before, Files.readAllBytes(npy));
    submit(job(data, dir, "--assemble", dir.resolve("dx.npy").toString())).assertOneLine(2, "Error: --output",
        "holds --out-backprop");
    submit(job(data, data.resolve("out"))).assertOneLine(2, "Error: --output", "lies inside --out-backprop");
    // A dataset's own file, or a new one that later runs would read as samples.
    byte[] part = Files.readAllBytes(data.resolve("dy-0.arrow"));
    for (String inside : new String[] {"dy-0.arrow", "dx.arrow"}) {
      submit(job(data, dir.resolve("out"), "--assemble", data.resolve(inside).toString())).assertOneLine(2,
          "Error: --assemble", "lies inside --out-backprop");
    }
    assertArrayEquals(part, Files.readAllBytes(data.resolve("dy-0.arrow")));
    assertFalse(Files.exists(data.resolve("dx.arrow")));
    Files.createDirectories(dir.resolve("a-dir.npy"));
    submit(job(data, dir.resolve("out"), "--assemble", dir.resolve("a-dir.npy").toString())).assertOneLine(2,
        "Error: --assemble", "is a directory");
    submit(job(data, dir.resolve("out"), "--assemble", dir.resolve("out/part-00000.arrow").toString())).assertOneLine(
        2, "Error: --assemble", "lies inside --output");
    assertFalse(Files.exists(dir.resolve("out")), "nothing was started");
  }

  @Test
  void aCommittedJobAssemblesWithoutCrcFilesAndKeepsTheUsersFilesIntact() throws Exception {
    Launcher.Run r = submit(job(data, dir.resolve("out"), "--assemble", dir.resolve("dx.npy").toString(),
        "--conf=spark.ui.enabled=false", "--name=convgrad-it", "--samples-per-task", "2"));
    assertEquals(0, r.exit(), r.out() + r.err());
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".crc")), "no Hadoop .crc files");
    }
    assertTrue(Files.exists(dir.resolve("out/_SUCCESS")));
  }

  @Test
  void anAssemblyThatFailsAfterTheCommitKeepsTheCommittedOutput() throws Exception {
    Launcher.Run r = submit(job(data, dir.resolve("out"), "--assemble", dir.resolve("dx.npy").toString(),
        "--conf", "spark.convgrad.test.failAssembly=true"));
    r.assertOneLine(1, "Error: the job's output ", "is complete and committed", "nothing was left at");
    assertTrue(Files.exists(dir.resolve("out/_SUCCESS")) && Files.exists(dir.resolve("out/manifest.json")));
    try (Stream<Path> parts = Files.list(dir.resolve("out"))) {
      assertTrue(parts.anyMatch(p -> p.getFileName().toString().startsWith("part-")), "the committed parts stay");
    }
    assertFalse(Files.exists(dir.resolve("dx.npy")));
  }

  @Test
  void idsConvgradCannotCarryAndSecondTensorColumnsAreRefusedInOneLine() throws Exception {
    FixedShapeTensorType type = FixedShapeTensorType.sample(DataFormat.NHWC, 4, 4, 3);
    Path utf8 = Files.createDirectories(dir.resolve("utf8"));
    OddArrowFiles.write(utf8.resolve("a.arrow"), dyTensor, type, OddArrowFiles.Ids.UTF8);
    submit(job(utf8, dir.resolve("out"))).assertOneLine(2, "Error: ", "id column is Utf8", "cast the ids to int64");
    Path two = Files.createDirectories(dir.resolve("two"));
    OddArrowFiles.write(two.resolve("a.arrow"), dyTensor, type, OddArrowFiles.Ids.NONE, dyTensor, -1);
    submit(job(two, dir.resolve("out"))).assertOneLine(2, "Error: ", "2 arrow.fixed_shape_tensor columns");
    Path names = Files.createDirectories(dir.resolve("names"));
    OddArrowFiles.write(names.resolve("a.arrow"), dyTensor,
        new FixedShapeTensorType(new long[] {4, 4, 3}, List.of("X", "Y", "Z"), null), OddArrowFiles.Ids.NONE);
    submit(job(names, dir.resolve("out"))).assertOneLine(2, "Error: ", "dim_names [X, Y, Z]");
    assertFalse(Files.exists(dir.resolve("out")));
  }

  @Test
  void aNullSampleFoundByATaskIsOneLineAndExitTwo() throws Exception {
    Path nulls = Files.createDirectories(dir.resolve("nulls"));
    OddArrowFiles.write(nulls.resolve("a.arrow"), dyTensor, FixedShapeTensorType.sample(DataFormat.NHWC, 4, 4, 3),
        OddArrowFiles.Ids.NONE, null, 3);
    Launcher.Run r = submit(job(nulls, dir.resolve("out"), "--assemble", dir.resolve("dx.npy").toString()));
    r.assertOneLine(2, "Error: ", "null");
    assertFalse(Files.exists(dir.resolve("out")), "the failed job's output is removed");
    assertFalse(Files.exists(dir.resolve("dx.npy")));
  }

  @Test
  void aFifoIsNamedNotReadAsEmpty() throws Exception {
    Path fifo = dir.resolve("dy.npy");
    Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertTrue(mk.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && mk.exitValue() == 0);
    submit(job(fifo, dir.resolve("out"))).assertOneLine(2, "Error: ", "is not a regular file (a FIFO)");
  }

  @Test
  void optionRangesFollowOneRuleAndTheEnvironmentsMistakesAreNamed() throws Exception {
    for (String option : new String[] {"--threads", "--samples-per-task"}) {
      for (String value : new String[] {"0", "-1"}) {
        submit(job(data, dir.resolve("out"), option, value)).assertOneLine(2, "Usage error: " + option
            + " must be at least 1", "(see convgrad-spark-submit --help)");
      }
    }
    submit(job(data, dir.resolve("out"), "--strides", "1", "--strides", "2")).assertOneLine(2, "Usage error: ",
        "should be specified only once");
    Map<String, String> env = new HashMap<>();
    env.put("SPARK_HOME", dir.resolve("no-spark").toString());
    Launcher.run("bin/convgrad-spark-submit", env, "--help").assertOneLine(2, "convgrad: SPARK_HOME=",
        "holds no bin/spark-submit");
    env.clear();
    env.put("JAVA_HOME", dir.resolve("no-jdk").toString());
    Launcher.run("bin/convgrad-spark-submit", env, "--help").assertOneLine(2, "convgrad: JAVA_HOME=",
        "holds no bin/java");
    // A JDK 11 (its release file says so; its java runs the real one): refused in one line, not in the JVM's words.
    Path old = Files.createDirectories(dir.resolve("jdk11/bin")).getParent();
    Files.writeString(old.resolve("release"), "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"11.0.2\"\n");
    Path fake = Files.writeString(old.resolve("bin/java"), "#!/bin/sh\nexec \"" + System.getProperty("java.home")
        + "/bin/java\" \"$@\"\n");
    assertTrue(fake.toFile().setExecutable(true));
    env.put("JAVA_HOME", old.toString());
    for (String launcher : new String[] {"bin/convgrad", "bin/convgrad-spark-submit"}) {
      Launcher.run(launcher, env, "--help").assertOneLine(2, "convgrad: ", "is Java 11", "needs a JDK 17 or newer");
    }
    Launcher.Run help = Launcher.sparkSubmit("--help");
    assertEquals(0, help.exit(), help.err());
    assertTrue(help.out().contains("--demo") && help.out().contains("--assemble"), help.out());
  }

  @Test
  void aJobStoppedWhileItsTasksRunLeavesNoOutput() throws Exception {
    // SIGTERM (Ctrl-C alike): Spark's hook stops the context, and the job must still clean up,
    // or every rerun into that output is refused.
    Path out = dir.resolve("out");
    byte[] input = Files.readAllBytes(data.resolve("dy-0.arrow"));
    List<String> command = new ArrayList<>(List.of(Launcher.ROOT.resolve("bin/convgrad-spark-submit").toString(),
        "--master", "local[2]", "--conf", "spark.convgrad.test.slowFirstAttemptMillis=120000"));
    command.addAll(job(data, out, "--samples-per-task", "1"));
    ProcessBuilder pb = new ProcessBuilder(command).directory(Launcher.ROOT.toFile())
        .redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile());
    pb.environment().remove("SPARK_HOME");
    pb.environment().put("CONVGRAD_CDS", "off"); // so that the launcher's process is the JVM (exec)
    Process p = pb.start();
    try {
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (!holdsAnAttempt(out) && p.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(holdsAnAttempt(out), "a task began to write: " + Files.readString(dir.resolve("log.txt")));
      p.destroy();
      assertTrue(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES), "the JVM stopped");
    } finally {
      p.destroyForcibly();
    }
    String log = Files.readString(dir.resolve("log.txt"));
    assertFalse(Files.exists(out), "the job's output was removed: " + log);
    assertArrayEquals(input, Files.readAllBytes(data.resolve("dy-0.arrow")));
    Launcher.Run rerun = submit(job(data, out));
    assertEquals(0, rerun.exit(), rerun.err());
  }

  private static boolean holdsAnAttempt(Path out) throws java.io.IOException {
    Path temporary = out.resolve("_temporary");
    if (!Files.isDirectory(temporary)) {
      return false;
    }
    try (Stream<Path> files = Files.walk(temporary)) {
      return files.anyMatch(f -> f.getFileName().toString().contains(".attempt-"));
    } catch (java.io.UncheckedIOException | java.io.IOException e) {
      return false; // a directory went while it was walked
    }
  }
}
