/**
 * Kernels of {@code conv2d_backprop_input}: {@link org.convgrad.engine.kernel.ReferenceKernel}, the
 * oracle, and the optimized kernels beside it, one file (or package) per strategy: the Vector API
 * kernel in {@code org.convgrad.engine.kernel.simd}, offered by {@link
 * org.convgrad.engine.kernel.SimdSupport} where the JVM can run it. {@link
 * org.convgrad.engine.kernel.KernelRegistry} orders them, best first, reference last. Every kernel
 * computes each result element as one gather in a fixed order, so results never depend on the
 * thread count. A kernel may lay the filter out once for many calls ({@link
 * org.convgrad.engine.kernel.PackedFilter}).
 */
@NullMarked
package org.convgrad.engine.kernel;

import org.jspecify.annotations.NullMarked;
