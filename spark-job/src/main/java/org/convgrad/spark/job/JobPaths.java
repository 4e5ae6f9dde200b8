package org.convgrad.spark.job;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.convgrad.io.OutputPaths;
import org.convgrad.io.OutputRefusedException;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.io.HadoopChannels;
import org.jspecify.annotations.Nullable;

/**
 * The job's output paths against its inputs, checked on the driver before any task: the rules of
 * {@link OutputPaths} (never an input, never inside or around one, never a link, a file where a
 * file is meant), on local paths as the operating system resolves them and on other file systems
 * by their qualified names. The output directory itself (new or empty) is the committer's check.
 */
final class JobPaths {
  private JobPaths() {}

  /**
   * Refuses a path the job could not name: empty, or not a Hadoop path (a relative name with a colon
   * before its first slash reads as a scheme).
   */
  static void requirePath(String option, String location) {
    if (location.isEmpty()) {
      throw new DatasetException(option + " is empty: name a file or directory");
    }
    try {
      new Path(location);
    } catch (IllegalArgumentException e) {
      String cause = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
      throw new DatasetException(option + " " + location + " is not a path the job can read or write (" + cause + ")"
          + (location.contains(":") && !location.contains("/") ? "; a local name with a colon is ./" + location : ""));
    }
  }

  /**
   * {@code location} with its {@code ..} resolved as the operating system does, after the links
   * before it, where it names a local file. Hadoop's {@link Path} drops {@code dir/..} by its text,
   * which after a symbolic link is another directory than the one the shell means.
   */
  static String resolved(String location, Configuration conf) throws IOException {
    String path;
    String prefix;
    if (location.startsWith("file:///")) {
      prefix = "file:";
      path = location.substring("file://".length());
    } else if (location.startsWith("file:/") && !location.startsWith("file://")) {
      prefix = "file:";
      path = location.substring("file:".length());
    } else {
      prefix = "";
      path = location;
    }
    if (!java.util.Arrays.asList(path.split("/")).contains("..")
        || prefix.isEmpty() && new Path(location).toUri().getScheme() != null
        || HadoopChannels.localPath(new Path(location), conf) == null) {
      return location;
    }
    return prefix + OutputPaths.canonical(java.nio.file.Path.of(path));
  }

  static void check(Configuration conf, String outBackprop, @Nullable String filter, String output,
      @Nullable String assemble) throws IOException {
    Map<String, @Nullable String> inputs = new LinkedHashMap<>();
    inputs.put("--out-backprop", outBackprop);
    inputs.put("--filter", filter);
    Map<String, java.nio.file.@Nullable Path> localInputs = new LinkedHashMap<>();
    for (Map.Entry<String, @Nullable String> in : inputs.entrySet()) {
      localInputs.put(in.getKey(), in.getValue() == null ? null : HadoopChannels.localPath(new Path(in.getValue()), conf));
    }
    java.nio.file.Path out = HadoopChannels.localPath(new Path(output), conf);
    if (out != null) {
      OutputPaths.checkDirectory("--output", out, localInputs);
    } else {
      for (Map.Entry<String, @Nullable String> in : inputs.entrySet()) {
        if (in.getValue() != null) {
          refuseOverlap("--output", output, in.getKey(), in.getValue(), conf, true);
        }
      }
    }
    if (assemble == null) {
      return;
    }
    java.nio.file.Path file = HadoopChannels.localPath(new Path(assemble), conf);
    if (file != null) {
      if (out != null) {
        OutputPaths.checkOutside("--assemble", file, "--output", out);
        if (OutputPaths.canonical(out).startsWith(OutputPaths.canonical(file))) {
          throw new OutputRefusedException("--output " + output + " lies inside --assemble " + assemble
              + ", which must be a file; choose another --output");
        }
      }
      OutputPaths.checkFile("--assemble", file, localInputs);
      return;
    }
    for (Map.Entry<String, @Nullable String> in : inputs.entrySet()) {
      if (in.getValue() != null) {
        refuseOverlap("--assemble", assemble, in.getKey(), in.getValue(), conf, false);
      }
    }
    if (qualified(assemble, conf).startsWith(qualified(output, conf) + "/")) {
      throw new OutputRefusedException("--assemble " + assemble + " lies inside --output " + output
          + ", which the job writes and owns; choose a file outside it");
    }
    if (qualified(output, conf).startsWith(qualified(assemble, conf) + "/")) {
      throw new OutputRefusedException("--output " + output + " lies inside --assemble " + assemble
          + ", which must be a file; choose another --output");
    }
    Path p = new Path(assemble);
    FileSystem fs = HadoopChannels.fileSystem(p, conf);
    if (fs.exists(p) && fs.getFileStatus(p).isDirectory()) {
      throw new OutputRefusedException("--assemble " + assemble + " is a directory; name the file to write");
    }
  }

  /**
   * Refuses an output (a directory, or a file) that is an input, lies inside one (a dataset's
   * directory: the file would replace one of its files or join it), or, for a directory, holds one.
   */
  private static void refuseOverlap(String option, String output, String inputOption, String input,
      Configuration conf, boolean directory) throws IOException {
    String o = qualified(output, conf);
    String i = qualified(input, conf);
    if (o.equals(i)) {
      throw new OutputRefusedException(option + " " + output + " is " + inputOption + " " + input
          + "; convgrad never overwrites an input: choose another " + option);
    }
    if (o.startsWith(i + "/") || directory && i.startsWith(o + "/")) {
      throw new OutputRefusedException(option + " " + output + (o.startsWith(i + "/") ? " lies inside " : " holds ")
          + inputOption + " " + input + "; choose a " + (directory ? "directory" : "file") + " apart from it");
    }
  }

  private static String qualified(String location, Configuration conf) throws IOException {
    Path p = new Path(location);
    String q = HadoopChannels.fileSystem(p, conf).makeQualified(p).toString();
    return q.endsWith("/") ? q.substring(0, q.length() - 1) : q;
  }

  /** Whether something is at {@code location}; false when that cannot be told. */
  static boolean existsQuietly(String location, Configuration conf) {
    try {
      Path p = new Path(location);
      return HadoopChannels.fileSystem(p, conf).exists(p);
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }
}
