package org.convgrad.bench;

import java.util.Locale;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.simd.TileLoop;
import org.convgrad.engine.tensor.Tensor;

/**
 * How close the float32 block tile and S5 (a plain GEMM on that tile) come to one core's FMA rate,
 * in one JVM on one thread: 12 chains of FMAs without memory operands, the tile with its operands
 * in L1 (per call 128, 256 and 1024 out channels: the engine calls it with a reduction's out
 * channels, up to a chunk of 1024), S5 through the
 * SIMD engine with its filter packed once and through oneDNN's primitive ({@link BestOf}). Rounds
 * alternate them.
 *
 * <p>{@code OMP_NUM_THREADS=1 MAIN=org.convgrad.bench.TileCeiling benchmarks/run.sh [--rounds 7]}
 * (oneDNN takes its threads from OMP_NUM_THREADS).
 */
public final class TileCeiling {
  private static final int[] OUT_CHANNELS = {128, 256, 1024};

  private TileCeiling() {}

  public static void main(String[] args) {
    int rounds = BestOf.options(args, 7)[1];
    Shapes s5 = Shapes.ALL.stream().filter(s -> s.name().equals("S5")).findFirst().orElseThrow();
    double[][] gflops = new double[3 + OUT_CHANNELS.length][rounds];
    Conv2dBackpropInput op = s5.op(DType.FLOAT32);
    float[] wv = Shapes.random((int) op.filterShape().elementCount(), 1);
    float[] dyv = Shapes.random((int) op.outBackpropShape().elementCount(), 2);
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(1));
        OneDnn dnn = new OneDnn(s5, wv, dyv)) {
      Tensor w = Tensor.ofFloat32(op.filterShape(), wv);
      Tensor dy = Tensor.ofFloat32(op.outBackpropShape(), dyv);
      PackedFilter packed = e.pack(op, w);
      for (int r = -BestOf.WARMUP_ROUNDS; r < rounds; r++) {
        double[] g = new double[gflops.length];
        g[0] = TileLoop.peakGflops(BestOf.CALLS);
        for (int i = 0; i < OUT_CHANNELS.length; i++) {
          g[1 + i] = TileLoop.tileGflops(OUT_CHANNELS[i], BestOf.CALLS);
        }
        g[g.length - 2] = s5.flops() / BestOf.nanos(() -> e.backpropInput(op, packed, dy));
        g[g.length - 1] = s5.flops() / BestOf.nanos(dnn::runPrimitive);
        for (int i = 0; r >= 0 && i < g.length; i++) {
          gflops[i][r] = g[i];
        }
      }
    }
    System.out.println("| one thread | GFLOP/s (median of " + rounds + " rounds) | of the FMA chains |\n|---|---|---|");
    double peak = BestOf.median(gflops[0]);
    row("12 FMA chains, no memory operands", peak, peak);
    for (int i = 0; i < OUT_CHANNELS.length; i++) {
      row("block tile 6 x 2 vectors, data in L1, " + OUT_CHANNELS[i] + " out channels per call", BestOf.median(gflops[1 + i]), peak);
    }
    row("S5 f32, SIMD engine, filter packed once", BestOf.median(gflops[gflops.length - 2]), peak);
    row("S5 f32, oneDNN primitive (OMP_NUM_THREADS threads)", BestOf.median(gflops[gflops.length - 1]), peak);
  }

  private static void row(String what, double gflops, double peak) {
    System.out.printf(Locale.ROOT, "| %s | %.1f | %.2f |%n", what, gflops, gflops / peak);
  }
}
