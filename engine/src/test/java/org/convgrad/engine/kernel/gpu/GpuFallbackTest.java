package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without a usable GPU, an AUTO engine in a fresh JVM (the one that first loads JCuda) runs on the
 * CPU and prints nothing to standard error: no warning, no stack trace of the failed native load.
 */
class GpuFallbackTest {
  @Test
  void autoWithoutAGpuIsSilent() throws IOException, InterruptedException {
    assumeFalse(GpuSupport.probe(0).usable(), "a GPU is usable here");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path stderr = Files.createTempFile("convgrad-gpu-fallback", ".err");
    try {
      Process p = new ProcessBuilder(java.toString(), "--add-modules", "jdk.incubator.vector", "-cp",
          System.getProperty("java.class.path"), GpuFallbackProbe.class.getName()).redirectError(stderr.toFile()).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe JVM did not finish");
      List<String> err = Files.readAllLines(stderr);
      err.removeIf(l -> l.contains("Using incubator modules"));
      assertEquals(0, p.exitValue(), out + err);
      assertTrue(out.contains("auto=simd"), out);
      assertTrue(out.contains("probe=no CUDA driver") || out.contains("probe=no CUDA device") || out.contains("probe=device"), out);
      assertEquals(List.of(), err, "nothing on standard error");
    } finally {
      Files.deleteIfExists(stderr);
    }
  }
}
