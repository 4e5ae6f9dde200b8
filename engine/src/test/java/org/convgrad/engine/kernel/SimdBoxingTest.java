package org.convgrad.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SIMD kernels keep their vectors in registers even in a JVM whose C2 binds the Vector API's
 * virtual calls through real virtual calls, which is what made {@code
 * SimdKernelTest.allocatesNoMoreThanTheStatedBound} fail in some JVMs and not others.
 *
 * <p><b>The failure.</b> On a vector of a static type that is not exact, C2 binds the Vector API's
 * virtual calls ({@code vspecies()}, {@code lanewise}, {@code broadcast}) from the type profile,
 * behind an uncommon trap. Once the methods a compilation has inlined carry {@code
 * PerMethodTrapLimit} (100) class_check traps in their profiles together, it binds the later ones
 * behind a real virtual call instead, and a vector that comes out of such a merge is boxed: an
 * {@code intoArray} whose species is then no constant is not intrinsified, nor is a loop whose
 * accumulator is the receiver of its operation. Every lanewise operation inlines Vector API helpers
 * that all code in the JVM shares ({@code VectorOperators.opCode}, {@code ImplCache.find}); in some
 * JVMs a standalone compilation of one of them had failed its type speculation 4 times, and a
 * kernel method with more than 25 operations then boxed the vectors it stored last (the S1-like
 * Winograd input transform: 4 per window row; the S3-like pixel tiles: their accumulators). The
 * kernels now test each stored vector's class, take no loop-carried receiver and broadcast
 * scalars from the species ({@code F32Tiles.VCLASS}).
 *
 * <p><b>The check.</b> Forked JVMs run {@link BoxingProbe} with {@code -XX:PerMethodTrapLimit=0}:
 * every compilation then counts as past the limit from its first method on, for every trap reason,
 * the worst case of the failure for every kernel method, whatever ran before. The kernels written
 * as they were before boxed in every call there (S1-like Winograd 2.2 MB per call, S3-like pixel
 * 45 MB). {@code -Xbatch} runs every compilation in the foreground: what a call runs depends on the
 * calls before it, not on the compiler threads' timing. {@code -XX:CompileThresholdScaling=0.05}
 * has C2 compile after few calls: the kernels measured within their bound after at most 5 calls per
 * problem, and {@link #MAX_CALLS} allows 40 times that. So the outcome is the same in every run:
 * boxing in the compiled kernels fails it every time, and nothing else does. The JVM on an
 * AVX-512 machine runs it twice, the second time with 256-bit vectors ({@code -XX:UseAVX=2}, the
 * species of AVX2 machines). {@link #theStressBoxesALoopCarriedReceiver} shows that the stress
 * works on JDK 17 (JDK 25 binds these calls exactly: there the kernels boxed in no case).
 */
class SimdBoxingTest {
  /** Calls per problem at most until one allocates within the bound. */
  static final int MAX_CALLS = 200;

  private static List<Run> runs;

  /** One forked probe JVM: its flags and its output lines. */
  record Run(String flags, List<String> lines) {}

  @BeforeAll
  static void runProbes() throws IOException, InterruptedException {
    assumeTrue(SimdSupport.available(), "the Vector API is not available in this JVM");
    runs = new ArrayList<>();
    Run first = probe(List.of());
    runs.add(first);
    String arch = System.getProperty("os.arch");
    if (first.lines().contains("vector bits=512") && (arch.equals("amd64") || arch.equals("x86_64"))) {
      runs.add(probe(List.of("-XX:UseAVX=2")));
    }
  }

  private static Run probe(List<String> extra) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-modules=jdk.incubator.vector");
    cmd.add("-XX:PerMethodTrapLimit=0");
    cmd.add("-Xbatch");
    cmd.add("-XX:CompileThresholdScaling=0.05");
    cmd.addAll(extra);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BoxingProbe.class.getName(),
        Integer.toString(MAX_CALLS)));
    Path out = Files.createTempFile("convgrad-boxing", ".out");
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      boolean done = p.waitFor(10, TimeUnit.MINUTES);
      if (!done) {
        p.destroyForcibly();
      }
      String text = Files.readString(out, StandardCharsets.UTF_8);
      assertTrue(done, () -> "the probe JVM did not finish in 10 minutes: " + text);
      assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + "\n" + text);
      return new Run(String.join(" ", extra), text.lines().toList());
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static final Pattern MEASURE = Pattern.compile("calls=(\\d+) bytes=(\\d+) bound=(\\d+)$");

  @Test
  void noKernelBoxesWhereC2BindsTheVectorApiThroughVirtualCalls() {
    int problems = BoxingProbe.problems().size();
    for (Run r : runs) {
      List<String> failed = new ArrayList<>();
      int measured = 0;
      for (String line : r.lines()) {
        if (!line.startsWith("problem ")) {
          continue;
        }
        Matcher m = MEASURE.matcher(line);
        assertTrue(m.find(), line);
        measured++;
        if (Long.parseLong(m.group(2)) > Long.parseLong(m.group(3))) {
          failed.add(line);
        }
      }
      assertEquals(2 * problems, measured, () -> "probe output with " + r.flags() + ":\n" + String.join("\n", r.lines()));
      assertTrue(failed.isEmpty(), () -> "with -XX:PerMethodTrapLimit=0 " + r.flags() + ", still above the bound after "
          + MAX_CALLS + " calls (boxed vectors):\n" + String.join("\n", failed));
    }
  }

  /**
   * The canary, a loop whose accumulator is the receiver of its {@code add}, boxes in every
   * iteration under the probe's flags on JDK 17 (a box per call without them): they do make C2 bind
   * the Vector API through real virtual calls, so the kernels' check above is not vacuous.
   */
  @Test
  void theStressBoxesALoopCarriedReceiver() {
    assumeTrue(Runtime.version().feature() == 17,
        "the canary is known to box on JDK 17; JDK " + Runtime.version().feature() + " may bind its calls exactly");
    for (Run r : runs) {
      String canary = r.lines().stream().filter(l -> l.startsWith("canary ")).findFirst()
          .orElseThrow(() -> new AssertionError("no canary line:\n" + String.join("\n", r.lines())));
      Matcher m = MEASURE.matcher(canary);
      assertTrue(m.find(), canary);
      // 64 iterations: a box (about 100 bytes) per iteration, not just the one after the loop.
      assertTrue(Long.parseLong(m.group(2)) > 1024, () -> "with " + r.flags() + " the canary did not box: " + canary);
    }
  }
}
