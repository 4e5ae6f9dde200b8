package org.convgrad.bench;

import java.util.Locale;

/**
 * What packing the filter costs a call of the SIMD engine, per shape S1-S6, in one JVM: a call
 * with a filter packed once, one that packs it, and the packing alone ({@link BestOf}).
 *
 * <p>{@code MAIN=org.convgrad.bench.PackCost benchmarks/run.sh [--threads 2] [--rounds 7]}
 */
public final class PackCost {
  private PackCost() {}

  public static void main(String[] args) {
    ShapeTable.print(args, "| shape | packed once: ms | packed in the call: ms | pack alone: ms |\n|---|---|---|---|",
        (e, op, w, dy, packed, rounds) -> {
          double[] ns = BestOf.medianNanos(rounds,
              () -> e.backpropInput(op, packed, dy), () -> e.backpropInput(op, w, dy), () -> e.pack(op, w));
          return String.format(Locale.ROOT, "%.2f | %.2f | %.3f", ns[0] / 1e6, ns[1] / 1e6, ns[2] / 1e6);
        });
  }
}
