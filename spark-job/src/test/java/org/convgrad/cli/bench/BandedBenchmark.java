package org.convgrad.cli.bench;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.convgrad.cli.ConvgradCli;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.Padding;
import org.convgrad.engine.RowBand;
import org.convgrad.engine.band.BandedRun;
import org.convgrad.engine.band.Bands;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.tensor.LargeTensor;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;

/**
 * Issue 15's benchmark: a problem that fits in memory (1 x H x H x C float32, 3x3 at stride 1,
 * SAME; the SIMD kernel's Winograd tiles), computed in ONE run, rounds interleaved, by
 *
 * <ol>
 *   <li>the engine on the whole image, and the engine band by band: from the image as a {@link
 *       LargeTensor} (the bands' rows read and written in place in its chunks), and by {@link
 *       BandedRun#compute} from rows copied out beforehand: what cutting into bands costs the compute;
 *   <li>{@code convgrad backprop-input} file to file in memory, and with {@code --band-rows}
 *       (streamed by ranges from .npy to .npy): what streaming costs end to end.
 * </ol>
 *
 * Reports medians and the ratios banded / whole (target >= 0.9 in throughput). The peak heap of a
 * problem 4x larger than the heap is HugeImageIT's line. Not a test: run by hand, holding the
 * build lock, from the repository root:
 *
 * <pre>
 * flock /tmp/convgrad-maven.lock ./mvnw -B -q -DskipTests package
 * flock /tmp/convgrad-maven.lock java $(cat spark-job/target/spark-home/jvm.flags) -Xmx3g \
 *   -cp "conf/:spark-job/target/test-classes:spark-job/target/spark-home/jars/*" \
 *   org.convgrad.cli.bench.BandedBenchmark --side 1024 --channels 32 --band-rows 128 --rounds 7
 * </pre>
 */
public final class BandedBenchmark {
  public static void main(String[] args) throws Exception {
    long side = arg(args, "--side", 1024);
    long c = arg(args, "--channels", 32);
    long bandRows = arg(args, "--band-rows", 128);
    int rounds = (int) arg(args, "--rounds", 7);
    int threads = (int) arg(args, "--threads", Runtime.getRuntime().availableProcessors());
    Conv2dBackpropInput op = Conv2dBackpropInput.of(new long[] {1, side, side, c}, Shape.of(3, 3, c, c),
        DType.FLOAT32, Shape.of(1, side, side, c), DType.FLOAT32, ConvParams.of(b -> b.padding(Padding.SAME)));
    Tensor w = random(op.filterShape(), 1);
    Tensor dy = random(op.outBackpropShape(), 2);
    Path dir = Files.createTempDirectory("convgrad-banded-bench");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteFiles(dir))); // also on Ctrl-C or a failed write
    Path wf = dir.resolve("w.npy");
    Path dyf = dir.resolve("dy.npy");
    Npy.write(wf, w);
    Npy.write(dyf, dy);
    List<String> cli = List.of("backprop-input", "--input-sizes", "1," + side + "," + side + "," + c, "--padding",
        "SAME", "--filter", wf.toString(), "--out-backprop", dyf.toString(), "--threads", Integer.toString(threads));
    double[][] t = new double[5][rounds];
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(threads))) {
      PackedFilter packed = e.pack(op, w);
      BandedRun run = new BandedRun(e, op, w);
      List<Conv2dBackpropInput> bands = Bands.of(op, bandRows);
      LargeTensor large = LargeTensor.of(dy);
      List<Tensor> copied = new ArrayList<>();
      for (Conv2dBackpropInput band : bands) {
        copied.add(rows(dy, band));
      }
      for (int r = -2; r < rounds; r++) { // two rounds of warm-up
        double[] s = new double[5];
        s[0] = time(() -> e.backpropInput(op, packed, dy));
        s[1] = time(() -> e.backpropInput(op, w, large, bandRows));
        s[2] = time(() -> cli(cli, dir.resolve("whole.npy")));
        s[3] = time(() -> cli(cli, dir.resolve("banded.npy"), "--band-rows", Long.toString(bandRows)));
        s[4] = time(() -> {
          for (int k = 0; k < bands.size(); k++) {
            run.compute(bands.get(k), copied.get(k));
          }
        });
        for (int i = 0; r >= 0 && i < 5; i++) {
          t[i][r] = s[i];
        }
      }
      if (!Arrays.equals(e.backpropInput(op, packed, dy).float32Data(),
          e.backpropInput(op, w, large, bandRows).toTensor().float32Data())) {
        throw new IllegalStateException("the banded large tensor differs from the whole result");
      }
      if (!Arrays.equals(Files.readAllBytes(dir.resolve("whole.npy")), Files.readAllBytes(dir.resolve("banded.npy")))) {
        throw new IllegalStateException("the banded file differs from the in-memory one");
      }
      double gflop = op.geometry().flops() / 1e9;
      String table = String.format(Locale.ROOT, """
          | %d x %d x %d float32, 3x3 SAME, %s, %d threads, %d bands of %d rows | median s | GFLOP/s |
          |---|---|---|
          | engine, whole image | %.3f | %.1f |
          | engine, band by band from a LargeTensor (rows read and written in place) | %.3f | %.1f |
          | engine, band by band, rows copied out beforehand | %.3f | %.1f |
          | convgrad backprop-input, in memory (file to file) | %.3f | %.1f |
          | convgrad backprop-input --band-rows %d (streamed) | %.3f | %.1f |

          Banded / whole throughput: engine %.2f (rows copied beforehand %.2f), file to file %.2f (medians of %d
          interleaved rounds; JVM %s).
          """, side, side, c, run.kernelDescription(), threads, bands.size(), Bands.height(op, bandRows),
          median(t[0]), gflop / median(t[0]), median(t[1]), gflop / median(t[1]), median(t[4]), gflop / median(t[4]),
          median(t[2]), gflop / median(t[2]),
          bandRows, median(t[3]), gflop / median(t[3]), median(t[0]) / median(t[1]), median(t[0]) / median(t[4]),
          median(t[2]) / median(t[3]),
          rounds, System.getProperty("java.version"));
      System.out.println(table);
    }
  }

  private static void deleteFiles(Path dir) {
    try {
      for (String f : new String[] {"w.npy", "dy.npy", "whole.npy", "banded.npy"}) {
        Files.deleteIfExists(dir.resolve(f));
      }
      Files.deleteIfExists(dir);
    } catch (java.io.IOException e) {
      System.err.println("could not remove " + dir + ": " + e);
    }
  }

  private static Tensor rows(Tensor dy, Conv2dBackpropInput band) {
    RowBand at = band.bandOf();
    var g = band.whole().geometry();
    long rowElements = g.outWidth() * g.outDepth();
    float[] out = new float[(int) (at.outRows() * rowElements)];
    System.arraycopy(dy.float32Data(), (int) (at.firstOutRow() * rowElements), out, 0, out.length);
    return Tensor.ofFloat32(band.outBackpropShape(), out);
  }

  private static void cli(List<String> base, Path output, String... more) {
    List<String> args = new ArrayList<>(base);
    args.addAll(List.of("--output", output.toString()));
    args.addAll(List.of(more));
    StringWriter err = new StringWriter();
    if (ConvgradCli.run(args.toArray(String[]::new), new PrintWriter(new StringWriter()), new PrintWriter(err)) != 0) {
      throw new IllegalStateException(err.toString());
    }
  }

  private interface Work {
    void run() throws Exception;
  }

  private static double time(Work w) {
    long start = System.nanoTime();
    try {
      w.run();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return (System.nanoTime() - start) / 1e9;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static long arg(String[] args, String name, long dflt) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return Long.parseLong(args[i + 1]);
      }
    }
    return dflt;
  }

  private static Tensor random(Shape shape, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextDouble(-1, 1);
    }
    return Tensor.ofFloat32(shape, v);
  }
}
