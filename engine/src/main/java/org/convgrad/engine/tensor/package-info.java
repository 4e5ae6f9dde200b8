/** Dense tensors and the 16-bit float formats they store. */
@NullMarked
package org.convgrad.engine.tensor;

import org.jspecify.annotations.NullMarked;
