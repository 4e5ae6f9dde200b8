package org.convgrad.bench;

import java.util.Locale;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Tensor;

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
    int[] threadsAndRounds = BestOf.options(args, 7);
    System.out.println("| shape | values choose the tiles | call, then scan: ms | scanned call: ms | scan alone: ms |\n|---|---|---|---|---|");
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(threadsAndRounds[0]))) {
      for (Shapes s : Shapes.ALL) {
        Conv2dBackpropInput op = s.op(DType.FLOAT32);
        Tensor w = Tensor.ofFloat32(op.filterShape(), Shapes.random((int) op.filterShape().elementCount(), 1));
        Tensor dy = Tensor.ofFloat32(op.outBackpropShape(), Shapes.random((int) op.outBackpropShape().elementCount(), 2));
        PackedFilter packed = e.pack(op, w);
        boolean scans = packed.kernel().outBackpropLimit(op, packed) < Double.POSITIVE_INFINITY;
        double[] ns = BestOf.medianNanos(threadsAndRounds[1],
            () -> {
              e.backpropInput(op, packed, dy);
              if (scans) {
                sink += packed.kernel().scan(dy).maxAbs();
              }
            },
            () -> e.backpropInputScanned(op, packed, dy),
            () -> packed.kernel().scan(dy));
        System.out.printf(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.3f |%n", s.name(), scans ? "yes" : "no", ns[0] / 1e6, ns[1] / 1e6, ns[2] / 1e6);
      }
    }
  }
}
