package org.convgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The descriptor's geometry and the checks TensorFlow's CPU kernel cannot show (it refuses NCHW, groups). */
class Conv2dBackpropInputTest {
  private static Conv2dBackpropInput op(long[] sizes, long[] filter, long[] dy, ConvParams params) {
    return Conv2dBackpropInput.of(sizes, Shape.of(filter), DType.FLOAT32, Shape.of(dy), DType.FLOAT32, params);
  }

  @Test
  void sameSendsTheOddPadPixelAfter() {
    // i = 5, k = 4, s = 1: o = 5, pad_total = 3, before 1, after 2.
    ConvGeometry g = op(new long[] {1, 5, 5, 1}, new long[] {4, 4, 1, 1}, new long[] {1, 5, 5, 1},
        ConvParams.of(p -> p.padding(Padding.SAME))).geometry();
    assertEquals(1, g.padTop());
    assertEquals(2, g.padBottom());
    assertEquals(5, g.outHeight());
  }

  @Test
  void dilationWidensTheFilterInTheOutputSizeRule() {
    // k' = (3 - 1) * 2 + 1 = 5; VALID: o = (9 - 5 + 1) / 1 = 5.
    ConvGeometry g = op(new long[] {1, 9, 9, 2}, new long[] {3, 3, 2, 4}, new long[] {1, 5, 5, 4},
        ConvParams.of(p -> p.dilations(2))).geometry();
    assertEquals(5, g.outWidth());
    assertEquals(2, g.dilationW());
  }

  @Test
  void nchwReadsSizesInItsOwnOrder() {
    ConvParams params = ConvParams.of(p -> p.dataFormat(DataFormat.NCHW).strides(2).padding(Padding.SAME));
    assertArrayEquals(new long[] {1, 1, 2, 2}, params.strides());
    Conv2dBackpropInput o = op(new long[] {2, 3, 7, 9}, new long[] {3, 3, 3, 5}, new long[] {2, 5, 4, 5}, params);
    ConvGeometry g = o.geometry();
    assertEquals(7, g.inHeight());
    assertEquals(9, g.inWidth());
    assertEquals(3, g.inDepth());
    assertEquals(Shape.of(2, 3, 7, 9), o.inputShape());
  }

  @Test
  void twoInputSizesTakeBatchFromOutBackpropAndDepthFromTheFilter() {
    Conv2dBackpropInput o = op(new long[] {6, 6}, new long[] {3, 3, 4, 8}, new long[] {3, 6, 6, 8},
        ConvParams.of(p -> p.padding(Padding.SAME)));
    assertEquals(Shape.of(3, 6, 6, 4), o.inputShape());
  }

  @Test
  void groupsComeFromTheDepthRatio() {
    ConvGeometry g = op(new long[] {1, 4, 4, 6}, new long[] {1, 1, 2, 9}, new long[] {1, 4, 4, 9},
        ConvParams.of(p -> p.padding(Padding.VALID))).geometry();
    assertEquals(3, g.groups());
    assertEquals(3, g.outDepthPerGroup());
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> op(new long[] {1, 4, 4, 6}, new long[] {1, 1, 2, 8}, new long[] {1, 4, 4, 8}, ConvParams.of(p -> p.padding(Padding.VALID))));
    assertTrue(e.getMessage().contains("output depth must be evenly divisible by number of groups: 8 vs 3"), e.getMessage());
  }

  @Test
  void zeroOutputSizeIsAcceptedNegativeIsNot() {
    // VALID, i = 1, k = 5, s = 3: o = (1 - 5 + 3) / 3 = -1 / 3 = 0 (truncation toward zero).
    assertEquals(0, op(new long[] {1, 1, 1, 1}, new long[] {5, 5, 1, 1}, new long[] {1, 0, 0, 1},
        ConvParams.of(p -> p.strides(3))).geometry().outHeight());
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> op(new long[] {1, 1, 1, 1}, new long[] {5, 5, 1, 1}, new long[] {1, 0, 0, 1}, ConvParams.of(p -> p.strides(1))));
    assertTrue(e.getMessage().startsWith("Computed output size would be negative: -3"), e.getMessage());
  }

  @Test
  void mismatchSaysWhichInputSizesWouldFit() {
    // VALID, k = 3, s = 2, o = 4 comes from i = 9 or 10.
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> op(new long[] {1, 11, 9, 1}, new long[] {3, 3, 1, 1}, new long[] {1, 4, 4, 1}, ConvParams.of(p -> p.strides(2))));
    assertTrue(e.getMessage().contains("actual = 4, computed = 5 spatial_dim: 1 input: 11"), e.getMessage());
    assertTrue(e.getMessage().contains("consistent with input sizes 9 to 10"), e.getMessage());
  }

  @Test
  void dtypesMustAgree() {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> Conv2dBackpropInput.of(new long[] {1, 3, 3, 1}, Shape.of(1, 1, 1, 1), DType.FLOAT32, Shape.of(1, 3, 3, 1), DType.HALF,
            ConvParams.of(p -> { })));
    assertTrue(e.getMessage().contains("filter is float and out_backprop is half"), e.getMessage());
  }

  @Test
  void aResultTooLargeForOneTensorIsRejectedBeforeAllocation() {
    // A whole dataset may be validated at any size (the Spark job does so); one tensor cannot hold it.
    Conv2dBackpropInput huge = op(new long[] {1 << 20, 1 << 10, 1 << 10, 1}, new long[] {1, 1, 1, 1},
        new long[] {1 << 20, 1 << 10, 1 << 10, 1}, ConvParams.of(p -> { }));
    Tensor filter = Tensor.zeros(DType.FLOAT32, Shape.of(1, 1, 1, 1));
    Tensor dy = Tensor.zeros(DType.FLOAT32, Shape.of(1, 1, 1, 1));
    try (Engine engine = Engine.create(b -> b.threads(1))) {
      InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
          () -> engine.backpropInput(huge, filter, dy));
      assertTrue(e.getMessage().startsWith("the result (input_sizes) of shape [1048576, 1024, 1024, 1]"), e.getMessage());
    }
    InvalidArgumentException overflow = assertThrows(InvalidArgumentException.class,
        () -> op(new long[] {1L << 40, 1L << 40, 1, 1}, new long[] {1, 1, 1, 1}, new long[] {1L << 40, 1L << 40, 1, 1},
            ConvParams.of(p -> { })));
    assertTrue(overflow.getMessage().contains("more elements than a long can count"), overflow.getMessage());
  }

  @Test
  void attributesOutsideInt32AndOverflowingSizesAreRejected() {
    InvalidArgumentException stride = assertThrows(InvalidArgumentException.class,
        () -> op(new long[] {1, 5, 5, 1}, new long[] {3, 3, 1, 1}, new long[] {1, 1, 1, 1}, ConvParams.of(p -> p.strides(1L << 31))));
    assertTrue(stride.getMessage().startsWith("Attr strides has value 2147483648 out of range for an int32"), stride.getMessage());
    InvalidArgumentException pads = assertThrows(InvalidArgumentException.class,
        () -> op(new long[] {1, 5, 5, 1}, new long[] {3, 3, 1, 1}, new long[] {1, 1, 1, 1},
            ConvParams.of(p -> p.padding(Padding.EXPLICIT).explicitPaddings(0, 0, Long.MAX_VALUE, Long.MAX_VALUE, 0, 0, 0, 0))));
    assertTrue(pads.getMessage().startsWith("Sizes overflow a 64-bit integer in spatial dimension 1"), pads.getMessage());
  }

  @Test
  void theSizeHintHoldsForHugeStrides() {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> op(new long[] {1, 5, 5, 1}, new long[] {1, 1, 1, 1}, new long[] {1, 2, 1, 1}, ConvParams.of(p -> p.strides(1 << 30))));
    assertTrue(e.getMessage().contains("consistent with input sizes 1073741825 to 2147483648"), e.getMessage());
  }

  @Test
  void shorthandStridesFollowTheDataFormat() {
    assertArrayEquals(new long[] {1, 2, 3, 1}, ConvParams.of(p -> p.strides(2, 3)).strides());
    assertArrayEquals(new long[] {1, 1, 2, 3}, ConvParams.of(p -> p.strides(2, 3).dataFormat(DataFormat.NCHW)).strides());
  }
}
