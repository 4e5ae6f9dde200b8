package org.convgrad.bench;

import java.util.Locale;
import org.convgrad.engine.Engine;

/**
 * What a Spark task pays to learn whether its batch kept within Winograd's limit, per shape S1-S6,
 * in one JVM: a call followed by a scan of out_backprop where the kernel's choice depends on the
 * values (before), a call that returns the scan it made while computing ({@link
 * Engine#backpropInputScanned}, now), and the scan alone ({@link BestOf}).
 *
 * <p>{@code MAIN=org.convgrad.bench.ScanCost benchmarks/run.sh [--threads 2] [--rounds 7]}
 */
public final class ScanCost {
  static volatile double sink; // what the scans found, so that no JIT drops them

  private ScanCost() {}

  public static void main(String[] args) {
    ShapeTable.print(args, "| shape | values choose the tiles | call, then scan: ms | scanned call: ms | scan alone: ms |"
        + "\n|---|---|---|---|---|", (e, op, w, dy, packed, rounds) -> {
          boolean scans = packed.kernel().outBackpropLimit(op, packed) < Double.POSITIVE_INFINITY;
          double[] ns = BestOf.medianNanos(rounds,
              () -> {
                e.backpropInput(op, packed, dy);
                if (scans) {
                  sink += packed.kernel().scan(dy).maxAbs();
                }
              },
              () -> e.backpropInputScanned(op, packed, dy),
              () -> packed.kernel().scan(dy));
          return String.format(Locale.ROOT, "%s | %.2f | %.2f | %.3f", scans ? "yes" : "no", ns[0] / 1e6, ns[1] / 1e6,
              ns[2] / 1e6);
        });
  }
}
