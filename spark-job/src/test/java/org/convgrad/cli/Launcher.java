package org.convgrad.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the launchers in {@code bin/} as a user does: a separate process, from the repository's root. */
final class Launcher {
  static final Path ROOT = Path.of(System.getProperty("convgrad.root", "..")).toAbsolutePath().normalize();

  record Run(int exit, String out, String err) {
    /** Exited with {@code exit} and said so in one line on standard error, starting {@code prefix}, holding {@code phrases}. */
    void assertOneLine(int exit, String prefix, String... phrases) {
      org.junit.jupiter.api.Assertions.assertEquals(exit, exit(), out + err);
      org.junit.jupiter.api.Assertions.assertEquals(1, err.lines().count(), "one line: " + err);
      org.junit.jupiter.api.Assertions.assertTrue(err.startsWith(prefix), err);
      for (String p : phrases) {
        org.junit.jupiter.api.Assertions.assertTrue(err.contains(p), "'" + p + "' in: " + err);
      }
    }
  }

  static Run convgrad(String... args) throws IOException, InterruptedException {
    return run("bin/convgrad", Map.of(), args);
  }

  /** {@code bin/convgrad-spark-submit} with {@code args}, on the Spark the project ships. */
  static Run sparkSubmit(String... args) throws IOException, InterruptedException {
    return run("bin/convgrad-spark-submit", Map.of(), args);
  }

  /**
   * Runs {@code script} (relative to the repository's root) with {@code args} and these changes to
   * the environment (a null value removes the variable), from the repository's root.
   */
  static Run run(String script, Map<String, String> env, String... args) throws IOException, InterruptedException {
    return run(ROOT, script, env, args);
  }

  /**
   * {@code script} (relative to the repository's root) run from {@code dir} under a file-size limit
   * of {@code kib} KiB ({@code ulimit -f}), which fails writes past it as a full disk does.
   */
  static Run underFileSizeLimit(Path dir, long kib, String script, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    Path limited = dir.resolve("limited.sh");
    java.nio.file.Files.writeString(limited, "#!/usr/bin/env bash\nulimit -f " + kib + "\nexec '" + ROOT.resolve(script)
        + "' \"$@\"\n");
    if (!limited.toFile().setExecutable(true)) {
      throw new IOException("cannot make " + limited + " executable");
    }
    return run(dir, "limited.sh", env, args);
  }

  /** {@link #run(String, Map, String...)} from another root: a copy of the repository's layout. */
  static Run run(Path root, String script, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(root.resolve(script).toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile());
    pb.environment().remove("SPARK_HOME"); // surefire's, for the tests' own clusters: a user has none
    env.forEach((k, v) -> {
      if (v == null) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    Path out = java.nio.file.Files.createTempFile("convgrad-out", ".txt");
    Path err = java.nio.file.Files.createTempFile("convgrad-err", ".txt");
    try {
      pb.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process p = pb.start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        // The script's JVM may be its child (a run that dumps a class archive), not the script itself.
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new IllegalStateException(script + " did not finish in 5 minutes: " + command);
      }
      return new Run(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
          withoutJvmNotices(java.nio.file.Files.readString(err, StandardCharsets.UTF_8)));
    } finally {
      java.nio.file.Files.deleteIfExists(out);
      java.nio.file.Files.deleteIfExists(err);
    }
  }

  /**
   * What a terminal shows of standard error: each line as its last carriage return leaves it (so
   * Spark's console progress bar, which redraws and then blanks itself, shows nothing), without
   * blank lines and the JVM's own start-up notice about incubator modules, which is not convgrad's.
   */
  private static String withoutJvmNotices(String err) {
    StringBuilder sb = new StringBuilder();
    for (String line : err.split("\n", -1)) {
      String shown = line.substring(line.lastIndexOf('\r') + 1);
      if (!shown.isBlank() && !shown.startsWith("WARNING: Using incubator modules")) {
        sb.append(shown).append('\n');
      }
    }
    return sb.toString().strip();
  }
}
