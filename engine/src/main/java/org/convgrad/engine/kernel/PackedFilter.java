package org.convgrad.engine.kernel;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Shape;

/**
 * A filter laid out once for one kernel, to be reused across calls (a Spark executor packs the
 * broadcast filter once and runs every shard with it). Made by {@link
 * org.convgrad.engine.Engine#pack}; immutable and safe to share between threads.
 *
 * <p>A packed filter fits every problem with the same filter shape, dtype, group count, strides and
 * dilations as the one it was packed for (batch and spatial sizes, paddings and data format may
 * differ: the SIMD kernel lays the filter out by stride phase, and per stride for Winograd); {@link
 * #fits} says whether it does.
 */
public final class PackedFilter {
  private final BackpropInputKernel kernel;
  private final Shape filterShape;
  private final DType dtype;
  private final long groups;
  /** Strides and dilations, (h, w) each. */
  private final long[] steps;
  private final Object payload;
  private final long bytes;

  /**
   * @param payload the kernel's own layout (only the kernel that made it reads it)
   * @param bytes the memory the layout holds, as {@link #bytes()} reports it
   */
  public PackedFilter(BackpropInputKernel kernel, Conv2dBackpropInput op, Object payload, long bytes) {
    this.kernel = kernel;
    this.filterShape = op.filterShape();
    this.dtype = op.dtype();
    this.groups = op.geometry().groups();
    this.steps = steps(op);
    this.payload = payload;
    this.bytes = bytes;
  }

  /** The kernel that packed this filter and that runs with it. */
  public BackpropInputKernel kernel() {
    return kernel;
  }

  public Shape filterShape() {
    return filterShape;
  }

  public DType dtype() {
    return dtype;
  }

  /** The memory this packed filter holds, in bytes. */
  public long bytes() {
    return bytes;
  }

  /** Whether this filter was packed for problems like {@code op} and its kernel accepts {@code op}. */
  public boolean fits(Conv2dBackpropInput op) {
    return op.filterShape().equals(filterShape)
        && op.dtype() == dtype
        && op.geometry().groups() == groups
        && java.util.Arrays.equals(steps(op), steps)
        && kernel.supports(op);
  }

  private static long[] steps(Conv2dBackpropInput op) {
    var g = op.geometry();
    return new long[] {g.strideH(), g.strideW(), g.dilationH(), g.dilationW()};
  }

  /** The kernel's layout; for the kernel that made it. */
  public Object payload() {
    return payload;
  }

  @Override
  public String toString() {
    return "PackedFilter(" + kernel.name() + ", " + dtype + " " + filterShape + ", groups " + groups + ", " + bytes
        + " bytes)";
  }
}
