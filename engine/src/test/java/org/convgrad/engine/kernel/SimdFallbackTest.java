package org.convgrad.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without {@code --add-modules jdk.incubator.vector} nothing fails: SIMD and AUTO engines run the
 * reference kernel and one warning line names the flag. Checked in a forked JVM started without
 * the flag (surefire's own JVM has it).
 */
class SimdFallbackTest {
  @Test
  void withoutTheVectorModuleTheReferenceRunsAndOneWarningNamesTheFlag() throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path stderr = Files.createTempFile("convgrad-fallback", ".err");
    try {
      Process p =
          new ProcessBuilder(
                  java.toString(), "-cp", System.getProperty("java.class.path"), FallbackProbe.class.getName())
              .redirectError(stderr.toFile())
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe JVM did not finish");
      List<String> err = Files.readAllLines(stderr);
      assertEquals(0, p.exitValue(), () -> out + String.join("\n", err));
      assertTrue(out.contains("auto=reference"), out);
      assertTrue(out.contains("simd=reference"), out);
      assertTrue(out.contains("same=true"), out);
      long warnings = err.stream().filter(l -> l.contains("--add-modules jdk.incubator.vector")).count();
      assertEquals(1, warnings, () -> String.join("\n", err));
    } finally {
      Files.deleteIfExists(stderr);
    }
  }
}
