/** The {@code convgrad} command line: local runs of the op on {@code .npy} and {@code .arrow} files. */
@NullMarked
package org.convgrad.cli;

import org.jspecify.annotations.NullMarked;
