package org.convgrad.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.simd.SimdBackpropInputKernel;
import org.convgrad.engine.tensor.Tensor;

/**
 * How the SIMD engine scales with its thread count on S1-S6: per shape, one engine per thread
 * count, each with the filter packed once, timed in alternating rounds ({@link BestOf}), and each
 * result compared bit for bit with the one-thread result. Prints a Markdown table: speed-up over one
 * thread and efficiency (speed-up / threads), for calls that return a new result and for calls
 * into a result kept across calls (a new one is allocated and zeroed on the calling thread alone).
 * Exits with status 1 when a result's bits differ.
 *
 * <p>{@code MAIN=org.convgrad.bench.Scaling benchmarks/run.sh [--threads 1,2,4,8,16] [--rounds 5]
 * [--shapes S1,S6]}; on the 16-core device: {@code benchmarks/scaling/} (README there).
 */
public final class Scaling {
  private Scaling() {}

  public static void main(String[] args) {
    int cores = Runtime.getRuntime().availableProcessors();
    List<Integer> threads = new ArrayList<>();
    for (int t = 1; t <= cores; t *= 2) {
      threads.add(t);
    }
    int rounds = 5;
    List<Shapes> shapes = Shapes.ALL;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threads = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--shapes" -> {
          List<String> names = List.of(args[++i].split(","));
          shapes = Shapes.ALL.stream().filter(s -> names.contains(s.name())).toList();
        }
        default -> throw new IllegalArgumentException(
            "unknown option " + args[i] + " (--threads 1,2,4, --rounds N, --shapes S1,S2)");
      }
    }
    if (threads.isEmpty() || threads.get(0) != 1) {
      throw new IllegalArgumentException("--threads must start with 1 (the speed-ups are over one thread), but got " + threads);
    }
    System.out.printf(Locale.ROOT, "Java %s, %d cores, rounds %d%n%n", Runtime.version(), cores, rounds);
    System.out.println("| shape | tiles | threads | ms | GFLOP/s | speed-up | efficiency "
        + "| into a result: ms | GFLOP/s | speed-up | efficiency | bits as 1 thread |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
    boolean allSame = true;
    for (Shapes s : shapes) {
      allSame &= run(s, threads, rounds);
    }
    if (!allSame) {
      System.out.println("\nFAILED: a result differs from the one-thread result");
      System.exit(1);
    }
  }

  /** Times one shape on every thread count; false when a result's bits differ from one thread's. */
  private static boolean run(Shapes s, List<Integer> threads, int rounds) {
    Conv2dBackpropInput op = s.op(DType.FLOAT32);
    Tensor w = s.filter32();
    Tensor dy = s.outBackprop32();
    List<Engine> engines = new ArrayList<>();
    try {
      int n = threads.size();
      Runnable[] calls = new Runnable[2 * n]; // [0, n): a new result per call; [n, 2n): into one kept
      float[][] results = new float[n][];
      for (int i = 0; i < n; i++) {
        int t = threads.get(i);
        Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(t));
        engines.add(e);
        PackedFilter f = e.pack(op, w);
        results[i] = e.backpropInput(op, f, dy).toFloatArray();
        Tensor kept = e.resultFor(op);
        calls[i] = () -> e.backpropInput(op, f, dy);
        calls[n + i] = () -> e.backpropInput(op, f, dy, kept);
      }
      double[] ns = BestOf.medianNanos(rounds, calls);
      boolean allSame = true;
      for (int i = 0; i < n; i++) {
        boolean same = Arrays.equals(results[0], results[i]);
        allSame &= same;
        int t = threads.get(i);
        double speedUp = ns[0] / ns[i];
        double intoSpeedUp = ns[n] / ns[n + i];
        System.out.printf(Locale.ROOT, "| %s | %s | %d | %.2f | %.1f | %.2f | %.2f | %.2f | %.1f | %.2f | %.2f | %s |%n",
            s.name(), SimdBackpropInputKernel.strategy(op), t, ns[i] / 1e6, s.flops() / ns[i], speedUp, speedUp / t,
            ns[n + i] / 1e6, s.flops() / ns[n + i], intoSpeedUp, intoSpeedUp / t, same ? "yes" : "NO");
      }
      return allSame;
    } finally {
      engines.forEach(Engine::close);
    }
  }
}
