package org.convgrad.cli;

import java.nio.file.Path;
import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Box;
import org.convgrad.engine.tensor.LargeTensor;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;

/**
 * HugeImageIT's in-memory run, in a JVM of its own with the heap it states: reads {@code dy.npy}
 * into a {@link LargeTensor}, computes the result (more elements than a Java array) by {@link
 * Engine#backpropInput(Conv2dBackpropInput, Tensor, LargeTensor)}, and compares it, slab by slab,
 * with the command line's {@code dx.npy}. Prints one line; exits 1 at the first element that differs.
 *
 * <p>Arguments: the directory of {@code w.npy}, {@code dy.npy} and {@code dx.npy}.
 */
public final class HugeImageInMemory {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long start = System.nanoTime();
    Tensor w = Npy.read(dir.resolve("w.npy"));
    LargeTensor dy = Npy.readLarge(dir.resolve("dy.npy"));
    long side = 2 * dy.shape().get(1) - 1;
    Conv2dBackpropInput op = BackpropInputOp.of(o -> o.inputSizes(side, side).strides(2).padding(Padding.SAME))
        .bind(w.shape(), DType.HALF, dy.shape(), DType.HALF);
    long read = System.nanoTime();
    LargeTensor dx;
    try (Engine engine = Engine.create(b -> b.kind(EngineKind.SIMD))) {
      dx = engine.backpropInput(op, w, dy);
    }
    long computed = System.nanoTime();
    Path expected = dir.resolve("dx.npy");
    for (Box slab : Box.slabs(dx.shape(), Npy.SLAB_ELEMENTS)) {
      short[] want = Npy.readBox(expected, slab.start(), slab.shape().toArray()).bits16Data();
      short[] got = dx.read(slab.start(), slab.shape().toArray()).bits16Data();
      for (int i = 0; i < want.length; i++) {
        if (want[i] != got[i]) {
          System.out.println("element " + i + " of the slab at " + Shape.of(slab.start()) + " differs: "
              + got[i] + " instead of " + want[i]);
          System.exit(1);
        }
      }
    }
    Runtime rt = Runtime.getRuntime();
    System.out.printf("%s of %d elements in memory, the bits of dx.npy: read %.1f s, computed %.1f s, compared %.1f s;"
            + " heap %d MiB of %d MiB%n", dx, dx.size(), (read - start) / 1e9, (computed - read) / 1e9,
        (System.nanoTime() - computed) / 1e9, (rt.totalMemory() - rt.freeMemory()) >> 20, rt.maxMemory() >> 20);
  }
}
