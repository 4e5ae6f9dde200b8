package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.convgrad.engine.DType;
import org.junit.jupiter.api.Test;

/**
 * The committed kernel image: on the classpath, holding the cubins and PTX build-fatbin.sh asks
 * for and every kernel the planner launches, built from the sources as they are (the stamp; the
 * build also rebuilds and compares bytes where nvcc is the stamp's version).
 */
class FatbinTest {
  @Test
  void holdsCubinsForSm80To90AndPtxForCompute90() {
    byte[] image = Fatbin.image();
    assertNotNull(image, "convgrad.fatbin is on the classpath");
    List<String> entries = Fatbin.entries(image).stream().map(Fatbin.Entry::toString).sorted().collect(Collectors.toList());
    assertEquals(List.of("elf sm_80", "elf sm_86", "elf sm_89", "elf sm_90", "ptx compute_90"), entries);
    List<Fatbin.Entry> e = Fatbin.entries(image);
    assertTrue(Fatbin.runsOn(e, 80));
    assertTrue(Fatbin.runsOn(e, 89));
    assertTrue(Fatbin.runsOn(e, 100), "Blackwell JIT-compiles the compute_90 PTX");
    assertFalse(Fatbin.runsOn(e, 75));
    assertTrue(Fatbin.runsOn(e, 87), "an sm_86 cubin runs on 8.7: CUDA keeps cubins compatible up a major version's minors");
    assertFalse(Fatbin.runsOn(List.of(new Fatbin.Entry(false, 86)), 85), "but not down them");
    assertFalse(Fatbin.runsOn(List.of(new Fatbin.Entry(false, 86)), 90), "nor across major versions");
  }

  @Test
  void holdsEveryKernelThePlannerLaunches() {
    String image = new String(Fatbin.image(), StandardCharsets.ISO_8859_1);
    for (Strategy s : Strategy.values()) {
      for (DType t : DType.values()) {
        if (s.accepts(t)) {
          assertTrue(image.contains(s.kernel(t) + "\0"), s.kernel(t));
        }
      }
    }
    assertTrue(image.contains("convgrad_args_probe\0"));
  }

  /** The check build-fatbin.sh --check makes, here too: the stamp is of these sources and this fatbin. */
  @Test
  void theStampIsOfTheseSourcesAndThisFatbin() throws IOException, NoSuchAlgorithmException {
    Path stamp = GpuEmulator.moduleDir().resolve("src/main/resources/org/convgrad/engine/kernel/gpu/convgrad.fatbin.stamp");
    List<String> lines = Files.readAllLines(stamp);
    StringBuilder list = new StringBuilder();
    try (Stream<Path> s = Files.list(GpuKernelSourcesTest.cudaDir())) {
      for (Path p : s.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh")).sorted().collect(Collectors.toList())) {
        list.append(p.getFileName()).append(' ').append(sha256(Files.readAllBytes(p))).append('\n');
      }
    }
    assertTrue(lines.contains("sources=" + sha256(list.toString().getBytes(StandardCharsets.UTF_8))),
        "the fatbin is stale: run engine/src/main/cuda/build-fatbin.sh");
    assertTrue(lines.contains("fatbin=" + sha256(Fatbin.image())), "the fatbin is not the one its stamp records");
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("nvcc=")), "the stamp records nvcc's version");
  }

  /** Where NVIDIA's cuobjdump is installed, it lists what the fatbin claims. */
  @Test
  void cuobjdumpListsTheSameCubinsAndPtx() throws IOException, InterruptedException {
    assumeTrue(GpuEmulator.onPath("cuobjdump"), "cuobjdump is not on the PATH (the CUDA toolkit here has nvcc only)");
    Path fatbin = Files.createTempFile("convgrad", ".fatbin");
    try {
      Files.write(fatbin, Fatbin.image());
      Process p = new ProcessBuilder("cuobjdump", "--list-elf", "--list-ptx", fatbin.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), out);
      for (String arch : List.of("sm_80", "sm_86", "sm_89", "sm_90")) {
        assertTrue(out.lines().anyMatch(l -> l.contains("ELF") && l.contains(arch)), arch + " in " + out);
      }
      assertTrue(out.lines().anyMatch(l -> l.contains("PTX") && l.contains("sm_90")), "PTX in " + out);
    } finally {
      Files.deleteIfExists(fatbin);
    }
  }

  private static String sha256(byte[] b) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
