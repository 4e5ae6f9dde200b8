package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * conf/gpu-discovery.sh reports the CUDA ordinals an executor's JVM will open, and nothing else:
 * run as Spark runs it, with a stand-in {@code nvidia-smi} on the PATH that prints what the real one
 * prints for four GPUs, or its complaint when it cannot reach the driver (on standard output, exit 9).
 */
class GpuDiscoveryScriptTest {
  private static final Path SCRIPT =
      Path.of(System.getProperty("convgrad.root", "..")).resolve("conf/gpu-discovery.sh").toAbsolutePath().normalize();

  @TempDir Path dir;

  private Path nvidiaSmi(String name, String body) throws IOException {
    Path bin = Files.createDirectories(dir.resolve(name));
    Path smi = bin.resolve("nvidia-smi");
    Files.writeString(smi, "#!/usr/bin/env bash\n" + body + "\n");
    assertTrue(smi.toFile().setExecutable(true));
    return bin;
  }

  /** A PATH of the tools the script uses and nothing else: a GPU host's own nvidia-smi stays out. */
  private Path tools() throws Exception {
    Path tools = dir.resolve("tools");
    if (!Files.isDirectory(tools)) {
      Files.createDirectories(tools);
      for (String tool : new String[] {"bash", "sed", "grep"}) {
        Process which = new ProcessBuilder("bash", "-c", "command -v " + tool).start();
        String path = new String(which.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(which.waitFor(10, TimeUnit.SECONDS) && which.exitValue() == 0, tool);
        Files.createSymbolicLink(tools.resolve(tool), Path.of(path));
      }
    }
    return tools;
  }

  private String addresses(Path bin, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString()).redirectErrorStream(true);
    pb.environment().remove("CUDA_VISIBLE_DEVICES");
    pb.environment().remove("CONVGRAD_FAKE_GPUS");
    pb.environment().put("PATH", (bin == null ? "" : bin + ":") + tools());
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    String prefix = "{\"name\":\"gpu\",\"addresses\":[";
    assertTrue(out.startsWith(prefix) && out.endsWith("]}") && out.lines().count() == 1, out);
    return out.substring(prefix.length(), out.length() - 2).replace("\"", "");
  }

  @Test
  void reportsTheIndicesNvidiaSmiListsAndNoneWhenItFailsOrIsMissing() throws Exception {
    Path four = nvidiaSmi("four", "printf '0\\n1\\n2\\n3\\n'");
    assertEquals("0,1,2,3", addresses(four, Map.of()));
    Path failing = nvidiaSmi("failing", "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA"
        + " driver. Make sure that the latest NVIDIA driver is installed and running.\"; exit 9");
    assertEquals("", addresses(failing, Map.of()));
    Path noDevices = nvidiaSmi("none", "echo 'No devices were found'; exit 6");
    assertEquals("", addresses(noDevices, Map.of()));
    // Exit 14 is a warning: the GPUs are listed, and work.
    Path warning = nvidiaSmi("warning", "echo 'WARNING: infoROM is corrupted at gpu 0000:01:00.0'; printf '0\\n1\\n';"
        + " exit 14");
    assertEquals("0,1", addresses(warning, Map.of()));
    assertEquals("", addresses(null, Map.of()), "no nvidia-smi");
  }

  @Test
  void withCudaVisibleDevicesReportsTheOrdinalsCudaRenumbersThemTo() throws Exception {
    Path four = nvidiaSmi("four", "printf '0\\n1\\n2\\n3\\n'");
    Map<String, String> expected = Map.of(
        "2,3", "0,1", "3", "0", "0, 1", "0,1", "GPU-1d2c,MIG-77aa", "0,1",
        "7", "", "", "", "-1", "", "1,7,2", "0", "0,0", "0", "3,2,1,0,GPU-9f", "0,1,2,3");
    for (Map.Entry<String, String> e : expected.entrySet()) {
      assertEquals(e.getValue(), addresses(four, Map.of("CUDA_VISIBLE_DEVICES", e.getKey())),
          "CUDA_VISIBLE_DEVICES='" + e.getKey() + "'");
    }
  }

  @Test
  void fakeGpusAreTrimmedAndOnlyOrdinalsKept() throws Exception {
    assertEquals("0,1", addresses(null, Map.of("CONVGRAD_FAKE_GPUS", "0, 1")));
    assertEquals("2", addresses(null, Map.of("CONVGRAD_FAKE_GPUS", "GPU-x,2")));
  }
}
