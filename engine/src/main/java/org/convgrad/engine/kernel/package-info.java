/**
 * Kernels of {@code conv2d_backprop_input}: {@link org.convgrad.engine.kernel.ReferenceKernel}, the
 * oracle, and the optimized kernels beside it, one file (or package) per strategy. Every kernel
 * computes each result element as one gather in a fixed order, so results never depend on the
 * thread count.
 */
@NullMarked
package org.convgrad.engine.kernel;

import org.jspecify.annotations.NullMarked;
