package org.convgrad.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/**
 * The SIMD engine's Winograd path against its direct tiles on the same problems, in one JVM: both
 * filters packed once (with {@code convgrad.winograd} true, then false), then rounds of 15 calls
 * each, alternating, the fastest call of each counting; prints the medians over the rounds and
 * their ratio. Decides which strided filters Winograd takes ({@code Winograd.applies}).
 *
 * <p>{@code MAIN=org.convgrad.bench.WinogradVsDirect benchmarks/run.sh [--threads 2] [--rounds 9]}
 */
public final class WinogradVsDirect {
  private WinogradVsDirect() {}

  private static final List<Shapes> PROBLEMS = List.of(
      new Shapes("S1", 8, 56, 56, 64, 3, 3, 64, 1, Padding.SAME),
      new Shapes("S4", 16, 32, 32, 128, 4, 4, 256, 2, Padding.SAME),
      new Shapes("S2 5x5", 8, 56, 56, 64, 5, 5, 128, 2, Padding.SAME));

  public static void main(String[] args) {
    int threads = 2;
    int rounds = 9;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--threads N, --rounds N)");
      }
    }
    int t = threads;
    System.out.println("| problem | Winograd GFLOP/s | direct GFLOP/s | Winograd / direct |\n|---|---|---|---|");
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(t))) {
      for (Shapes s : PROBLEMS) {
        Conv2dBackpropInput op = Conv2dBackpropInput.of(new long[] {s.n(), s.h(), s.w(), s.ic()},
            Shape.of(s.fh(), s.fw(), s.ic(), s.oc()), DType.FLOAT32, Shape.of(s.n(), s.outH(), s.outW(), s.oc()),
            DType.FLOAT32, ConvParams.of(b -> b.strides(s.stride()).padding(s.padding())));
        SplittableRandom rnd = new SplittableRandom(1);
        Tensor w = random(op.filterShape(), rnd);
        Tensor dy = random(op.outBackpropShape(), rnd);
        PackedFilter[] packed = new PackedFilter[2];
        for (int v = 0; v < 2; v++) {
          System.setProperty("convgrad.winograd", Boolean.toString(v == 0));
          packed[v] = e.pack(op, w);
        }
        double[][] rates = new double[2][rounds];
        for (int r = -3; r < rounds; r++) { // three rounds of warm-up
          for (int v = 0; v < 2; v++) {
            System.setProperty("convgrad.winograd", Boolean.toString(v == 0));
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 15; i++) {
              long t0 = System.nanoTime();
              e.backpropInput(op, packed[v], dy);
              best = Math.min(best, System.nanoTime() - t0);
            }
            if (r >= 0) {
              rates[v][r] = s.flops() / best;
            }
          }
        }
        System.clearProperty("convgrad.winograd");
        double wino = median(rates[0]);
        double direct = median(rates[1]);
        System.out.printf(Locale.ROOT, "| %s %s | %.1f | %.1f | %.2f |%n", s.name(), s.describe(), wino, direct, wino / direct);
      }
    }
  }

  private static Tensor random(Shape shape, SplittableRandom rnd) {
    float[] v = new float[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextDouble(-1, 1);
    }
    return Tensor.ofFloat32(shape, v);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
