package org.convgrad.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.band.Bands;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.TensorFile;
import org.convgrad.io.OutputPaths;
import org.convgrad.io.TensorFiles;
import org.convgrad.io.npy.Npy;
import org.convgrad.io.npy.NpyHeader;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code convgrad backprop-input}: one call of the op on files. */
@Command(
    name = "backprop-input",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    description = {
      "Computes TensorFlow's conv2d_backprop_input: the gradient of a 2-D convolution with respect to its input.",
      "Files are chosen by extension: .npy (NumPy, little-endian <f2/<f4/<f8, C order) or .arrow (Arrow IPC file,",
      "one row per sample in an arrow.fixed_shape_tensor column). The output has the inputs' dtype and is written",
      "under a temporary name and renamed, so a failed run leaves no partial file. The output is never one of the",
      "inputs, never a directory and never a symbolic link (name the file itself); an existing file is replaced."
    },
    footer = {
      "",
      "Example:",
      "  convgrad backprop-input --input-sizes 8,56,56,64 --filter w.npy --out-backprop dy.npy \\",
      "      --strides 2 --padding SAME --output dx.npy",
      "",
      "Exit status: 0 success; 2 a rejected command line ('Usage error: ...'), op ('InvalidArgument: ...', as",
      "TensorFlow would reject it) or file ('Error: ...'); 1 anything else. Each is one line on stderr."
    })
final class BackpropInputCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--filter", required = true, paramLabel = "FILE", description = "Filter [fh, fw, in_c/groups, out_c] (HWIO).")
  Path filter;

  @Option(names = "--out-backprop", required = true, paramLabel = "FILE", description = "Gradient of the convolution's output.")
  Path outBackprop;

  @Mixin OpOptions op;

  @Option(names = "--output", required = true, paramLabel = "FILE", description = "Where the input gradient is written.")
  Path output;

  @Mixin EngineOptions engine;

  @Option(names = "--band-rows", paramLabel = "N", description = "Compute the result in bands of N rows (rounded up to"
      + " the SIMD kernel's block height: 2 x the row stride, 4 x for a 3x3 filter at stride 2), streamed from the --out-backprop .npy to the --output .npy: one image may"
      + " then be larger than the heap or a Java array, and the result has the same bits. Default: bands, sized to the"
      + " heap, only for .npy problems larger than a quarter of the heap or one tensor.")
  @Nullable Long bandRows;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    BackpropInputOp described = op.toOp();
    engine.check(spec);
    if (bandRows != null && bandRows < 1) {
      throw new ParameterException(spec.commandLine(), "--band-rows must be at least 1, but got " + bandRows);
    }
    // Before any file is read: the options that go together, the files' names, and that writing the
    // output destroys nothing the user did not name.
    TensorFiles.Format dyFormat = format("--out-backprop", outBackprop);
    TensorFiles.Format outFormat = format("--output", output);
    format("--filter", filter);
    boolean npyToNpy = dyFormat == TensorFiles.Format.NPY && outFormat == TensorFiles.Format.NPY;
    if (bandRows != null && !npyToNpy) {
      throw new ParameterException(spec.commandLine(),
          "--band-rows streams .npy to .npy: --out-backprop and --output must both end in .npy");
    }
    if (bandRows != null && engine.repeat > 1) {
      throw new ParameterException(spec.commandLine(), "--repeat times problems computed in memory, not in bands"
          + " (--band-rows)");
    }
    Map<String, @Nullable Path> inputs = new LinkedHashMap<>();
    inputs.put("--out-backprop", outBackprop);
    inputs.put("--filter", filter);
    OutputPaths.checkFile("--output", output, inputs);
    Tensor w = TensorFiles.readFilter(filter);
    if (npyToNpy) {
      NpyHeader dyHeader = Npy.readHeader(outBackprop);
      Conv2dBackpropInput problem = described.bind(w.shape(), w.dtype(), dyHeader.shape(), dyHeader.dtype());
      if (bandRows != null || !fitsInMemory(problem)) {
        return banded(out, problem, w);
      }
    } else if (dyFormat == TensorFiles.Format.NPY) {
      NpyHeader dyHeader = Npy.readHeader(outBackprop);
      Shape result = described.bind(w.shape(), w.dtype(), dyHeader.shape(), dyHeader.dtype()).inputShape();
      if (result.elementCount() > Shape.MAX_ELEMENTS) {
        throw new ParameterException(spec.commandLine(), "--output " + output + ": the result " + result + " has "
            + result.elementCount() + " elements, more than one tensor in memory holds; an --output ending in .npy"
            + " streams it from the .npy out_backprop in bands");
      }
    }
    TensorFile dyFile = TensorFiles.read(outBackprop);
    dyFile.requireLayout(described.dataFormat());
    Tensor dy = dyFile.tensor();
    Conv2dBackpropInput problem = described.bind(w, dy);
    try (Engine e = engine.build()) {
      // Packed once, as a caller that repeats the op would: --repeat times the op, not the packing.
      PackedFilter packed = e.pack(problem, w);
      Timing.Result<Engine.Scanned> timing =
          Timing.repeat(engine.repeat, () -> e.backpropInputScanned(problem, packed, dy));
      Tensor dx = timing.value().result();
      TensorFiles.write(output, dx, described.dataFormat(), dyFile);
      if (engine.verbose || engine.repeat > 1) { // the tiles that ran, which the values may choose
        out.printf("%s -> %s %s %s, kernel %s, %d thread(s)%n", problem, output, dx.dtype(), dx.shape(),
            packed.kernel().describe(problem, packed, timing.value().scan()), e.threads());
        out.println(timing.describe(problem.geometry().flops()));
      }
    }
    return 0;
  }

  /** The format {@code path}'s name says, or a usage error naming {@code option}. */
  private TensorFiles.Format format(String option, Path path) {
    try {
      return TensorFiles.Format.of(path);
    } catch (InvalidArgumentException e) {
      throw new ParameterException(spec.commandLine(), option + " " + path + ": expected a file name ending in .npy"
          + " or .arrow");
    }
  }

  /**
   * Whether the whole problem is computed in memory: its result and out_backprop each fit one tensor
   * and together a quarter of the heap. Larger ones stream in bands ({@link BandedNpyRun}).
   */
  private static boolean fitsInMemory(Conv2dBackpropInput problem) {
    long result = problem.inputShape().elementCount();
    long dy = problem.outBackpropShape().elementCount();
    long bytes = (result + dy) * problem.dtype().byteSize();
    return result <= Shape.MAX_ELEMENTS && dy <= Shape.MAX_ELEMENTS && bytes <= Runtime.getRuntime().maxMemory() / 4;
  }

  private int banded(PrintWriter out, Conv2dBackpropInput problem, Tensor w) throws IOException {
    if (engine.repeat > 1) {
      throw new ParameterException(spec.commandLine(), "--repeat times problems computed in memory; this one runs in"
          + " bands (" + (bandRows != null ? "--band-rows" : "larger than a quarter of the heap or one tensor") + ")");
    }
    // Before the output is made: the thinnest bands must fit the arrays a band is computed in.
    long height = problem.geometry().inHeight();
    if (problem.geometry().batch() > 0 && height > 0) {
      long align = problem.bandAlignment();
      Conv2dBackpropInput thinnest = problem.band(0, 0, Math.min(height, align));
      long dyElements = Bands.mostOutBackpropElements(problem, align);
      if (thinnest.inputShape().elementCount() > Shape.MAX_ELEMENTS || dyElements > Shape.MAX_ELEMENTS) {
        throw new InvalidArgumentException("Conv2DBackpropInput: the image's rows are too wide to compute in bands:"
            + " a band of " + Math.min(height, align) + " rows has result " + thinnest.inputShape() + " and reads up to "
            + dyElements + " out_backprop elements, and one tensor holds at most " + Shape.MAX_ELEMENTS);
      }
    }
    long rows = bandRows != null ? bandRows : Bands.defaultRows(problem);
    // Two bands are in memory at a time (the next one is read ahead), beside the filter and its packed
    // copy and the JVM's own use (classes' objects, I/O buffers, the engine's scratch: about 32 MiB).
    // A band of at most a quarter of what is left, one tensor each: a quarter of the whole heap ran
    // out of memory at 64 MiB, where G1 has few regions to give a band's large arrays.
    long heap = Runtime.getRuntime().maxMemory();
    long room = Math.max(0, heap - 2 * w.size() * (long) w.dtype().byteSize() - (32L << 20));
    long most = Bands.rowsWithin(problem, Math.min(room / 4 / problem.dtype().byteSize(), Shape.MAX_ELEMENTS));
    if (bandRows != null && Math.min(Bands.height(problem, bandRows), problem.geometry().inHeight()) > most) {
      throw new ParameterException(spec.commandLine(), "--band-rows " + bandRows + " is more than the " + most
          + " rows a band of this problem may have in this JVM's heap (" + (heap >> 20) + " MiB, two bands at a time"
          + " beside the filter); give at most " + most + ", or more heap (CONVGRAD_JAVA_OPTS=-Xmx...)");
    }
    try (Engine e = engine.build()) {
      BandedNpyRun.Report report = new BandedNpyRun(e, problem, rows).run(w, outBackprop, output);
      if (engine.verbose) {
        out.printf("%s -> %s %s %s, %d thread(s)%n", problem, output, problem.dtype(), problem.inputShape(),
            e.threads());
        out.println(report.describe(problem.geometry().flops()));
      }
    }
    return 0;
  }

  /** Which engine runs the op and how often. */
  static final class EngineOptions {
    @Option(names = "--engine", paramLabel = "KIND", converter = EngineKindConverter.class,
        description = "auto (default: a usable GPU, else the SIMD kernels), simd, scalar (the reference kernel) or"
            + " gpu (fails with the reason when no GPU is usable).")
    EngineKind kind = EngineKind.AUTO;

    @Option(names = "--device", paramLabel = "N", description = "The GPU's ordinal (CUDA's numbering) for auto and gpu;"
        + " refused with simd and scalar. Default: 0.")
    int device = 0;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads, at least 1. Default: the available processors.")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--repeat", paramLabel = "N", description = "Run the op N times on the same inputs (the output is written once) and print the median time per run.")
    int repeat = 1;

    @Option(names = {"-v", "--verbose"}, description = "Print the problem, the kernel chosen and the time taken.")
    boolean verbose;

    /** The options' ranges, as usage errors of {@code command}. */
    void check(CommandSpec command) {
      if (threads < 1) {
        throw new ParameterException(command.commandLine(), "--threads must be at least 1, but got " + threads);
      }
      if (device < 0) {
        throw new ParameterException(command.commandLine(), "--device must be at least 0, but got " + device);
      }
      // A GPU ordinal with a CPU engine is a mistake in the command, not a choice to ignore.
      if ((kind == EngineKind.SIMD || kind == EngineKind.SCALAR)
          && command.commandLine().getParseResult().hasMatchedOption("--device")) {
        throw new ParameterException(command.commandLine(),
            "--device picks a GPU, for --engine auto or gpu; it does not apply to --engine " + kind.name().toLowerCase(Locale.ROOT));
      }
      if (repeat < 1) {
        throw new ParameterException(command.commandLine(), "--repeat must be at least 1, but got " + repeat);
      }
    }

    Engine build() {
      return Engine.create(b -> b.kind(kind).device(device).threads(threads));
    }
  }

  /** {@code --engine}: a usage error names the engines there are. */
  static final class EngineKindConverter implements ITypeConverter<EngineKind> {
    @Override
    public EngineKind convert(String value) {
      try {
        return EngineKind.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
