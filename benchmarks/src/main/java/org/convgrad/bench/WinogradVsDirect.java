package org.convgrad.bench;

import java.util.List;
import java.util.Locale;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Tensor;

/**
 * The SIMD engine's Winograd path against its direct tiles on the same problems, in one JVM: the
 * filter packed for each ({@code convgrad.winograd} true, then false), then the two alternating
 * ({@link BestOf}). Decides which strided filters Winograd takes ({@code Winograd.applies}).
 *
 * <p>{@code MAIN=org.convgrad.bench.WinogradVsDirect benchmarks/run.sh [--threads 2] [--rounds 9]}
 */
public final class WinogradVsDirect {
  private WinogradVsDirect() {}

  private static final List<Shapes> PROBLEMS = List.of(
      Shapes.ALL.get(1),
      Shapes.ALL.get(0),
      Shapes.ALL.get(3),
      new Shapes("S2 5x5", 8, 56, 56, 64, 5, 5, 128, 2, Padding.SAME));

  public static void main(String[] args) {
    int[] threadsAndRounds = BestOf.options(args, 9);
    System.out.println("| problem | Winograd GFLOP/s | direct GFLOP/s | Winograd / direct |\n|---|---|---|---|");
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(threadsAndRounds[0]))) {
      for (Shapes s : PROBLEMS) {
        Conv2dBackpropInput op = s.op(DType.FLOAT32);
        Tensor w = s.filter32();
        Tensor dy = s.outBackprop32();
        Runnable[] calls = new Runnable[2];
        for (int v = 0; v < 2; v++) {
          boolean winograd = v == 0;
          System.setProperty("convgrad.winograd", Boolean.toString(winograd));
          PackedFilter f = e.pack(op, w);
          calls[v] = () -> {
            // Read per call: with it false, a Winograd-packed filter would run the direct tiles too.
            System.setProperty("convgrad.winograd", Boolean.toString(winograd));
            e.backpropInput(op, f, dy);
          };
        }
        double[] ns = BestOf.medianNanos(threadsAndRounds[1], calls);
        System.clearProperty("convgrad.winograd");
        double wino = s.flops() / ns[0];
        double direct = s.flops() / ns[1];
        System.out.printf(Locale.ROOT, "| %s %s | %.1f | %.1f | %.2f |%n", s.name(), s.describe(), wino, direct, wino / direct);
      }
    }
  }
}
