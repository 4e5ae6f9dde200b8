package org.convgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.function.Consumer;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The op as a value: checked when it is built, bound to shapes later, the same wherever it travels. */
class BackpropInputOpTest {
  private static String rejection(Consumer<BackpropInputOp.Builder> spec) {
    return assertThrows(InvalidArgumentException.class, () -> BackpropInputOp.of(spec)).getMessage();
  }

  @Test
  void attributesAndInputSizesAreCheckedWhenTheOpIsBuiltWithTensorFlowsMessages() {
    assertTrue(rejection(b -> b.inputSizes(1, 2, 3).padding(Padding.SAME))
        .startsWith("Conv2DBackpropInput requires input_sizes to contain 4 values or 2 values, but got: 3"));
    assertTrue(rejection(b -> b.inputSizes(5, -1)).contains("Dimension -1 must be >= 0"));
    assertTrue(rejection(b -> b.inputSizes(5, 5).strides(1, 0, 1, 1)).contains("strides should be larger than 0"));
    assertTrue(rejection(b -> b.inputSizes(5, 5).strides(2, 1, 1, 1))
        .contains("does not yet support strides in the batch and depth dimensions"));
    assertTrue(rejection(b -> b.inputSizes(5, 5).padding(Padding.EXPLICIT))
        .contains("explicit_paddings attribute must contain 8 values, but got: 0"));
    assertTrue(rejection(b -> b.inputSizes(5, 5).padding(Padding.SAME).explicitPaddings(0, 0, 1, 1, 1, 1, 0, 0))
        .contains("must be empty if the padding attribute is not EXPLICIT"));
    assertTrue(rejection(b -> b.inputSizes(5, 5).dilations(0)).contains("Dilated rates should be larger than 0"));
  }

  @Test
  void aNullAttributeIsRefusedWhereItIsGivenNamingIt() {
    BackpropInputOp.Builder b = BackpropInputOp.builder();
    assertEquals("padding", assertThrows(NullPointerException.class, () -> b.padding(null)).getMessage());
    assertEquals("dataFormat", assertThrows(NullPointerException.class, () -> b.dataFormat(null)).getMessage());
    assertEquals("explicitPaddings",
        assertThrows(NullPointerException.class, () -> b.explicitPaddings((long[]) null)).getMessage());
    assertEquals("kind", assertThrows(NullPointerException.class, () -> Engine.builder().kind(null)).getMessage());
    assertEquals("strides", assertThrows(NullPointerException.class, () -> b.strides((long[]) null)).getMessage());
    assertEquals("dilations", assertThrows(NullPointerException.class, () -> b.dilations((long[]) null)).getMessage());
    assertEquals("inputSizes", assertThrows(NullPointerException.class, () -> b.inputSizes((long[]) null)).getMessage());
  }

  @Test
  void paddingAndDataFormatAreSpelledAsTensorFlowSpellsThem() {
    assertEquals(Padding.SAME, Padding.parse("SAME"));
    assertEquals(DataFormat.NCHW, DataFormat.parse("NCHW"));
    for (String wrong : new String[] {"same", " SAME", "Valid", ""}) {
      assertTrue(assertThrows(InvalidArgumentException.class, () -> Padding.parse(wrong)).getMessage()
          .startsWith("Invalid padding: '" + wrong + "', expected SAME, VALID or EXPLICIT"), wrong);
    }
    assertThrows(InvalidArgumentException.class, () -> DataFormat.parse("nhwc"));
  }

  @Test
  void theSameChecksAsTheProblemDescriptorMakeTheSameMessages() {
    Shape w = Shape.of(3, 3, 2, 4);
    Shape dy = Shape.of(1, 3, 3, 4);
    ConvParams zeroStride = ConvParams.of(p -> p.strides(1, 0, 1, 1));
    String fromDescriptor = assertThrows(InvalidArgumentException.class,
        () -> Conv2dBackpropInput.of(new long[] {5, 5}, w, DType.FLOAT32, dy, DType.FLOAT32, zeroStride)).getMessage();
    assertEquals(fromDescriptor, rejection(b -> b.inputSizes(5, 5).params(zeroStride)));
  }

  @Test
  void bindingAddsTheShapesChecks() {
    BackpropInputOp op = BackpropInputOp.of(b -> b.inputSizes(5, 5).strides(2).padding(Padding.SAME));
    Conv2dBackpropInput p = op.bind(Shape.of(3, 3, 2, 4), DType.FLOAT32, Shape.of(7, 3, 3, 4), DType.FLOAT32);
    assertEquals(Shape.of(7, 5, 5, 2), p.inputShape());
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> op.bind(Shape.of(3, 3, 2, 4), DType.FLOAT32, Shape.of(7, 2, 2, 4), DType.FLOAT32));
    assertTrue(e.getMessage().contains("consistent with input sizes 3 to 4"), e.getMessage());
  }

  @Test
  void aBatchOfAFourValueOpGetsItsOwnBatchSize() {
    BackpropInputOp op = BackpropInputOp.of(b -> b.inputSizes(100, 3, 5, 5).dataFormat(DataFormat.NCHW)
        .padding(Padding.VALID));
    Conv2dBackpropInput batch = op.bindBatch(2, new long[] {4, 3, 3}, Shape.of(3, 3, 3, 4), DType.FLOAT64,
        DType.FLOAT64);
    assertEquals(Shape.of(2, 3, 5, 5), batch.inputShape());
    assertArrayEquals(new long[] {100, 3, 5, 5}, op.inputSizes(), "the op itself is unchanged");
  }

  @Test
  void theSampleShapeOfOutBackpropFollowsTensorFlowsOutputSizeRule() {
    Shape filter = Shape.of(3, 3, 2, 8);
    assertArrayEquals(new long[] {6, 6, 8},
        BackpropInputOp.of(b -> b.inputSizes(11, 11).strides(2).padding(Padding.SAME)).outBackpropSampleShape(filter));
    assertArrayEquals(new long[] {8, 5, 4},
        BackpropInputOp.of(b -> b.inputSizes(1, 2, 11, 9).strides(2).padding(Padding.VALID).dataFormat(DataFormat.NCHW))
            .outBackpropSampleShape(filter));
    assertArrayEquals(new long[] {7, 6, 8},
        BackpropInputOp.of(b -> b.inputSizes(5, 4).padding(Padding.EXPLICIT).explicitPaddings(0, 0, 1, 3, 2, 2, 0, 0))
            .outBackpropSampleShape(filter));
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> BackpropInputOp.of(b -> b.inputSizes(1, 1)).outBackpropSampleShape(filter));
    assertTrue(e.getMessage().startsWith("Computed output size would be negative: -1"), e.getMessage());
  }

  @Test
  void itComputesWhatTheDescriptorComputes() {
    Tensor w = Tensor.ofFloat32(Shape.of(1, 3, 1, 1), new float[] {1, 2, 3});
    Tensor dy = Tensor.ofFloat32(Shape.of(1, 1, 2, 1), new float[] {10, 100});
    BackpropInputOp op = BackpropInputOp.of(b -> b.inputSizes(1, 4).strides(1, 2).padding(Padding.SAME));
    Tensor dx = ConvGrad.backpropInput(op, w, dy);
    assertArrayEquals(new float[] {10, 20, 130, 200}, dx.float32Data());
  }

  @Test
  void itSurvivesSerializationAsTheSameValue() throws Exception {
    BackpropInputOp op = BackpropInputOp.of(b -> b.inputSizes(8, 56, 56, 64).strides(2).padding(Padding.EXPLICIT)
        .explicitPaddings(0, 0, 1, 2, 1, 2, 0, 0).dilations(1, 2).useCudnnOnGpu(false));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(op);
    }
    Object back;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = in.readObject();
    }
    assertEquals(op, back);
    assertEquals(op.hashCode(), back.hashCode());
    assertEquals(op.toString(), back.toString());
    assertEquals(op, op.toBuilder().build());
  }
}
