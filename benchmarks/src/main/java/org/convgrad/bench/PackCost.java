package org.convgrad.bench;

import java.util.Locale;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Tensor;

/**
 * What packing the filter costs a call of the SIMD engine, per shape S1-S6, in one JVM: a call
 * with a filter packed once, one that packs it, and the packing alone ({@link BestOf}).
 *
 * <p>{@code MAIN=org.convgrad.bench.PackCost benchmarks/run.sh [--threads 2] [--rounds 7]}
 */
public final class PackCost {
  private PackCost() {}

  public static void main(String[] args) {
    int[] threadsAndRounds = BestOf.options(args, 7);
    System.out.println("| shape | packed once: ms | packed in the call: ms | pack alone: ms |\n|---|---|---|---|");
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(threadsAndRounds[0]))) {
      for (Shapes s : Shapes.ALL) {
        Conv2dBackpropInput op = s.op(DType.FLOAT32);
        Tensor w = Tensor.ofFloat32(op.filterShape(), Shapes.random((int) op.filterShape().elementCount(), 1));
        Tensor dy = Tensor.ofFloat32(op.outBackpropShape(), Shapes.random((int) op.outBackpropShape().elementCount(), 2));
        PackedFilter packed = e.pack(op, w);
        double[] ns = BestOf.medianNanos(threadsAndRounds[1],
            () -> e.backpropInput(op, packed, dy), () -> e.backpropInput(op, w, dy), () -> e.pack(op, w));
        System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.3f |%n", s.name(), ns[0] / 1e6, ns[1] / 1e6, ns[2] / 1e6);
      }
    }
  }
}
