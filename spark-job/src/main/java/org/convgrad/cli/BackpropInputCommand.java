package org.convgrad.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.TensorFile;
import org.convgrad.io.TensorFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code convgrad backprop-input}: one call of the op on files. */
@Command(
    name = "backprop-input",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Computes TensorFlow's conv2d_backprop_input: the gradient of a 2-D convolution with respect to its input.",
      "Files are chosen by extension: .npy (NumPy, little-endian <f2/<f4/<f8, C order) or .arrow (Arrow IPC file,",
      "one row per sample in an arrow.fixed_shape_tensor column). The output has the inputs' dtype and is written",
      "under a temporary name and renamed, so a failed run leaves no partial file."
    },
    footer = {
      "",
      "Example:",
      "  convgrad backprop-input --input-sizes 8,56,56,64 --filter w.npy --out-backprop dy.npy \\",
      "      --strides 2 --padding SAME --output dx.npy",
      "",
      "Exit status: 0 success; 2 rejected argument or unreadable file (one line on stderr, 'InvalidArgument: ...'",
      "for arguments TensorFlow would reject); 1 anything else."
    })
final class BackpropInputCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--input-sizes",
      required = true,
      split = ",",
      paramLabel = "N",
      description = "Shape of the convolution's input: 4 values in data-format order (8,56,56,64), or 2 spatial values (56,56).")
  long[] inputSizes;

  @Option(names = "--filter", required = true, paramLabel = "FILE", description = "Filter [fh, fw, in_c/groups, out_c] (HWIO).")
  Path filter;

  @Option(names = "--out-backprop", required = true, paramLabel = "FILE", description = "Gradient of the convolution's output.")
  Path outBackprop;

  @Mixin OpOptions op;

  @Option(names = "--output", required = true, paramLabel = "FILE", description = "Where the input gradient is written.")
  Path output;

  @Mixin EngineOptions engine;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    ConvParams params = op.toParams();
    TensorFiles.Format.of(output); // an unknown output type fails before any work
    Tensor w = TensorFiles.readFilter(filter);
    TensorFile dyFile = TensorFiles.read(outBackprop);
    dyFile.requireLayout(params.dataFormat());
    Tensor dy = dyFile.tensor();
    Conv2dBackpropInput problem = Conv2dBackpropInput.of(inputSizes, w, dy, params);
    try (Engine e = engine.build()) {
      // Packed once, as a caller that repeats the op would: --repeat times the op, not the packing.
      PackedFilter packed = e.pack(problem, w);
      Timing.Result<Tensor> timing = Timing.repeat(engine.repeat, () -> e.backpropInput(problem, packed, dy));
      TensorFiles.write(output, timing.value(), params.dataFormat(), dyFile);
      if (engine.verbose || engine.repeat > 1) {
        out.printf("%s -> %s %s %s, kernel %s, %d thread(s)%n", problem, output, timing.value().dtype(),
            timing.value().shape(), e.kernelFor(problem).describe(problem), e.threads());
        out.println(timing.describe(problem.geometry().flops()));
      }
    }
    return 0;
  }

  static void rejectUnless(boolean ok, String message) {
    if (!ok) {
      throw new InvalidArgumentException(message);
    }
  }

  /** Which engine runs the op and how often. */
  static final class EngineOptions {
    @Option(names = "--engine", paramLabel = "KIND", description = "auto (default), scalar, simd, gpu or cudnn.")
    String kind = "auto";

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads. Default: the available processors.")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--repeat", paramLabel = "N", description = "Run the op N times on the same inputs (the output is written once) and print the median time per run.")
    int repeat = 1;

    @Option(names = {"-v", "--verbose"}, description = "Print the problem, the kernel chosen and the time taken.")
    boolean verbose;

    Engine build() {
      rejectUnless(threads >= 1, "--threads must be at least 1, but got " + threads);
      rejectUnless(repeat >= 1, "--repeat must be at least 1, but got " + repeat);
      EngineKind k = EngineKind.parse(kind);
      return Engine.create(b -> b.kind(k).threads(threads));
    }
  }
}
