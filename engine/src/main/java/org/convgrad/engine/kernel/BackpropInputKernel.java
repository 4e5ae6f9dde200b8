package org.convgrad.engine.kernel;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.tensor.Tensor;

/** One strategy for computing {@code conv2d_backprop_input}. */
public interface BackpropInputKernel {
  /** A short name, as verbose output and benchmarks print it. */
  String name();

  /** Whether this kernel computes {@code op} (every kernel must accept or decline, never guess). */
  boolean supports(Conv2dBackpropInput op);

  /**
   * Writes every element of {@code result} (shape {@code op.inputShape()}, dtype {@code op.dtype()}).
   * The operands have been checked against {@code op}.
   */
  void compute(Conv2dBackpropInput op, Tensor filter, Tensor outBackprop, Tensor result, WorkPool pool);
}
