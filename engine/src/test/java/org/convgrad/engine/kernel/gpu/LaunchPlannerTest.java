package org.convgrad.engine.kernel.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.junit.jupiter.api.Test;

/** The GPU's strategy, chosen without a GPU: a band runs the whole call's, so that its bits are the whole call's. */
class LaunchPlannerTest {
  @Test
  void aBandRunsTheWholeCallsStrategyThoughItsFewerPhasesWouldFitAGemm() {
    // Stride 300: the whole call has 300 x 300 phases, past CUDA's grid, and runs the direct gather;
    // its last band, of one row, has 300, which the tensor cores' GEMM would take.
    Conv2dBackpropInput whole = Conv2dBackpropInput.of(new long[] {1, 601, 300, 16}, Shape.of(1, 1, 16, 16),
        DType.HALF, Shape.of(1, 3, 1, 16), DType.HALF, ConvParams.of(b -> b.strides(300).padding(Padding.VALID)));
    Conv2dBackpropInput lastRow = whole.band(0, 600, 601);
    assertEquals(Strategy.TENSOR_CORE, LaunchPlanner.choose(lastRow.geometry(), DType.HALF, true, 80),
        "the band alone would take the tensor cores");
    assertEquals(Strategy.DIRECT, LaunchPlanner.choose(whole, true, 80));
    assertEquals(Strategy.DIRECT, LaunchPlanner.choose(lastRow, true, 80));
  }
}
