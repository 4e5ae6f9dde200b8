package org.convgrad.spark.job;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.convgrad.cli.OpOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The job's command line: the op's arguments as the {@code convgrad} command line takes them,
 * plus where the data lives and how to split the work.
 */
@Command(
    name = "convgrad-spark-submit",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "conv2d_backprop_input over a dataset of out_backprop samples on Spark: the driver validates,",
      "plans shards of whole samples and broadcasts the filter; executors read their shards from",
      "storage, run the engine and write Arrow IPC parts; the driver commits them (manifest.json,",
      "_SUCCESS) and, with --assemble, writes the whole input gradient as one .npy or .arrow."
    })
public final class JobOptions {
  @Option(names = "--out-backprop", required = true, paramLabel = "PATH",
      description = "Samples: a directory of Arrow IPC files (id + fixed_shape_tensor columns), an .arrow file, or"
          + " one .npy of shape [n, ...]. Any Hadoop path (file:, hdfs:, s3a:).")
  public String outBackprop = "";

  @Option(names = "--filter", required = true, paramLabel = "PATH", description = "The filter, [fh, fw, in_c, out_c]: .npy or .arrow.")
  public String filter = "";

  @Option(names = "--input-sizes", required = true, split = ",", arity = "1..*", paramLabel = "N",
      description = "The convolution input's shape: 4 values in data_format order (batch = the dataset's sample count)"
          + " or 2 spatial values.")
  public List<Long> inputSizes = new ArrayList<>();

  @Mixin public OpOptions op = new OpOptions();

  @Option(names = "--output", required = true, paramLabel = "DIR",
      description = "Output directory (must not exist or be empty): Arrow IPC parts, manifest.json, _SUCCESS.")
  public String output = "";

  @Option(names = "--assemble", paramLabel = "PATH",
      description = "Also write the whole input gradient as one .npy or .arrow file (bit-identical to a single-process run).")
  public @Nullable String assemble;

  @Option(names = "--samples-per-task", paramLabel = "N",
      description = "Samples per task (default: about 3 tasks per core, whole samples, never across files).")
  public long samplesPerTask = 0;

  @Option(names = "--engine", paramLabel = "auto|cpu|gpu",
      description = "auto: the GPU Spark assigns a task when a GPU backend exists, else the CPU; cpu; gpu (default auto).")
  public String engine = "auto";

  @Option(names = "--threads", paramLabel = "N", description = "Engine threads per task (default: the executor's cores / the tasks it runs at once,"
          + " i.e. spark.task.cpus).")
  public int threads = 0;

  static long[] toArray(List<Long> values) {
    long[] out = new long[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  public OpArgs opArgs() {
    return new OpArgs(toArray(inputSizes), op.strides, op.padding.name(), op.explicitPaddings, op.dilations,
        op.dataFormat.name());
  }
}
