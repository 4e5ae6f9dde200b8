package org.convgrad.spark.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;
import org.convgrad.spark.io.ArrowParts;

/**
 * {@code bin/convgrad-spark-submit --demo}: writes a demo dataset (384 samples of out_backprop
 * 32x32x64 float32 as 4 Arrow IPC files, a 3x3x64x64 filter as .npy) under {@code demo-output/},
 * then runs the job on it (stride 1, SAME) with {@code --assemble demo-output/dx.npy}. About 20 s
 * of work for the reference kernel on two cores.
 *
 * <p>Options: {@code --dir DIR} (default demo-output), {@code --samples N} (default 384); other
 * arguments go to the job.
 */
public final class ConvgradDemo {
  private ConvgradDemo() {}

  public static void main(String[] args) throws IOException {
    Path dir = Paths.get("demo-output");
    int samples = 384;
    List<String> jobArgs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--dir") && i + 1 < args.length) {
        dir = Paths.get(args[++i]);
      } else if (args[i].equals("--samples") && i + 1 < args.length) {
        samples = Integer.parseInt(args[++i]);
      } else {
        jobArgs.add(args[i]);
      }
    }
    Path dy = dir.resolve("out_backprop");
    Path filter = dir.resolve("filter.npy");
    Path out = dir.resolve("dx");
    deleteTree(dir);
    Files.createDirectories(dy);
    long t0 = System.nanoTime();
    int files = 4;
    for (int f = 0; f < files; f++) {
      int first = f * samples / files;
      int rows = (f + 1) * samples / files - first;
      ArrowParts.writeSamples(dy.resolve(String.format("dy-%02d.arrow", f)), first,
          random(DType.FLOAT32, 100 + f, rows, 32, 32, 64), DataFormat.NHWC);
    }
    Npy.write(filter, random(DType.FLOAT32, 7, 3, 3, 64, 64));
    System.out.printf("convgrad demo: wrote %d samples of out_backprop [32, 32, 64] in %d Arrow files to %s and a"
        + " [3, 3, 64, 64] filter (%.1f s)%n", samples, files, dy, (System.nanoTime() - t0) / 1e9);
    List<String> all = new ArrayList<>(List.of(
        "--out-backprop", dy.toString(), "--filter", filter.toString(), "--input-sizes", "32,32", "--strides", "1",
        "--padding", "SAME", "--output", out.toString(), "--assemble", dir.resolve("dx.npy").toString()));
    all.addAll(jobArgs);
    System.out.println("convgrad demo: running the job: " + String.join(" ", all));
    int code = ConvgradSparkJob.run(all.toArray(new String[0]));
    if (code == 0) {
      System.out.println("convgrad demo: parts and manifest.json in " + out + ", the whole input gradient in "
          + dir.resolve("dx.npy"));
    }
    if (code != 0) {
      System.exit(code);
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

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
