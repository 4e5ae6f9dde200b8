package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.convgrad.engine.DType;
import org.junit.jupiter.api.Test;

/**
 * The launch planner's numbers (block sizes, tiles, shared memory) are those of the .cu sources: a
 * kernel whose {@code __launch_bounds__} or tile changes without the planner would fail to launch or
 * overrun its shared memory on a GPU.
 */
class GpuKernelSourcesTest {
  private static String source(String file) throws IOException {
    return Files.readString(GpuEmulator.moduleDir().resolve("src/main/cuda").resolve(file));
  }

  @Test
  void launchBoundsAreThePlannersBlockSizes() throws IOException {
    String all = source("direct_gather.cu") + source("implicit_gemm.cu") + source("tensor_core.cu");
    int found = 0;
    Matcher m = Pattern.compile("__launch_bounds__\\((\\d+)(?:, *\\d+)?\\) (convgrad_\\w+)\\(").matcher(all);
    while (m.find()) {
      String kernel = m.group(2);
      Strategy s = null;
      for (Strategy c : Strategy.values()) {
        for (DType t : DType.values()) {
          if (c.accepts(t) && c.kernel(t).equals(kernel)) {
            s = c;
          }
        }
      }
      assertTrue(s != null, "no strategy launches " + kernel);
      assertEquals(s.threads(), Integer.parseInt(m.group(1)), kernel);
      found++;
    }
    assertEquals(10, found, "4 direct, 4 implicit GEMM and 2 tensor-core kernels");
  }

  @Test
  void implicitGemmTilesAreThePlanners() throws IOException {
    String src = source("implicit_gemm.cu");
    Matcher m = Pattern.compile("typedef IGemm<(\\w+), (\\d+), (\\d+), (\\d+), (\\d+), (\\d+)> IGemm(\\w+);").matcher(src);
    int found = 0;
    while (m.find()) {
      DType t = m.group(1).equals("float") ? DType.FLOAT32 : m.group(1).equals("double") ? DType.FLOAT64
          : m.group(1).equals("__half") ? DType.HALF : DType.BFLOAT16;
      int bm = Integer.parseInt(m.group(2));
      int bn = Integer.parseInt(m.group(3));
      int bk = Integer.parseInt(m.group(4));
      int threads = (bm / Integer.parseInt(m.group(5))) * (bn / Integer.parseInt(m.group(6)));
      int acc = t == DType.FLOAT64 ? 8 : 4;
      assertEquals(Strategy.IMPLICIT_GEMM.tileM(t), bm, m.group());
      assertEquals(Strategy.IMPLICIT_GEMM.tileN(), bn, m.group());
      assertEquals(Strategy.IMPLICIT_GEMM.threads(), threads, m.group());
      assertEquals(Strategy.IMPLICIT_GEMM.sharedBytes(t), 2 * bk * (bm + bn) * acc, m.group());
      found++;
    }
    assertEquals(4, found);
  }

  @Test
  void tensorCoreTilesAreThePlanners() throws IOException {
    String src = source("tensor_core.cu");
    assertTrue(src.contains("static constexpr int BM = 64, BN = 64, BK = 16;"), "tile 64 x 64 x 16");
    assertTrue(src.contains("static constexpr int THREADS = 128;"));
    assertTrue(src.contains("static constexpr int LDC = BN + 8;"));
    // Operands: 2 stages of A (64 x (16 + 16)) and B (16 x (64 + 16)) in 2-byte elements; the
    // accumulator tile 64 x 72 floats is larger, and is what the planner asks for.
    int operands = 2 * (64 * 32 + 16 * 80) * 2;
    int accumulators = 64 * 72 * 4;
    assertTrue(accumulators > operands);
    assertEquals(accumulators, Strategy.TENSOR_CORE.sharedBytes(DType.HALF));
    assertEquals(64, Strategy.TENSOR_CORE.tileM(DType.HALF));
  }

  @Test
  void kernelArgsFieldsAreTheStructsFields() throws IOException {
    String src = source("convgrad_args.cuh");
    String body = src.substring(src.indexOf("struct ConvArgs {"), src.indexOf("};"));
    StringBuilder names = new StringBuilder();
    Matcher m = Pattern.compile("long long ([^;]+);").matcher(body);
    while (m.find()) {
      for (String n : m.group(1).split(",")) {
        names.append(names.length() == 0 ? "" : " ").append(n.trim());
      }
    }
    assertEquals(String.join(" ", KernelArgs.FIELDS), names.toString());
    assertTrue(src.contains("sizeof(ConvArgs) == " + KernelArgs.WORDS + " * 8"));
  }

  static Path cudaDir() {
    return GpuEmulator.moduleDir().resolve("src/main/cuda");
  }
}
