package org.convgrad.spark.job;

import org.convgrad.cli.OpOptions;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * The job's command line: the op's options as {@code convgrad backprop-input} takes them, plus
 * where the data lives and how to split the work. {@link #toJob()} turns it into a {@link
 * ConvgradJob}: the command line is a thin shell over the job API.
 */
@Command(
    name = "convgrad-spark-submit",
    mixinStandardHelpOptions = true,
    versionProvider = JobOptions.VersionProvider.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "conv2d_backprop_input over a dataset of out_backprop samples on Spark: the driver validates,",
      "plans shards of whole samples and broadcasts the filter; executors read their shards from",
      "storage, run the engine and write Arrow IPC parts; the driver commits them (manifest.json,",
      "_SUCCESS) and, with --assemble, writes the whole input gradient as one .npy or .arrow.",
      "spark-submit's own options (--master, --conf, ...) may come before or among these.",
      "bin/convgrad-spark-submit --demo [--dir DIR] [--samples N] runs a generated demo (--demo --help)."
    },
    footer = {
      "",
      "Outputs are checked before any task: --output must be new or empty and neither be, hold nor lie inside an",
      "input; --assemble must not be an input, a directory, a symbolic link or inside --output (an existing file",
      "is replaced). Exit status: 0 success; 2 a rejected command line ('Usage error: ...'), op ('InvalidArgument:",
      "...') or input ('Error: ...'), also when a task finds a sample it cannot use; 1 a failed job. One line each."
    })
public final class JobOptions {
  @Spec CommandSpec spec;

  @Option(names = "--out-backprop", required = true, paramLabel = "PATH",
      description = "Samples: a directory of Arrow IPC files (id + fixed_shape_tensor columns), an .arrow file, or"
          + " one .npy of shape [n, ...]. Any Hadoop path (file:, hdfs:, s3a:).")
  public String outBackprop = "";

  @Option(names = "--filter", required = true, paramLabel = "PATH", description = "The filter, [fh, fw, in_c, out_c]: .npy or .arrow.")
  public String filter = "";

  @Mixin public OpOptions op = new OpOptions();

  @Option(names = "--output", required = true, paramLabel = "DIR",
      description = "Output directory (new, or empty): Arrow IPC parts, manifest.json, _SUCCESS.")
  public String output = "";

  @Option(names = "--assemble", paramLabel = "PATH",
      description = "Also write the whole input gradient as one .npy or .arrow file (bit-identical to a single-process run).")
  public @Nullable String assemble;

  @Option(names = "--samples-per-task", paramLabel = "N",
      description = "Samples per task, at least 1 (default: about 3 tasks per core, whole samples, never across files).")
  public @Nullable Long samplesPerTask;

  @Option(names = "--band-rows", paramLabel = "N",
      description = "Shard each sample into bands of N result rows, a task each, read from a .npy dataset by ranges"
          + " (default: bands sized to spark.convgrad.batch.maxBytes, only for samples larger than it).")
  public @Nullable Long bandRows;

  @Option(names = "--engine", paramLabel = "auto|cpu|gpu", converter = EngineChoiceConverter.class,
      description = "auto: the GPU Spark assigns a task when a GPU backend exists, else the CPU; cpu; gpu (default auto).")
  public EngineChoice engine = EngineChoice.AUTO;

  @Option(names = "--threads", paramLabel = "N", description = "Engine threads per task, at least 1 (default: the"
      + " executor's cores / the tasks it runs at once, i.e. spark.task.cpus).")
  public @Nullable Integer threads;

  /**
   * The job these options describe.
   *
   * @throws ParameterException for an option out of its range (a usage error)
   * @throws org.convgrad.engine.InvalidArgumentException for an op TensorFlow would reject
   */
  public ConvgradJob toJob() {
    ConvgradJob.Builder b = ConvgradJob.builder()
        .op(op.toOp())
        .outBackprop(outBackprop)
        .filter(filter)
        .output(output)
        .assemble(assemble)
        .engine(engine);
    if (samplesPerTask != null) {
      atLeastOne("--samples-per-task", samplesPerTask);
      b.samplesPerTask(samplesPerTask);
    }
    if (bandRows != null) {
      atLeastOne("--band-rows", bandRows);
      b.bandRows(bandRows);
    }
    if (threads != null) {
      atLeastOne("--threads", threads);
      b.threads(threads);
    }
    return b.build();
  }

  private void atLeastOne(String option, long value) {
    if (value < 1) {
      throw new ParameterException(spec.commandLine(), option + " must be at least 1, but got " + value
          + " (leave it out for the default)");
    }
  }

  /** {@code --engine}: a usage error names the choices. */
  static final class EngineChoiceConverter implements ITypeConverter<EngineChoice> {
    @Override
    public EngineChoice convert(String value) {
      try {
        return EngineChoice.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** The jar's version and the JVM's, as {@code convgrad --version} prints them. */
  static final class VersionProvider implements picocli.CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = JobOptions.class.getPackage().getImplementationVersion();
      return new String[] {
        "convgrad " + (v == null ? "(development build)" : v) + " (Spark job)",
        "JVM " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
      };
    }
  }
}
