/**
 * convgrad's tensor files: NumPy {@code .npy} ({@link org.convgrad.io.npy.Npy}), Arrow IPC with
 * the canonical {@code arrow.fixed_shape_tensor} extension type ({@link org.convgrad.io.arrow}),
 * and {@link org.convgrad.io.TensorFiles}, which picks one by file extension.
 *
 * <p>Every writer writes to a temporary name in the target's directory and renames it into place
 * atomically ({@link org.convgrad.io.AtomicFile}): a reader never sees a partial file under the
 * final name.
 */
@NullMarked
package org.convgrad.io;

import org.jspecify.annotations.NullMarked;
