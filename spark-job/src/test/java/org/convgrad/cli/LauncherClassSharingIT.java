package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.testing.Problem;
import org.convgrad.io.npy.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launchers' class-data archives: the first run with a JDK and a set of options dumps one into
 * the build, checked before it is kept; later runs map it and give the same output, with no word of
 * it on either stream; {@code CONVGRAD_CDS=off} runs without one.
 */
class LauncherClassSharingIT {
  private static final Path ARCHIVES = Launcher.ROOT.resolve("spark-job/target/spark-home/cds");

  @TempDir Path dir;

  @Test
  void theFirstRunArchivesItsClassesAndLaterRunsMapThemToTheSameOutput() throws Exception {
    Problem p = inputs(90_100);
    Map<String, String> env = ownGroup();
    Set<Path> before = archives();
    Set<Path> made = new HashSet<>();
    try {
      Launcher.Run first = Launcher.run("bin/convgrad", env, args(p, "first.npy"));
      assertEquals(0, first.exit(), first.err());
      made.addAll(archives());
      made.removeAll(before);
      assertEquals(1, made.size(), "one archive dumped and kept: " + made);
      Path archive = made.iterator().next();
      long size = Files.size(archive);

      Launcher.Run second = Launcher.run("bin/convgrad", env, args(p, "second.npy"));
      assertEquals(0, second.exit(), second.err());
      Set<Path> after = archives();
      after.removeAll(before);
      assertEquals(made, after, "the archive was mapped, not dumped again");
      assertEquals(size, Files.size(archive));

      Map<String, String> off = Map.of("CONVGRAD_JAVA_OPTS", env.get("CONVGRAD_JAVA_OPTS"), "CONVGRAD_CDS", "off");
      Launcher.Run without = Launcher.run("bin/convgrad", off, args(p, "off.npy"));
      assertEquals(0, without.exit(), without.err());

      for (Launcher.Run run : List.of(first, second, without)) {
        assertEquals(first.out(), run.out());
        assertFalse(run.out().contains("cds") || run.err().contains("cds"), run.out() + run.err());
      }
      byte[] expected = Files.readAllBytes(dir.resolve("off.npy"));
      assertArrayEquals(expected, Files.readAllBytes(dir.resolve("first.npy")));
      assertArrayEquals(expected, Files.readAllBytes(dir.resolve("second.npy")));
      try (Stream<Path> left = Files.list(ARCHIVES)) {
        assertTrue(left.noneMatch(f -> f.getFileName().toString().contains(".tmp.")
            || f.getFileName().toString().startsWith("hs_err")), "no temporary dump or crash log is left");
      }
      try (Stream<Path> files = Files.list(dir)) {
        assertEquals(Set.of("w.npy", "dy.npy", "first.npy", "second.npy", "off.npy"),
            files.map(f -> f.getFileName().toString()).collect(Collectors.toSet()),
            "nothing beside the outputs in the user's folder");
      }
    } finally {
      removeArchivesSince(before);
    }
  }

  @Test
  void aRunThatCouldNotWriteAnArchiveRunsWithoutDumpingOne() throws Exception {
    // Under a file-size limit smaller than an archive, the JVM would fail its dump at exit, and with
    // it a run whose work had succeeded (exit 1, four lines of the JVM's).
    Problem p = inputs(90_200);
    Map<String, String> env = ownGroup();
    Set<Path> before = archives();
    try {
      Launcher.Run run = Launcher.underFileSizeLimit(dir, 10000, "bin/convgrad", env, args(p, "dx.npy"));
      assertEquals(0, run.exit(), run.out() + run.err());
      assertEquals("", run.err());
      Set<Path> after = archives();
      after.removeAll(before);
      assertEquals(Set.of(), after, "no archive dumped");
      assertEquals(p.op.inputShape(), Npy.readHeader(dir.resolve("dx.npy")).shape());
    } finally {
      removeArchivesSince(before);
    }
  }

  @Test
  void theSparkLauncherKeepsAnArchiveOfItsDriverToo() throws Exception {
    Map<String, String> env = Map.of("CONVGRAD_JAVA_OPTS", "-Dconvgrad.test.group=" + UUID.randomUUID());
    Set<Path> before = archives();
    Set<Path> made = new HashSet<>();
    try {
      Launcher.Run first = Launcher.run("bin/convgrad-spark-submit", env, "--help");
      assertEquals(0, first.exit(), first.err());
      made.addAll(archives());
      made.removeAll(before);
      assertEquals(1, made.size(), "one archive dumped and kept: " + made);
      assertTrue(made.iterator().next().getFileName().toString().startsWith("spark-submit-"), made.toString());
      Launcher.Run second = Launcher.run("bin/convgrad-spark-submit", env, "--help");
      assertEquals(0, second.exit(), second.err());
      assertEquals(first.out(), second.out());
      assertEquals(first.err(), second.err());
      Set<Path> after = archives();
      after.removeAll(before);
      assertEquals(made, after, "the archive was mapped, not dumped again");
    } finally {
      removeArchivesSince(before);
    }
  }

  @Test
  void eachLauncherKeepsTheFourArchivesLastUsed() throws Exception {
    Set<Path> before = archives();
    try {
      List<Map<String, String>> groups = new ArrayList<>();
      List<Path> archive = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        groups.add(Map.of("CONVGRAD_JAVA_OPTS", "-Dconvgrad.test.group=" + UUID.randomUUID()));
      }
      for (int i = 0; i < 4; i++) {
        archive.add(newArchive(groups.get(i)));
      }
      Launcher.Run again = Launcher.run("bin/convgrad", groups.get(0), "--help"); // maps its archive: used now
      assertEquals(0, again.exit(), again.err());
      archive.add(newArchive(groups.get(4)));
      assertTrue(Files.exists(archive.get(0)), "the archive used again stays");
      assertFalse(Files.exists(archive.get(1)), "the least recently used one goes");
      for (Path a : archive.subList(2, 5)) {
        assertTrue(Files.exists(a), a.toString());
      }
      try (Stream<Path> cli = Files.list(ARCHIVES)) {
        assertEquals(4, cli.filter(f -> f.getFileName().toString().startsWith("cli-")).count());
      }
    } finally {
      removeArchivesSince(before);
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "SIG{0}, exit {1}")
  @org.junit.jupiter.params.provider.CsvSource({"TERM, 143", "INT, 130"})
  void aLauncherStoppedWhileItsJvmDumpsAnArchiveStopsTheJvmToo(String signal, int exit) throws Exception {
    // The run that dumps an archive has its JVM as a child: a signal to the launcher's pid (a
    // scheduler's SIGTERM, Python's terminate(), Ctrl-C's SIGINT) must reach it, or it writes its
    // output after all; the launcher exits as the shell reports that signal.
    Npy.write(dir.resolve("w.npy"), org.convgrad.spark.testing.TestData.random(DType.FLOAT32, 1, 7, 7, 16, 16));
    Npy.write(dir.resolve("dy.npy"), org.convgrad.spark.testing.TestData.random(DType.FLOAT32, 2, 1, 1024, 1024, 16));
    Path out = dir.resolve("dx.npy");
    Set<Path> before = archives();
    ProcessBuilder pb = new ProcessBuilder(Launcher.ROOT.resolve("bin/convgrad").toString(), "backprop-input",
        "--input-sizes", "1,1024,1024,16", "--filter", dir.resolve("w.npy").toString(), "--out-backprop",
        dir.resolve("dy.npy").toString(), "--padding", "SAME", "--engine", "scalar", "--threads", "1",
        "--output", out.toString()).directory(Launcher.ROOT.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("log.txt").toFile());
    pb.environment().put("CONVGRAD_JAVA_OPTS", "-Dconvgrad.test.group=" + UUID.randomUUID());
    Process launcher = pb.start();
    List<ProcessHandle> jvm = new ArrayList<>();
    try {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (jvm.isEmpty() && launcher.isAlive() && System.nanoTime() < deadline) {
        launcher.descendants().filter(h -> h.info().command().orElse("").endsWith("java")).forEach(jvm::add);
        Thread.sleep(50);
      }
      assertFalse(jvm.isEmpty(), "the JVM runs as the launcher's child: " + Files.readString(dir.resolve("log.txt")));
      Thread.sleep(500); // the reference kernel's 26 GFLOP on one thread take far longer
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(launcher.pid())).start(); // the launcher alone
      assertEquals(0, kill.waitFor());
      assertTrue(launcher.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the launcher ended");
      for (ProcessHandle h : jvm) {
        h.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      jvm.forEach(ProcessHandle::destroyForcibly);
      launcher.destroyForcibly();
      removeArchivesSince(before);
    }
    assertEquals(exit, launcher.exitValue(), Files.readString(dir.resolve("log.txt")));
    assertFalse(Files.exists(out), "the stopped JVM wrote no result");
    try (Stream<Path> dumps = Files.list(ARCHIVES)) {
      assertEquals(List.of(), dumps.filter(f -> f.toString().endsWith(".jsa.tmp." + launcher.pid())).toList(),
          "its half-dumped archive went with it");
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of("dy.npy", "log.txt", "w.npy"), left.map(f -> f.getFileName().toString()).sorted().toList());
    }
  }

  /** The archive that one run of {@code bin/convgrad} with this environment dumps and keeps. */
  private static Path newArchive(Map<String, String> env) throws IOException, InterruptedException {
    Set<Path> before = archives();
    Launcher.Run run = Launcher.run("bin/convgrad", env, "--help");
    assertEquals(0, run.exit(), run.err());
    Set<Path> made = archives();
    made.removeAll(before);
    assertEquals(1, made.size(), made.toString());
    return made.iterator().next();
  }

  /** A problem of {@code seed}, its filter and out_backprop written to w.npy and dy.npy. */
  private Problem inputs(long seed) throws IOException {
    Problem p = Problem.random(seed, DType.FLOAT32, DataFormat.NHWC, true);
    Npy.write(dir.resolve("w.npy"), p.filter);
    Npy.write(dir.resolve("dy.npy"), p.outBackprop);
    return p;
  }

  /** JVM options of a test's own: an archive group no other run shares. */
  private static Map<String, String> ownGroup() {
    return Map.of("CONVGRAD_JAVA_OPTS", "-Dconvgrad.test.group=" + UUID.randomUUID());
  }

  private String[] args(Problem p, String output) {
    List<String> args = new ArrayList<>(List.of("backprop-input"));
    args.addAll(CliArgs.op(p));
    args.addAll(List.of("--filter", dir.resolve("w.npy").toString(), "--out-backprop", dir.resolve("dy.npy").toString(),
        "--output", dir.resolve(output).toString()));
    return args.toArray(new String[0]);
  }

  /**
   * Removes the archives made since {@code before}: this test's group, which nothing else maps, even
   * where a run failed before the test could see what it dumped (the ITs run one at a time).
   */
  private static void removeArchivesSince(Set<Path> before) throws IOException {
    Set<Path> since = archives();
    since.removeAll(before);
    for (Path f : since) {
      Files.deleteIfExists(f);
    }
  }

  private static Set<Path> archives() throws IOException {
    if (!Files.isDirectory(ARCHIVES)) {
      return new HashSet<>();
    }
    try (Stream<Path> files = Files.list(ARCHIVES)) {
      return new HashSet<>(files.filter(f -> f.toString().endsWith(".jsa")).toList());
    }
  }
}
