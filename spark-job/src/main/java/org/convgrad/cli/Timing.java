package org.convgrad.cli;

import java.util.Arrays;
import java.util.function.Supplier;

/** Runs work N times and reports the median, so the op can be timed from the shell. */
final class Timing {
  private Timing() {}

  record Result<T>(T value, long[] nanos) {
    double medianSeconds() {
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      int n = sorted.length;
      double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
      return median / 1e9;
    }

    String describe(double flops) {
      double s = medianSeconds();
      return String.format("%s run(s), median %.4f s per run, %.2f GFLOP/s", nanos.length, s, flops / s / 1e9);
    }
  }

  static <T> Result<T> repeat(int times, Supplier<T> work) {
    long[] nanos = new long[times];
    T value = null;
    for (int i = 0; i < times; i++) {
      long start = System.nanoTime();
      value = work.get();
      nanos[i] = System.nanoTime() - start;
    }
    return new Result<>(value, nanos);
  }
}
