package org.convgrad.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code bin/convgrad} as a user does: a separate process, from the repository's root. */
final class Launcher {
  static final Path ROOT = Path.of(System.getProperty("convgrad.root", "..")).toAbsolutePath().normalize();

  record Run(int exit, String out, String err) {}

  static Run convgrad(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ROOT.resolve("bin/convgrad").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile());
    Path out = java.nio.file.Files.createTempFile("convgrad-out", ".txt");
    Path err = java.nio.file.Files.createTempFile("convgrad-err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("bin/convgrad did not finish in 5 minutes: " + command);
    }
    try {
      return new Run(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
          withoutJvmNotices(java.nio.file.Files.readString(err, StandardCharsets.UTF_8)));
    } finally {
      java.nio.file.Files.deleteIfExists(out);
      java.nio.file.Files.deleteIfExists(err);
    }
  }

  /** The JVM's own start-up notice about incubator modules is not convgrad's output. */
  private static String withoutJvmNotices(String err) {
    StringBuilder sb = new StringBuilder();
    for (String line : err.split("\n", -1)) {
      if (!line.startsWith("WARNING: Using incubator modules")) {
        sb.append(line).append('\n');
      }
    }
    return sb.toString().strip();
  }
}
