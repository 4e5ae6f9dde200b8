package org.convgrad.engine.kernel.gpu;

import java.util.Arrays;

/** One kernel launch: the kernel, its grid and block, and its dynamic shared memory. */
record LaunchPlan(Strategy strategy, String kernel, long[] grid, int[] block, int sharedBytes) {
  @Override
  public String toString() {
    return kernel + " grid " + Arrays.toString(grid) + " block " + Arrays.toString(block) + " shared " + sharedBytes;
  }
}
