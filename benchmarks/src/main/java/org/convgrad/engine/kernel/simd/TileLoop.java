package org.convgrad.engine.kernel.simd;

import jdk.incubator.vector.FloatVector;

/**
 * The float32 block tile on data in L1, and the machine's FMA rate, for {@code TileCeiling}: in the
 * engine's package because the tiles are not public API.
 */
public final class TileLoop {
  private static final int TILE_CALLS = 2000;
  private static final int PEAK_ITERATIONS = 1 << 16;

  private TileLoop() {}

  /**
   * GFLOP/s of {@link F32Tiles#tile6} over {@code k} out channels per call, all its operands in L1
   * (6 rows of {@code k} out_backprop values, {@code k} x 2 vectors of filter, its accumulators):
   * the fastest of {@code reps} runs of {@link #TILE_CALLS} calls.
   */
  public static double tileGflops(int k, int reps) {
    float[] a = new float[6 * k];
    float[] b = new float[k * F32Tiles.NB];
    float[] acc = new float[F32Tiles.ACC];
    for (int i = 0; i < a.length; i++) {
      a[i] = (i % 7) * 1e-3f;
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (i % 5) * 1e-3f;
    }
    int[] ao = {0, k, 2 * k, 3 * k, 4 * k, 5 * k};
    long best = Long.MAX_VALUE;
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < TILE_CALLS; i++) {
        F32Tiles.tile6(a, ao, 6, k, b, 0, acc, 0);
      }
      best = Math.min(best, System.nanoTime() - t0);
    }
    return 2.0 * TILE_CALLS * 6 * F32Tiles.NB * k / best;
  }

  /**
   * GFLOP/s of 12 independent chains of vector FMAs, no memory operands: what one core's FMA units
   * do at most in this JVM (the tile does 12 FMAs per out channel, with its loads and broadcasts).
   */
  public static double peakGflops(int reps) {
    float[] io = new float[12 * F32Tiles.L];
    for (int i = 0; i < io.length; i++) {
      io[i] = 1e-3f * i;
    }
    long best = Long.MAX_VALUE;
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      fmaChains(io);
      best = Math.min(best, System.nanoTime() - t0);
    }
    return 2.0 * PEAK_ITERATIONS * 12 * F32Tiles.L / best;
  }

  private static void fmaChains(float[] io) {
    int l = F32Tiles.L;
    FloatVector x = FloatVector.broadcast(F32Tiles.S, 0.999f);
    FloatVector y = FloatVector.broadcast(F32Tiles.S, 1e-4f);
    FloatVector c0 = FloatVector.fromArray(F32Tiles.S, io, 0);
    FloatVector c1 = FloatVector.fromArray(F32Tiles.S, io, l);
    FloatVector c2 = FloatVector.fromArray(F32Tiles.S, io, 2 * l);
    FloatVector c3 = FloatVector.fromArray(F32Tiles.S, io, 3 * l);
    FloatVector c4 = FloatVector.fromArray(F32Tiles.S, io, 4 * l);
    FloatVector c5 = FloatVector.fromArray(F32Tiles.S, io, 5 * l);
    FloatVector c6 = FloatVector.fromArray(F32Tiles.S, io, 6 * l);
    FloatVector c7 = FloatVector.fromArray(F32Tiles.S, io, 7 * l);
    FloatVector c8 = FloatVector.fromArray(F32Tiles.S, io, 8 * l);
    FloatVector c9 = FloatVector.fromArray(F32Tiles.S, io, 9 * l);
    FloatVector c10 = FloatVector.fromArray(F32Tiles.S, io, 10 * l);
    FloatVector c11 = FloatVector.fromArray(F32Tiles.S, io, 11 * l);
    for (int i = 0; i < PEAK_ITERATIONS; i++) {
      // The loop-carried values as arguments, never the receiver: see F32Tiles#VCLASS.
      c0 = x.fma(c0, y);
      c1 = x.fma(c1, y);
      c2 = x.fma(c2, y);
      c3 = x.fma(c3, y);
      c4 = x.fma(c4, y);
      c5 = x.fma(c5, y);
      c6 = x.fma(c6, y);
      c7 = x.fma(c7, y);
      c8 = x.fma(c8, y);
      c9 = x.fma(c9, y);
      c10 = x.fma(c10, y);
      c11 = x.fma(c11, y);
    }
    FloatVector sum = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11);
    if (sum.getClass() != F32Tiles.VCLASS) {
      throw new IllegalStateException(); // unreachable: tells C2 the stored vector's class
    }
    sum.intoArray(io, 0); // kept, so that the chains are not dead code
  }
}
