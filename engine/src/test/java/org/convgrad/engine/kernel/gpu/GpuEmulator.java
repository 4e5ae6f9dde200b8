package org.convgrad.engine.kernel.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Builds the emulated device: g++ compiles the kernels' own sources ({@code src/main/cuda}, the
 * files nvcc compiles into the fatbin) after {@code src/test/cuda/cuda_host.h}, with the fiber
 * runtime and the device server ({@code src/test/cuda}). Built once per source version into
 * {@code target/gpu-emulator/<hash>/}, so that test classes and repeated builds share it.
 */
final class GpuEmulator {
  private static @Nullable Path binary;
  private static @Nullable String unavailable;

  private GpuEmulator() {}

  static Path moduleDir() {
    Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    return Files.isDirectory(base.resolve("src/main/cuda")) ? base : base.resolve("engine");
  }

  /** Why the emulator cannot be built here (no g++), or null where it can. */
  static synchronized @Nullable String unavailableReason() {
    if (binary == null && unavailable == null) {
      build();
    }
    return unavailable;
  }

  static synchronized Path binary() {
    String why = unavailableReason();
    if (why != null) {
      throw new IllegalStateException(why);
    }
    return binary;
  }

  private static void build() {
    Path module = moduleDir();
    Path cuda = module.resolve("src/main/cuda");
    Path host = module.resolve("src/test/cuda");
    List<String> flags = new ArrayList<>(List.of("-std=c++20", "-O2", "-pthread", "-rdynamic", "-ffp-contract=off"));
    if (cpuHas("fma")) {
      flags.add("-mfma"); // std::fma becomes one instruction; the results are the same without it
    }
    try {
      if (!onPath("g++")) {
        unavailable = "g++ is not on the PATH: the GPU kernels' host emulation needs it";
        return;
      }
      List<Path> sources = new ArrayList<>();
      for (Path dir : List.of(cuda, host)) {
        try (Stream<Path> s = Files.list(dir)) {
          s.filter(p -> p.toString().matches(".*\\.(cu|cuh|h|cpp)$")).sorted().forEach(sources::add);
        }
      }
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(String.join(" ", flags).getBytes(StandardCharsets.UTF_8));
      for (Path p : sources) {
        md.update(p.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        md.update(Files.readAllBytes(p));
      }
      String key = HexFormat.of().formatHex(md.digest()).substring(0, 16);
      Path dir = module.resolve("target/gpu-emulator/" + key);
      Path exe = dir.resolve("convgrad-emu");
      if (!Files.isExecutable(exe)) {
        Files.createDirectories(dir);
        Path tmp = dir.resolve("convgrad-emu.tmp");
        List<String> cmd = new ArrayList<>(List.of("g++"));
        cmd.addAll(flags);
        cmd.addAll(List.of("-include", host.resolve("cuda_host.h").toString(), "-I", cuda.toString(), "-I", host.toString(),
            "-x", "c++", cuda.resolve("convgrad.cu").toString(), "-x", "none",
            host.resolve("emu_runtime.cpp").toString(), host.resolve("emu_server.cpp").toString(), "-ldl", "-o",
            tmp.toString()));
        Path log = dir.resolve("g++.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException("g++ took more than 300 s: " + String.join(" ", cmd));
        }
        if (p.exitValue() != 0) {
          throw new IllegalStateException("g++ failed to compile the kernels for the host:\n" + String.join(" ", cmd)
              + "\n" + Files.readString(log));
        }
        Files.move(tmp, exe, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      binary = exe;
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("building the GPU emulator: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the GPU emulator", e);
    }
  }

  static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  private static boolean cpuHas(String flag) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags")) {
          return (" " + line + " ").contains(" " + flag + " ");
        }
      }
    } catch (IOException e) {
      // not Linux: no flag
    }
    return false;
  }
}
