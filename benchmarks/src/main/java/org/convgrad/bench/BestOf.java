package org.convgrad.bench;

import java.util.Arrays;

/**
 * Timing for the in-process comparisons (WinogradVsDirect, PackCost): the fastest of a few calls
 * back to back, which on these shared machines moves less than a single call, and medians over
 * rounds that alternate the variants compared.
 */
final class BestOf {
  /** Calls per variant and round. */
  static final int CALLS = 15;
  /** Rounds run and dropped before the timed ones. */
  static final int WARMUP_ROUNDS = 3;

  private BestOf() {}

  /** The fastest of {@link #CALLS} calls, in nanoseconds. */
  static long nanos(Runnable call) {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < CALLS; i++) {
      long t0 = System.nanoTime();
      call.run();
      best = Math.min(best, System.nanoTime() - t0);
    }
    return best;
  }

  /**
   * For each variant, the median over {@code rounds} rounds of its {@link #nanos}; every round runs
   * the variants in turn, after {@link #WARMUP_ROUNDS} untimed rounds.
   */
  static double[] medianNanos(int rounds, Runnable... variants) {
    double[][] t = new double[variants.length][rounds];
    for (int r = -WARMUP_ROUNDS; r < rounds; r++) {
      for (int v = 0; v < variants.length; v++) {
        long n = nanos(variants[v]);
        if (r >= 0) {
          t[v][r] = n;
        }
      }
    }
    double[] medians = new double[variants.length];
    for (int v = 0; v < variants.length; v++) {
      medians[v] = median(t[v]);
    }
    return medians;
  }

  /** The median of {@code v} (the upper one of an even count); {@code v} is left as it was. */
  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }

  /** The comparisons' options: {@code --threads N} (2) and {@code --rounds N} ({@code rounds}). */
  static int[] options(String[] args, int rounds) {
    int[] out = {2, rounds};
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> out[0] = Integer.parseInt(args[++i]);
        case "--rounds" -> out[1] = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--threads N, --rounds N)");
      }
    }
    return out;
  }
}
