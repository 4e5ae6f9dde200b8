/** NumPy {@code .npy} files: {@link org.convgrad.io.npy.Npy}. */
@NullMarked
package org.convgrad.io.npy;

import org.jspecify.annotations.NullMarked;
