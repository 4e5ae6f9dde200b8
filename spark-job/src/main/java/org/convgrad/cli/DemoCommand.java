package org.convgrad.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.Padding;
import org.convgrad.engine.kernel.ReferenceConv2dForward;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code convgrad demo}: a ResNet-style layer's input gradient on generated data, with the adjoint
 * identity checked on the first sample, so a new user sees the op run and be right in one command.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Generates a realistic problem (ResNet conv2_x: out_backprop 8x56x56x64, filter 3x3x64x64, stride 1, SAME),",
      "computes its input gradient, checks the adjoint identity <conv2d(x, w), dy> = <x, dx> on the first sample",
      "and prints the shapes, the time and GFLOP/s."
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--batch", paramLabel = "N", description = "Samples in the batch. Default: 8.")
  int batch = 8;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the generated data. Default: 42.")
  long seed = 42;

  @Mixin BackpropInputCommand.EngineOptions engine;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (batch < 1) {
      throw new ParameterException(spec.commandLine(), "--batch must be at least 1, but got " + batch);
    }
    // out_backprop and two results (the one timed, the next being computed) of 56x56x64 floats a sample.
    long sample = 56L * 56 * 64;
    long maxBatch = Math.min(Integer.MAX_VALUE / sample, Runtime.getRuntime().maxMemory() / (3 * 4 * sample));
    if (batch > maxBatch) {
      throw new ParameterException(spec.commandLine(), "--batch " + batch + " is more than the " + maxBatch
          + " samples this JVM's heap (" + (Runtime.getRuntime().maxMemory() >> 20) + " MiB) holds three tensors of;"
          + " give a smaller --batch, or more heap (CONVGRAD_JAVA_OPTS=-Xmx...)");
    }
    engine.check(spec);
    ConvParams params = ConvParams.of(p -> p.strides(1).padding(Padding.SAME));
    long[] inputSizes = {batch, 56, 56, 64};
    SplittableRandom random = new SplittableRandom(seed);
    Tensor filter = gaussian(random, Shape.of(3, 3, 64, 64), Math.sqrt(2.0 / (9 * 64)));
    Tensor dy = gaussian(random, Shape.of(batch, 56, 56, 64), 1.0);
    Conv2dBackpropInput op = Conv2dBackpropInput.of(inputSizes, filter, dy, params);
    try (Engine e = engine.build()) {
      out.printf("convgrad demo: %s%n", op);
      out.printf("kernel %s, %d thread(s)%n", e.kernelFor(op).describe(op), e.threads());
      // Kernels run slowly until the JIT has compiled them: warm up for a second before timing.
      long warmUpEnd = System.nanoTime() + 1_000_000_000L;
      do {
        e.backpropInput(op, filter, dy);
      } while (System.nanoTime() < warmUpEnd);
      Timing.Result<Tensor> timing = Timing.repeat(Math.max(engine.repeat, 5), () -> e.backpropInput(op, filter, dy));
      out.printf("result %s %s%n", timing.value().dtype(), timing.value().shape());
      out.println(timing.describe(op.geometry().flops()));
      double[] identity = adjointOnFirstSample(op, filter, dy, timing.value(), random);
      double relative = Math.abs(identity[0] - identity[1]) / Math.max(Math.abs(identity[0]), 1e-30);
      out.printf("adjoint identity on sample 0: <conv2d(x, w), dy> = %.9g, <x, dx> = %.9g, relative difference %.2e%n",
          identity[0], identity[1], relative);
      if (!(relative < 1e-4)) {
        out.println("FAILED: the adjoint identity does not hold");
        return 1;
      }
      out.println("OK");
    }
    return 0;
  }

  /** Both sides of the identity for sample 0: the op works sample by sample. */
  private static double[] adjointOnFirstSample(
      Conv2dBackpropInput op, Tensor filter, Tensor dy, Tensor dx, SplittableRandom random) {
    long[] in = op.inputShape().toArray();
    long[] outShape = op.outBackpropShape().toArray();
    in[0] = 1;
    outShape[0] = 1;
    Conv2dBackpropInput one =
        Conv2dBackpropInput.of(in, filter.shape(), filter.dtype(), Shape.of(outShape), dy.dtype(), op.params());
    Tensor x = gaussian(random, Shape.of(in), 1.0);
    Tensor y = ReferenceConv2dForward.forward(one, x, filter);
    float[] dy0 = Arrays.copyOf(dy.float32Data(), y.size());
    float[] dx0 = Arrays.copyOf(dx.float32Data(), x.size());
    return new double[] {dot(y.float32Data(), dy0), dot(x.float32Data(), dx0)};
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  private static Tensor gaussian(SplittableRandom random, Shape shape, double scale) {
    float[] v = new float[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i += 2) {
      // Box-Muller: two normal values from two uniform ones.
      double r = Math.sqrt(-2 * Math.log(1 - random.nextDouble()));
      double theta = 2 * Math.PI * random.nextDouble();
      v[i] = (float) (scale * r * Math.cos(theta));
      if (i + 1 < v.length) {
        v[i + 1] = (float) (scale * r * Math.sin(theta));
      }
    }
    return Tensor.ofFloat32(shape, v);
  }
}
