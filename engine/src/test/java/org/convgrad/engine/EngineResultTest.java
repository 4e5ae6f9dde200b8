package org.convgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A caller's own result tensor: written whole, whatever it held, to the bits of a new result, call
 * after call; one of another shape or dtype, or one that shares elements with out_backprop, is
 * refused before anything is computed.
 */
class EngineResultTest {
  private static final BackpropInputOp OP = BackpropInputOp.of(o -> o.inputSizes(9, 11).strides(2).padding(Padding.SAME));

  @ParameterizedTest
  @EnumSource(value = EngineKind.class, names = {"SCALAR", "SIMD"})
  void aResultOfTheCallersIsWrittenWholeCallAfterCall(EngineKind kind) {
    SplittableRandom rnd = new SplittableRandom(1);
    Tensor w = random(Shape.of(3, 3, 20, 24), rnd);
    try (Engine e = Engine.create(b -> b.kind(kind).threads(2))) {
      Conv2dBackpropInput op = OP.bind(w.shape(), DType.FLOAT32, Shape.of(2, 5, 6, 24), DType.FLOAT32);
      PackedFilter packed = e.pack(op, w);
      float[] nan = new float[(int) op.inputShape().elementCount()];
      Arrays.fill(nan, Float.NaN);
      Tensor result = Tensor.ofFloat32(op.inputShape(), nan);
      for (int call = 0; call < 2; call++) {
        Tensor dy = random(op.outBackpropShape(), rnd);
        e.backpropInput(op, packed, dy, result);
        assertArrayEquals(e.backpropInput(op, packed, dy).float32Data(), result.float32Data(), "call " + call);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = EngineKind.class, names = {"SCALAR", "SIMD", "AUTO"})
  void aFilterWithoutTapsGivesZerosAsTensorFlowDoes(EngineKind kind) {
    try (Engine e = Engine.create(b -> b.kind(kind).threads(2))) {
      Tensor tall = Tensor.zeros(DType.FLOAT32, Shape.of(0, 3, 2, 3));
      Tensor dy = random(Shape.of(1, 6, 3, 3), new SplittableRandom(3));
      Tensor dx = e.backpropInput(new long[] {1, 5, 5, 2}, tall, dy, ConvParams.of(p -> p.padding(Padding.VALID)));
      assertArrayEquals(new float[50], dx.float32Data(), "filter [0, 3, 2, 3], VALID");
      Tensor wide = Tensor.zeros(DType.FLOAT32, Shape.of(3, 0, 2, 3));
      dy = random(Shape.of(1, 5, 5, 3), new SplittableRandom(4));
      dx = e.backpropInput(new long[] {1, 5, 5, 2}, wide, dy, ConvParams.of(p -> p.padding(Padding.SAME)));
      assertArrayEquals(new float[50], dx.float32Data(), "filter [3, 0, 2, 3], SAME");
    }
  }

  @ParameterizedTest
  @EnumSource(value = EngineKind.class, names = {"SCALAR", "SIMD"})
  void aFilterThatIsAViewGivesTheBitsOfItsOwnArray(EngineKind kind) {
    SplittableRandom rnd = new SplittableRandom(5);
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.HALF}) {
      Shape ws = Shape.of(3, 3, 8, 8);
      double[] values = rnd.doubles((int) ws.elementCount(), -1, 1).toArray();
      Tensor w = Tensor.fromDoubles(dtype, ws, values);
      Object array = switch (dtype) {
        case FLOAT32 -> copyAt(w.float32Data(), new float[w.size() + 5]);
        case FLOAT64 -> copyAt(w.float64Data(), new double[w.size() + 5]);
        default -> copyAt(w.bits16Data(), new short[w.size() + 5]);
      };
      Tensor view = Tensor.view(dtype, ws, array, 5);
      Conv2dBackpropInput op = OP.bind(ws, dtype, Shape.of(2, 5, 6, 8), dtype);
      Tensor dy = Tensor.fromDoubles(dtype, op.outBackpropShape(),
          rnd.doubles((int) op.outBackpropShape().elementCount(), -1, 1).toArray());
      try (Engine e = Engine.create(b -> b.kind(kind).threads(2))) {
        double[] expected = e.backpropInput(op, w, dy).toDoubleArray();
        assertArrayEquals(expected, e.backpropInput(op, view, dy).toDoubleArray(), dtype + ", unpacked");
        assertArrayEquals(expected, e.backpropInput(op, e.pack(op, view), dy).toDoubleArray(), dtype + ", packed");
      }
    }
  }

  private static Object copyAt(Object from, Object to) {
    System.arraycopy(from, 0, to, 5, java.lang.reflect.Array.getLength(from));
    return to;
  }

  @ParameterizedTest
  @EnumSource(value = EngineKind.class, names = {"SCALAR", "SIMD"})
  void aClosedEngineRefusesWorkWhateverItsThreads(EngineKind kind) {
    Tensor w = random(Shape.of(3, 3, 4, 4), new SplittableRandom(3));
    for (int threads : new int[] {1, 2}) {
      Engine e = Engine.create(b -> b.kind(kind).threads(threads));
      Conv2dBackpropInput op = OP.bind(w.shape(), DType.FLOAT32, Shape.of(1, 5, 6, 4), DType.FLOAT32);
      PackedFilter packed = e.pack(op, w);
      Tensor dy = random(op.outBackpropShape(), new SplittableRandom(4));
      e.close();
      for (Runnable call : new Runnable[] {() -> e.backpropInput(op, packed, dy), () -> e.backpropInput(op, w, dy),
          () -> e.pack(op, w)}) {
        IllegalStateException x = assertThrows(IllegalStateException.class, call::run);
        assertTrue(x.getMessage().contains("engine is closed"), x.getMessage());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = EngineKind.class, names = {"SCALAR", "SIMD"})
  void aResultOfAnotherShapeOrDtypeOrInsideOutBackpropIsRefused(EngineKind kind) {
    Tensor w = random(Shape.of(3, 3, 4, 4), new SplittableRandom(2));
    try (Engine e = Engine.create(b -> b.kind(kind))) {
      // VALID, stride 1, 6x6 -> 4x4: out_backprop (1, 4, 4, 4) is 64 elements, the result (1, 6, 6, 4) 144.
      Conv2dBackpropInput op = BackpropInputOp.of(o -> o.inputSizes(6, 6).padding(Padding.VALID))
          .bind(w.shape(), DType.FLOAT32, Shape.of(1, 4, 4, 4), DType.FLOAT32);
      PackedFilter packed = e.pack(op, w);
      float[] array = new float[144 + 64];
      Tensor dy = Tensor.view(DType.FLOAT32, op.outBackpropShape(), array, 144);
      assertRefused("the result is", () -> e.backpropInput(op, packed, dy, Tensor.zeros(DType.FLOAT32, Shape.of(1, 6, 6, 5))));
      assertRefused("the result is", () -> e.backpropInput(op, packed, dy, Tensor.zeros(DType.FLOAT64, op.inputShape())));
      assertRefused("shares elements with out_backprop",
          () -> e.backpropInput(op, packed, dy, Tensor.view(DType.FLOAT32, op.inputShape(), array, 1)));
      e.backpropInput(op, packed, dy, Tensor.view(DType.FLOAT32, op.inputShape(), array, 0)); // end to end: fine
    }
  }

  private static void assertRefused(String expected, Runnable call) {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call::run);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static Tensor random(Shape shape, SplittableRandom rnd) {
    double[] v = new double[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextDouble(-1, 1);
    }
    return Tensor.fromDoubles(DType.FLOAT32, shape, v);
  }
}
