package org.convgrad.engine.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Tensors with no elements: TensorFlow's CPU kernel checks every shape before it looks at the
 * element counts, so an empty input or out_backprop is accepted exactly when its shapes would be
 * with elements, and the result is zeros. convgrad accepts and rejects the same problems over a grid
 * of zero and non-zero sizes in every tensor, both paddings and two strides, and every CPU engine
 * returns TensorFlow's shape, all zeros.
 *
 * <p>One difference is by design: an input of depth 0 with a filter of depth 2 is a grouped
 * convolution to TensorFlow's CPU kernel, which refuses all of them. convgrad computes grouped
 * convolutions as TensorFlow's GPU kernels do, and returns the empty result.
 */
class TensorFlowEmptyTensorsTest {
  private static final String CPU_REFUSES_GROUPS = "Gradients for grouped convolutions are not supported on CPU";

  /** One grid point: input_sizes (4 values or 2), filter and out_backprop shapes, NHWC. */
  record Case(long[] inputSizes, Shape filter, Shape dy, Padding padding, long stride) {
    @Override
    public String toString() {
      return "input_sizes " + Shape.of(inputSizes) + ", filter " + filter + ", out_backprop " + dy + ", " + padding
          + ", stride " + stride;
    }
  }

  static List<Case> grid() {
    List<Case> cases = new ArrayList<>();
    long[][] inputs = {{0, 3, 3, 2}, {1, 0, 3, 2}, {1, 3, 3, 0}, {1, 1, 3, 2}, {1, 3, 3, 2}, {3, 3}, {0, 3}};
    long[][] filters = {{2, 2, 2, 3}, {0, 2, 2, 3}, {2, 2, 2, 0}, {4, 2, 2, 3}};
    long[][] dys = {{0, 2, 2, 3}, {1, 0, 2, 3}, {1, 2, 2, 0}, {1, 1, 2, 3}, {1, 2, 2, 3}, {1, 0, 0, 3}, {0, 1, 1, 3}};
    for (long[] in : inputs) {
      for (long[] f : filters) {
        for (long[] dy : dys) {
          for (Padding padding : new Padding[] {Padding.VALID, Padding.SAME}) {
            for (long stride : new long[] {1, 2}) {
              Case c = new Case(in, Shape.of(f), Shape.of(dy), padding, stride);
              if (count(c.inputSizes) == 0 || c.filter.elementCount() == 0 || c.dy.elementCount() == 0) {
                cases.add(c);
              }
            }
          }
        }
      }
    }
    return cases;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(DType.class)
  void acceptedAndRejectedAsTensorFlowDoes(DType dtype) {
    try (Engine scalar = Engine.create(b -> b.kind(EngineKind.SCALAR).threads(2));
        Engine auto = Engine.create(b -> b.kind(EngineKind.AUTO).threads(2))) {
      compareOverTheGrid(dtype, scalar, auto);
    }
  }

  private static void compareOverTheGrid(DType dtype, Engine... engines) {
    int accepted = 0;
    int rejected = 0;
    int groupedOnCpu = 0;
    for (Case c : grid()) {
      ConvParams params = ConvParams.of(p -> p.strides(c.stride).padding(c.padding));
      String tfRejection = null;
      Shape tfShape = null;
      try {
        tfShape = TensorFlowOracle.run(dtype, c.inputSizes, new byte[bytes(c.filter, dtype)], c.filter,
            new byte[bytes(c.dy, dtype)], c.dy, params.strides(), c.padding.name(), new long[0],
            params.dilations(), DataFormat.NHWC).shape;
      } catch (RuntimeException e) {
        assertEquals("org.tensorflow.exceptions", e.getClass().getPackageName(), c + ": TF threw " + e);
        tfRejection = e.getMessage();
      }
      Conv2dBackpropInput op;
      try {
        op = Conv2dBackpropInput.of(c.inputSizes, c.filter, dtype, c.dy, dtype, params);
      } catch (InvalidArgumentException e) {
        if (tfRejection == null) {
          fail(c + ": TensorFlow returns " + tfShape + ", convgrad refuses: " + e.getMessage());
        }
        rejected++;
        continue;
      }
      if (tfRejection != null) {
        if (!tfRejection.contains(CPU_REFUSES_GROUPS)) {
          fail(c + ": TensorFlow refuses (" + tfRejection.lines().findFirst().orElse("") + "), convgrad accepts");
        }
        groupedOnCpu++;
      }
      Shape expected = tfShape != null ? tfShape : op.inputShape();
      assertEquals(expected, op.inputShape(), c.toString());
      Tensor filter = Tensor.zeros(dtype, c.filter);
      Tensor dy = Tensor.zeros(dtype, c.dy);
      for (Engine engine : engines) {
        Tensor dx = engine.backpropInput(op, filter, dy);
        assertEquals(expected, dx.shape(), c.toString());
        for (int i = 0; i < dx.size(); i++) {
          assertEquals(0.0, dx.getFlat(i), c + ": element " + i);
        }
      }
      accepted++;
    }
    // The grid must hold both kinds, or this test would show nothing.
    assertTrue(accepted >= 30 && rejected >= 300 && groupedOnCpu >= 1,
        "accepted " + accepted + " (" + groupedOnCpu + " grouped), rejected " + rejected);
  }

  private static long count(long[] sizes) {
    long n = 1;
    for (long s : sizes) {
      n *= s;
    }
    return n;
  }

  private static int bytes(Shape shape, DType dtype) {
    return Math.toIntExact(shape.elementCount() * dtype.byteSize());
  }
}
