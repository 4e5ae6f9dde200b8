package org.convgrad.spark.job;

import org.convgrad.spark.commit.JobCommitter;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.convgrad.cli.ErrorLine;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.OutputRefusedException;
import org.convgrad.io.npy.Npy;
import org.convgrad.spark.io.ArrowParts;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code bin/convgrad-spark-submit --demo}: writes a demo dataset (out_backprop samples of
 * 24x24x128 float32 in 4 Arrow IPC files, a 3x3x128x128 filter as .npy: a layer of a ResNet's
 * third stage, 170 MFLOP per sample, so that the engine's time is a real part of the job's) under
 * {@code --dir}, then runs the job on it (stride 1, SAME) with {@code --assemble DIR/dx.npy}.
 *
 * <p>The demo owns its directory: it marks a directory it made ({@value #MARKER}) and on a later
 * run replaces only the files it wrote there. It refuses a directory that is neither new, empty
 * nor its own, so a mistyped {@code --dir} never costs a user a file.
 */
@Command(
    name = "convgrad-spark-submit --demo",
    mixinStandardHelpOptions = true,
    versionProvider = JobOptions.VersionProvider.class,
    description = {
      "Generates a demo dataset and runs the convgrad Spark job over it, on local[*] unless --master says otherwise.",
      "The directory must be new, empty, or one an earlier demo made: the demo removes only files it wrote."
    })
public final class ConvgradDemo implements Callable<Integer> {
  /** The file that says a directory is the demo's own. */
  static final String MARKER = ".convgrad-demo";
  private static final int FILES = 4;
  private static final int SIZE = 24;
  private static final int CHANNELS = 128;

  @Option(names = "--dir", paramLabel = "DIR", description = "Where the demo writes its data and results. Default: demo-output.")
  Path dir = Path.of("demo-output");

  @Option(names = "--samples", paramLabel = "N", description = "Samples to generate, at least 1. Default: 384.")
  int samples = 384;

  @Unmatched List<String> jobArgs = new ArrayList<>();

  private ConvgradDemo() {}

  public static void main(String[] args) {
    ConvgradSparkJob.mainEntered();
    CommandLine cli = new CommandLine(new ConvgradDemo());
    cli.setParameterExceptionHandler((e, a) -> {
      System.err.println(ErrorLine.of(e));
      return ErrorLine.REJECTED;
    });
    cli.setExecutionExceptionHandler((e, c, parsed) -> {
      System.err.println(ErrorLine.of(e));
      return ErrorLine.exitCode(e);
    });
    int code = cli.execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = new PrintWriter(System.out, true);
    if (samples < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--samples must be at least 1, but got "
          + samples);
    }
    if (dir.toString().matches("[A-Za-z][A-Za-z0-9+.-]*:/.*") && !Files.exists(dir)) {
      // file:///x would be a directory named file: here, and the job would read it as a URI.
      throw new CommandLine.ParameterException(new CommandLine(this), "--dir " + dir + " looks like a URI; the demo"
          + " writes to a local directory: give its path");
    }
    // The job takes paths as Hadoop does, where "demo-12:00" would be a URI's scheme: absolute ones.
    Path home = dir.toAbsolutePath();
    Path dy = home.resolve("out_backprop");
    Path filter = home.resolve("filter.npy");
    Path result = home.resolve("dx");
    Path assembled = home.resolve("dx.npy");
    List<String> all = new ArrayList<>(List.of(
        "--out-backprop", dy.toString(), "--filter", filter.toString(), "--input-sizes", SIZE + "," + SIZE,
        "--strides", "1",
        "--padding", "SAME", "--output", result.toString(), "--assemble", assembled.toString()));
    all.addAll(jobArgs);
    // The job's options checked before anything is removed or written: a typo costs nothing.
    try {
      new CommandLine(new JobOptions()).parseArgs(all.toArray(new String[0])).commandSpec();
    } catch (CommandLine.ParameterException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
    }
    claim(dir);
    long t0 = System.nanoTime();
    int files = Math.min(FILES, samples);
    Files.createDirectories(dy);
    for (int f = 0; f < files; f++) {
      int first = f * samples / files;
      int rows = (f + 1) * samples / files - first;
      ArrowParts.writeSamples(dy.resolve(dataFile(f)), first,
          random(DType.FLOAT32, 100 + f, rows, SIZE, SIZE, CHANNELS), DataFormat.NHWC);
    }
    Npy.write(filter, random(DType.FLOAT32, 7, 3, 3, CHANNELS, CHANNELS));
    out.printf("convgrad demo: wrote %d samples of out_backprop [%d, %d, %d] in %d Arrow files to %s and a"
        + " [3, 3, %d, %d] filter (%.1f s)%n", samples, SIZE, SIZE, CHANNELS, files, dy, CHANNELS, CHANNELS,
        (System.nanoTime() - t0) / 1e9);
    out.println("convgrad demo: running the job: " + String.join(" ", all));
    int code = ConvgradSparkJob.run(all.toArray(new String[0]));
    if (code == 0) {
      out.println("convgrad demo: parts and manifest.json in " + result + ", the whole input gradient in "
          + assembled);
    }
    return code;
  }

  private static String dataFile(int f) {
    return String.format("dy-%02d.arrow", f);
  }

  /**
   * Makes {@code dir} the demo's: a new or empty directory gets the marker; a marked one loses the
   * files an earlier demo wrote (and nothing else); anything else is refused.
   */
  static void claim(Path dir) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      throw new OutputRefusedException("--dir " + dir + " is a symbolic link; name a directory");
    }
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new OutputRefusedException("--dir " + dir + " exists and is not a directory");
    }
    if (!Files.exists(dir) || isEmpty(dir)) {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(MARKER), "This directory was made by bin/convgrad-spark-submit --demo, which"
          + " replaces the files it wrote here (out_backprop/, filter.npy, dx/, dx.npy) on its next run.\n");
      return;
    }
    if (!Files.isRegularFile(dir.resolve(MARKER))) {
      throw new OutputRefusedException("--dir " + dir + " is not empty and was not made by the demo; the demo writes"
          + " only into a new or empty directory (or one it made): choose another --dir");
    }
    List<Path> strangers = new ArrayList<>();
    List<Path> ours = new ArrayList<>();
    for (Path p : list(dir)) {
      String name = p.getFileName().toString();
      switch (name) {
        case MARKER:
          break;
        case "filter.npy":
        case "dx.npy":
          (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? ours : strangers).add(p);
          break;
        case "out_backprop":
          for (Path q : list(p)) {
            (isDemoDataFile(q) ? ours : strangers).add(q);
          }
          break;
        case "dx":
          for (Path q : list(p)) {
            (isJobOutput(q) ? ours : strangers).add(q);
          }
          break;
        default:
          // A run stopped while it wrote: the temporary names of its assembly and its own files.
          boolean temporary = name.matches("\\.(dx\\.npy|filter\\.npy)\\.[-0-9a-z.]+\\.tmp")
              && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
          (temporary ? ours : strangers).add(p);
      }
    }
    if (!strangers.isEmpty()) {
      throw new OutputRefusedException("--dir " + dir + " holds files the demo did not write (" + strangers
          + "); the demo removes only its own: move them, or choose another --dir");
    }
    for (Path p : ours) {
      deleteTree(p);
    }
  }

  private static boolean isDemoDataFile(Path p) {
    String name = p.getFileName().toString();
    for (int f = 0; f < FILES; f++) {
      if (name.equals(dataFile(f)) || name.matches("\\." + java.util.regex.Pattern.quote(dataFile(f)) + "\\.\\d+\\.tmp")) {
        return Files.isRegularFile(p);
      }
    }
    return false;
  }

  /** What the job writes into its output directory. */
  private static boolean isJobOutput(Path p) throws IOException {
    String name = p.getFileName().toString();
    if (name.equals(JobCommitter.TEMPORARY)) {
      return isJobTemporary(p);
    }
    return (name.matches("part-\\d{5}\\.arrow") || name.equals("manifest.json") || name.equals("_SUCCESS"))
        && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Whether {@code _temporary} holds nothing but what a job of the demo left there (a run stopped
   * with SIGKILL): its jobs' directories of task attempts. Anything else in it is a stranger's.
   */
  private static boolean isJobTemporary(Path temporary) throws IOException {
    if (!Files.isDirectory(temporary, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    for (Path job : list(temporary)) {
      if (!job.getFileName().toString().matches("job-[0-9a-f]{8}")
          || !Files.isDirectory(job, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
      for (Path f : list(job)) {
        String name = f.getFileName().toString();
        if (!(name.matches("part-\\d{5}\\.arrow\\.attempt-\\d+-tid\\d+") || name.equals("manifest.json.tmp"))
            || !Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return List.of(dir);
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  static Tensor random(DType dtype, long seed, long... shape) {
    Shape s = Shape.of(shape);
    Random r = new Random(seed);
    float[] v = new float[s.checkedArrayLength("demo tensor")];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.fromFloats(dtype, s, v);
  }

  private static void deleteTree(Path p) throws IOException {
    if (Files.isSymbolicLink(p) || !Files.isDirectory(p)) {
      Files.deleteIfExists(p);
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(q);
      }
    }
  }
}
