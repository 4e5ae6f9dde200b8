package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Float16;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;
import org.convgrad.io.npy.NpyRangeWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * One image whose result holds more elements than a Java array (46341 x 46341 float16: 2^31 + 4633
 * elements, 4.3 GB) through {@code bin/convgrad} with a 1 GiB heap, streamed in bands, and through
 * {@code bin/convgrad-spark-submit} on {@code local[2]} with a 2 GiB driver, sharded in bands: a
 * sample of its elements, those past element 2^31 included, equal the op's formula computed here,
 * and the two files are the same bytes; and held in memory as {@code LargeTensor}s, computed by
 * the engine to the same bits.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HugeImageIT {
  private static final long SIDE = 46_341;
  private static final long OUT = (SIDE + 1) / 2; // SAME at stride 2
  /** The 3x3 filter, on a grid: every sum of the op is exact in float32, so rounding once to half is the only rounding. */
  private static final float[][] W = {{0.5f, -0.25f, 1f}, {-1f, 0.75f, 0.125f}, {2f, -0.5f, 0.25f}};

  @TempDir static Path dir;

  /** out_backprop's value at (oy, ox): multiples of 1/32 up to 1, exact in half. */
  private static float dy(long oy, long ox) {
    return (Math.floorMod(oy * 31 + ox * 17, 61) - 30) / 32f;
  }

  @BeforeAll
  static void inputs() throws Exception {
    assertTrue(SIDE * SIDE > Integer.MAX_VALUE);
    float[] wv = new float[9];
    for (int i = 0; i < 9; i++) {
      wv[i] = W[i / 3][i % 3];
    }
    Npy.write(dir.resolve("w.npy"), Tensor.fromFloats(DType.HALF, Shape.of(3, 3, 1, 1), wv));
    writeOutBackprop(dir.resolve("dy.npy"));
  }

  @Test
  @Order(1)
  void theCommandLineStreamsItInBandsWithAHeapOfAQuarterOfTheResult() throws Exception {
    Path dx = dir.resolve("dx.npy");
    Launcher.Run run = Launcher.run("bin/convgrad", Map.of("CONVGRAD_JAVA_OPTS", "-Xmx1g"), "backprop-input",
        "--input-sizes", SIDE + "," + SIDE, "--filter", dir.resolve("w.npy").toString(), "--out-backprop",
        dir.resolve("dy.npy").toString(), "--strides", "2", "--padding", "SAME", "--output", dx.toString(), "-v");
    assertEquals(0, run.exit(), run.out() + run.err());
    Matcher m = Pattern.compile("(\\d+) band\\(s\\) of (\\d+) row\\(s\\).*peak heap (\\d+) MiB").matcher(run.out());
    assertTrue(m.find(), run.out());
    assertTrue(Integer.parseInt(m.group(1)) > 1, run.out());
    assertTrue(Long.parseLong(m.group(3)) < 1024, "the heap held a few bands, never the image: " + run.out());
    System.out.println("HugeImageIT, bin/convgrad: " + run.out().strip().replace('\n', ' '));
    checkSampled(dx);
  }

  @Test
  @Order(2)
  void theSparkJobShardsItInBandsAndAssemblesTheCommandLinesBytes() throws Exception {
    Path dx = dir.resolve("dx-spark.npy");
    long start = System.nanoTime();
    Launcher.Run run = Launcher.sparkSubmit("--master", "local[2]", "--driver-memory", "2g",
        "--out-backprop", dir.resolve("dy.npy").toString(), "--filter", dir.resolve("w.npy").toString(),
        "--input-sizes", SIDE + "," + SIDE, "--strides", "2", "--padding", "SAME",
        "--output", dir.resolve("out").toString(), "--assemble", dx.toString());
    assertEquals(0, run.exit(), run.out() + run.err());
    System.out.printf("HugeImageIT, bin/convgrad-spark-submit: %.1f s: %s%n", (System.nanoTime() - start) / 1e9,
        run.out().strip().replace('\n', ' '));
    checkSampled(dx);
    assertSameBytes(dir.resolve("dx.npy"), dx);
    // The parts are bands: nothing of the output is one sample's whole result.
    assertTrue(Files.readString(dir.resolve("out").resolve("manifest.json")).contains("\"bandRows\""));
  }

  /**
   * The same image held in memory: {@code LargeTensor}s of chunked arrays in a JVM of a 7 GiB heap
   * (out_backprop 1.07 GB, the result 4.3 GB), computed by the engine band by band in place, with
   * the bits of the command line's file ({@link HugeImageInMemory}).
   */
  @Test
  @Order(3)
  void theEngineComputesItInMemoryAsLargeTensorsToTheCommandLinesBits() throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!flag.startsWith("-Xmx") && !flag.startsWith("-javaagent") && !flag.startsWith("-agentlib")) {
        command.add(flag);
      }
    }
    command.addAll(List.of("-Xmx7g", "-cp", System.getProperty("java.class.path"), HugeImageInMemory.class.getName(),
        dir.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertTrue(out.contains("the bits of dx.npy"), out);
    System.out.println("HugeImageIT, in memory: " + out.strip().replace('\n', ' '));
  }

  private static void checkSampled(Path dx) throws Exception {
    assertEquals(Shape.of(1, SIDE, SIDE, 1), Npy.readHeader(dx).shape());
    SplittableRandom r = new SplittableRandom(46341);
    for (int i = 0; i < 400; i++) {
      // Half the samples in the last rows: elements past 2^31.
      long y = i % 2 == 0 ? r.nextLong(SIDE) : SIDE - 1 - r.nextLong(120);
      long x = i % 7 == 0 ? SIDE - 1 : r.nextLong(SIDE);
      check(dx, y, x);
    }
    check(dx, 0, 0);
    check(dx, SIDE - 1, SIDE - 1);
  }

  private static void assertSameBytes(Path a, Path b) throws Exception {
    assertEquals(Files.size(a), Files.size(b));
    try (FileChannel ca = FileChannel.open(a); FileChannel cb = FileChannel.open(b)) {
      ByteBuffer ba = ByteBuffer.allocateDirect(1 << 24);
      ByteBuffer bb = ByteBuffer.allocateDirect(1 << 24);
      for (long pos = 0; pos < ca.size(); pos += ba.capacity()) {
        ba.clear();
        bb.clear();
        while (ba.hasRemaining() && ca.read(ba, pos + ba.position()) > 0) {}
        while (bb.hasRemaining() && cb.read(bb, pos + bb.position()) > 0) {}
        ba.flip();
        bb.flip();
        assertEquals(ba, bb, "bytes from " + pos + " of " + a + " and " + b);
      }
    }
  }

  private static void check(Path dx, long y, long x) throws Exception {
    Tensor got = Npy.readBox(dx, new long[] {0, y, x, 0}, new long[] {1, 1, 1, 1});
    assertEquals(Float16.fromFloat(expected(y, x)), got.bits16Data()[0], "dx[0, " + y + ", " + x + ", 0]");
  }

  /** The op's formula: dx[y, x] = sum of w[ky, kx] * dy[oy, ox] over 2 * oy = y + 1 - ky, 2 * ox = x + 1 - kx. */
  private static float expected(long y, long x) {
    double sum = 0;
    for (int ky = 0; ky < 3; ky++) {
      for (int kx = 0; kx < 3; kx++) {
        long ny = y + 1 - ky;
        long nx = x + 1 - kx;
        if (ny % 2 == 0 && nx % 2 == 0 && ny >= 0 && nx >= 0 && ny / 2 < OUT && nx / 2 < OUT) {
          sum += (double) W[ky][kx] * dy(ny / 2, nx / 2);
        }
      }
    }
    return (float) sum;
  }

  /** out_backprop [1, OUT, OUT, 1] (1.07 GB of half), written by bands of rows. */
  private static void writeOutBackprop(Path file) throws Exception {
    long rows = 2048;
    try (NpyRangeWriter out = NpyRangeWriter.begin(file, DType.HALF, Shape.of(1, OUT, OUT, 1))) {
      for (long r0 = 0; r0 < OUT; r0 += rows) {
        long n = Math.min(rows, OUT - r0);
        short[] bits = new short[(int) (n * OUT)];
        for (long i = 0; i < n; i++) {
          for (long x = 0; x < OUT; x++) {
            bits[(int) (i * OUT + x)] = Float16.fromFloat(dy(r0 + i, x));
          }
        }
        out.write(new long[] {0, r0, 0, 0}, Tensor.ofBits16(DType.HALF, Shape.of(1, n, OUT, 1), bits));
      }
      out.commit();
    }
    assertTrue(Files.size(file) > 2L * OUT * OUT);
  }
}
