package org.convgrad.engine.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.SimdKernelTest.Case;
import org.convgrad.engine.kernel.simd.SimdBackpropInputKernel;
import org.convgrad.engine.tensor.Tensor;

/**
 * Run by {@link SimdBoxingTest} in a JVM started with {@code -XX:PerMethodTrapLimit=0 -Xbatch}:
 * prints the vector width ({@code vector bits=<n>}), then calls each of {@link #problems} on one
 * thread, with a packed filter and then with a plain one, until a call allocates no more than the
 * bound {@link SimdKernelTest} states, at most {@code args[0]} calls each, and prints a line per
 * measurement ({@code problem <kernel> <case> packed=<bool> calls=<n> bytes=<the last call's>
 * bound=<bytes>}); then one for the canary ({@code canary calls=<n> bytes=<the last call's>}).
 */
public final class BoxingProbe {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  private BoxingProbe() {}

  /**
   * The allocation test's problems and one of each other tile shape: pixel tiles for 1, 2 and 4 in
   * channels and for rows wider than a tile (S3's 3 channels: above), the dot tiles in float32 and
   * float64, Winograd F(2x2, 2x2) at stride 2 (S4) and with sub-filters of two sizes (5x5 at stride
   * 2), the block tiles staged from NCHW half.
   */
  static List<Case> problems() {
    List<Case> c = new ArrayList<>(SimdKernelTest.memoryCases().toList());
    c.add(Case.of(2, 24, 64, 1, 5, 32, 1, Padding.SAME));
    c.add(Case.of(2, 24, 48, 2, 5, 32, 1, Padding.SAME));
    c.add(Case.of(2, 24, 32, 4, 5, 32, 1, Padding.SAME));
    c.add(Case.of(1, 20, 120, 3, 7, 64, 2, Padding.SAME));
    c.add(Case.of(2, 16, 16, 7, 3, 70, 1, Padding.SAME));
    c.add(Case.of(2, 16, 16, 3, 3, 40, 1, Padding.SAME).with(DType.FLOAT64));
    c.add(Case.of(2, 16, 16, 32, 4, 32, 2, Padding.SAME));
    c.add(Case.of(2, 16, 16, 16, 5, 24, 2, Padding.SAME));
    c.add(Case.of(2, 16, 16, 17, 3, 24, 2, Padding.SAME).with(DataFormat.NCHW).with(DType.HALF));
    return c;
  }

  public static void main(String[] args) {
    int maxCalls = Integer.parseInt(args[0]);
    System.out.println("vector bits=" + S.vectorBitSize());
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(1))) {
      for (Case c : problems()) {
        Conv2dBackpropInput op = c.op();
        SplittableRandom rnd = new SplittableRandom(5);
        Tensor w = SimdKernelTest.random(op.dtype(), op.filterShape(), rnd);
        Tensor dy = SimdKernelTest.random(op.dtype(), op.outBackpropShape(), rnd);
        long bound = op.inputShape().elementCount() * op.dtype().byteSize()
            + SimdBackpropInputKernel.scratchBytesPerThread(op) + SimdBackpropInputKernel.scratchBytesPerCall(op)
            + 16 * 1024;
        PackedFilter packed = e.pack(op, w);
        String name = "problem " + e.kernelFor(op).describe(op) + " " + c;
        measure(name + " packed=true", maxCalls, bound, threads, () -> e.backpropInput(op, packed, dy).size());
        long widened = op.dtype().byteSize() == 2 ? 4 * op.filterShape().elementCount() : 0;
        measure(name + " packed=false", maxCalls, bound + packed.bytes() + widened + 1024, threads,
            () -> e.backpropInput(op, w, dy).size());
      }
    }
    float[] a = new float[64 * S.length()];
    float[] b = new float[S.length()];
    measure("canary", 20 * maxCalls, 0, threads, () -> {
      canary(a, b);
      return 0;
    });
  }

  private static void measure(String name, int maxCalls, long bound, com.sun.management.ThreadMXBean threads,
      LongSupplier call) {
    int calls = 0;
    long used;
    do {
      long before = threads.getCurrentThreadAllocatedBytes();
      call.getAsLong();
      used = threads.getCurrentThreadAllocatedBytes() - before;
      calls++;
    } while (used > bound && calls < maxCalls);
    System.out.println(name + " calls=" + calls + " bytes=" + used + " bound=" + bound);
  }

  /**
   * A loop whose accumulator is the receiver of its operation: JDK 17's C2 boxes it once per call
   * (the store after the loop), and in every iteration when it binds {@code add} through a real
   * virtual call, as this JVM's {@code -XX:PerMethodTrapLimit=0} makes it do. It shows that the
   * stress works: the kernels never put a loop-carried vector in that place.
   */
  static void canary(float[] a, float[] b) {
    FloatVector acc = FloatVector.zero(S);
    for (int i = 0; i < a.length; i += S.length()) {
      acc = acc.add(FloatVector.fromArray(S, a, i));
    }
    acc.intoArray(b, 0);
  }
}
