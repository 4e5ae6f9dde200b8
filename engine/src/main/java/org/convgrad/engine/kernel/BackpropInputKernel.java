package org.convgrad.engine.kernel;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.band.OutBackpropScan;
import org.convgrad.engine.tensor.Tensor;

/** One strategy for computing {@code conv2d_backprop_input}. */
public interface BackpropInputKernel {
  /** A short name, as verbose output and benchmarks print it. */
  String name();

  /**
   * What this kernel does for {@code op}, for verbose output: its name, and the strategy where the
   * kernel has several (the SIMD kernel: {@code simd (block-f32x8)}).
   */
  default String describe(Conv2dBackpropInput op) {
    return name();
  }

  /**
   * As {@link #describe(Conv2dBackpropInput)}, for a call with {@code filter} that chose its tiles
   * by {@code chosenBy} (the scan it returned, or the whole dataset's it was given), where the
   * choice depends on the values ({@link #outBackpropLimit}).
   */
  default String describe(Conv2dBackpropInput op, PackedFilter filter, OutBackpropScan chosenBy) {
    return describe(op);
  }

  /** Whether this kernel computes {@code op} (every kernel must accept or decline, never guess). */
  boolean supports(Conv2dBackpropInput op);

  /**
   * Writes every element of {@code result} (shape {@code op.inputShape()}, dtype {@code op.dtype()}),
   * whatever it held. The operands have been checked against {@code op}. out_backprop and the result
   * may be views ({@link Tensor#isView()}): a kernel reaches their elements through the storage
   * accessors from {@link Tensor#offset()}, in place.
   */
  void compute(Conv2dBackpropInput op, Tensor filter, Tensor outBackprop, Tensor result, WorkPool pool);

  /**
   * Lays {@code filter} out for this kernel, once, for any number of {@link #compute(Conv2dBackpropInput,
   * PackedFilter, Tensor, Tensor, WorkPool)} calls. The default keeps a copy of the filter as it is.
   */
  default PackedFilter pack(Conv2dBackpropInput op, Tensor filter) {
    Tensor copy = Tensor.fromDoubles(filter.dtype(), filter.shape(), filter.toDoubleArray().clone());
    return new PackedFilter(this, op, copy, (long) filter.size() * filter.dtype().byteSize());
  }

  /**
   * As {@link #compute(Conv2dBackpropInput, Tensor, Tensor, Tensor, WorkPool)} with a filter this
   * kernel packed; {@code filter.fits(op)} has been checked.
   */
  default void compute(
      Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop, Tensor result, WorkPool pool) {
    compute(op, (Tensor) filter.payload(), outBackprop, result, pool);
  }

  /**
   * The largest magnitude out_backprop's values may reach for this kernel to choose, for {@code op}
   * and {@code filter}, the tiles it chooses for an all-zero out_backprop: infinite where its choice
   * does not depend on the values. A banded run computes its bands on that assumption and checks it
   * with the values the bands read ({@link org.convgrad.engine.band.BandedRun}).
   */
  default double outBackpropLimit(Conv2dBackpropInput op, PackedFilter filter) {
    return Double.POSITIVE_INFINITY;
  }

  /**
   * As {@link #compute(Conv2dBackpropInput, PackedFilter, Tensor, Tensor, WorkPool)}, returning the
   * scan of out_backprop by which this kernel chose its tiles where its choice depends on the values
   * ({@link #outBackpropLimit} finite), and {@link OutBackpropScan#EMPTY} where it does not. A kernel
   * that reads every value anyway finds the scan in the same pass.
   */
  default OutBackpropScan computeAndScan(
      Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop, Tensor result, WorkPool pool) {
    compute(op, filter, outBackprop, result, pool);
    return outBackpropLimit(op, filter) < Double.POSITIVE_INFINITY ? scan(outBackprop) : OutBackpropScan.EMPTY;
  }

  /** {@link OutBackpropScan#of}, as fast as this kernel can scan. */
  default OutBackpropScan scan(Tensor outBackprop) {
    return OutBackpropScan.of(outBackprop);
  }

  /**
   * As {@link #compute(Conv2dBackpropInput, PackedFilter, Tensor, Tensor, WorkPool)} for a band
   * problem ({@link Conv2dBackpropInput#band}), choosing its tiles as for the whole problem, whose
   * out_backprop scans as {@code whole}: then the band holds the whole result's bits.
   */
  default void compute(
      Conv2dBackpropInput op, PackedFilter filter, Tensor outBackprop, OutBackpropScan whole, Tensor result,
      WorkPool pool) {
    compute(op, filter, outBackprop, result, pool);
  }
}
