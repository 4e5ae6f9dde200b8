package org.convgrad.bench;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Tensor;

/**
 * A Markdown table with a row per shape S1-S6 (float32, the filter packed once) on one SIMD engine
 * of {@code --threads} threads, timed over {@code --rounds} rounds ({@link BestOf#options}).
 */
final class ShapeTable {
  /** One shape's row, its cells after the shape's name. */
  interface Row {
    String cells(Engine e, Conv2dBackpropInput op, Tensor w, Tensor dy, PackedFilter packed, int rounds);
  }

  private ShapeTable() {}

  static void print(String[] args, String header, Row row) {
    int[] threadsAndRounds = BestOf.options(args, 7);
    System.out.println(header);
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(threadsAndRounds[0]))) {
      for (Shapes s : Shapes.ALL) {
        Conv2dBackpropInput op = s.op(DType.FLOAT32);
        Tensor w = s.filter32();
        Tensor dy = s.outBackprop32();
        System.out.println("| " + s.name() + " | " + row.cells(e, op, w, dy, e.pack(op, w), threadsAndRounds[1]) + " |");
      }
    }
  }
}
