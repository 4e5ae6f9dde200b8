package org.convgrad.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.kernel.PackedFilter;
import org.convgrad.engine.kernel.simd.SimdBackpropInputKernel;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;

/**
 * convgrad's conv2d_backprop_input against its anchors in one process: TensorFlow's CPU kernel
 * (TF Java 1.1.0 = TF 2.18) and oneDNN 3.6.1's convolution_backward_data, on the shapes
 * S1-S6, float32 NHWC, plus float64 on S1 and S4. Each engine is warmed up twice for at least
 * {@code --warmup} seconds, then timed {@code --runs} times; the median counts. Writes a Markdown
 * table and a PNG chart. Run it with {@code benchmarks/run.sh} (see benchmarks/README.md).
 *
 * <pre>
 * options: --threads N (2)  --shapes S1,S3 (all)  --warmup SECONDS (1.0)  --runs N (9)
 *          --engines simd,packed,reference,tf,onednn (all)  --out DIR (benchmarks/results)  --no-f64
 *          --no-layouts (skip S1 and S4 in NCHW, half and bfloat16)
 *          (the reference: one warm-up call and one timed call, problems of at most 2 GFLOP)
 * </pre>
 */
public final class BackpropInputBenchmark {
  private static final double REFERENCE_MAX_FLOPS = 2e9;

  private BackpropInputBenchmark() {}

  public static void main(String[] args) throws IOException {
    int threads = 2;
    double warmup = 1.0;
    int runs = 9;
    List<String> shapes = new ArrayList<>();
    List<String> engines = List.of("simd", "packed", "reference", "tf", "onednn");
    Path out = Path.of("benchmarks", "results");
    boolean f64 = true;
    boolean layouts = true;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Double.parseDouble(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--shapes" -> shapes = Arrays.asList(args[++i].split(","));
        case "--engines" -> engines = Arrays.asList(args[++i].split(","));
        case "--out" -> out = Path.of(args[++i]);
        case "--no-f64" -> f64 = false;
        case "--no-layouts" -> layouts = false;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    String env = "JVM " + System.getProperty("java.vm.version") + ", " + Runtime.getRuntime().availableProcessors()
        + " processors, " + threads + " threads (OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS") + ")";
    System.out.println(env);
    List<Row> rows = new ArrayList<>();
    for (Shapes s : Shapes.ALL) {
      if (!shapes.isEmpty() && !shapes.contains(s.name())) {
        continue;
      }
      rows.add(runFloat32(s, threads, warmup, runs, engines));
    }
    if (f64) {
      for (Shapes s : Shapes.ALL) {
        if ((s.name().equals("S1") || s.name().equals("S4")) && (shapes.isEmpty() || shapes.contains(s.name()))) {
          rows.add(runFloat64(s, threads, warmup, runs, engines));
        }
      }
    }
    List<Row> layoutRows = new ArrayList<>();
    if (layouts) {
      for (Shapes s : Shapes.ALL) {
        if ((s.name().equals("S1") || s.name().equals("S4")) && (shapes.isEmpty() || shapes.contains(s.name()))) {
          layoutRows.add(runLayouts(s, threads, warmup, runs));
        }
      }
    }
    Files.createDirectories(out);
    String md = markdown(rows, env, threads, warmup, runs) + layoutMarkdown(layoutRows);
    Files.writeString(out.resolve("latest.md"), md);
    chart(rows, out.resolve("latest.png"));
    System.out.println();
    System.out.println(md);
  }

  /** One table row: GFLOP/s per engine, and notes. */
  static final class Row {
    final String shape;
    final String dtype;
    final double gflop;
    final Map<String, Double> gflops = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();

    Row(String shape, String dtype, double gflop) {
      this.shape = shape;
      this.dtype = dtype;
      this.gflop = gflop;
    }
  }

  private static Row runFloat32(Shapes s, int threads, double warmup, int runs, List<String> engines) {
    Conv2dBackpropInput op = s.op(DType.FLOAT32);
    Row row = new Row(s.name(), "f32", s.flops() / 1e9);
    System.out.printf(Locale.ROOT, "%n%s %s  %.2f GFLOP  (%s)%n", s.name(), s.describe(), row.gflop,
        SimdBackpropInputKernel.strategy(op));
    float[] w = Shapes.random(s.fh() * s.fw() * s.ic() * s.oc(), 1);
    float[] dyv = Shapes.random(s.n() * s.outH() * s.outW() * s.oc(), 2);
    Tensor filter = Tensor.ofFloat32(op.filterShape(), w);
    Tensor dy = Tensor.ofFloat32(op.outBackpropShape(), dyv);
    if (engines.contains("reference") && s.flops() <= REFERENCE_MAX_FLOPS) {
      try (Engine e = Engine.create(b -> b.kind(EngineKind.SCALAR).threads(threads))) {
        time(row, "convgrad reference", () -> e.backpropInput(op, filter, dy), 0, 1);
      }
    }
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(threads));
        TfAnchor tf = engines.contains("tf") ? new TfAnchor(s, threads, w, dyv) : null;
        OneDnn dnn = engines.contains("onednn") ? new OneDnn(s, w, dyv) : null) {
      String kernel = e.kernelFor(op).name();
      PackedFilter packed = e.pack(op, filter);
      Map<String, Runnable> calls = new LinkedHashMap<>();
      if (engines.contains("simd")) {
        calls.put("convgrad " + kernel, () -> e.backpropInput(op, filter, dy));
      }
      if (engines.contains("packed")) {
        calls.put("convgrad packed", () -> e.backpropInput(op, packed, dy));
      }
      if (tf != null) {
        calls.put("TensorFlow", tf::run);
      }
      if (dnn != null) {
        calls.put("oneDNN", dnn::runWithReorders);
        calls.put("oneDNN primitive", dnn::runPrimitive);
      }
      timeInterleaved(row, calls, warmup, runs);
      float[] mine = e.backpropInput(op, packed, dy).float32Data();
      if (tf != null) {
        row.notes.add("max |convgrad - TF| / max|TF| = " + fmt(relDiff(mine, tf.resultFloats(mine.length))));
      }
      if (dnn != null) {
        dnn.runWithReorders();
        row.notes.add("oneDNN " + dnn.implementation + ", " + dnn.reorders + " reorders per call");
        row.notes.add("max |convgrad - oneDNN| / max|oneDNN| = " + fmt(relDiff(mine, dnn.result(mine.length))));
      }
    }
    return row;
  }

  private static Row runFloat64(Shapes s, int threads, double warmup, int runs, List<String> engines) {
    Conv2dBackpropInput op = s.op(DType.FLOAT64);
    Row row = new Row(s.name(), "f64", s.flops() / 1e9);
    System.out.printf(Locale.ROOT, "%n%s float64 %s  %.2f GFLOP  (%s)%n", s.name(), s.describe(), row.gflop,
        SimdBackpropInputKernel.strategy(op));
    double[] w = toDoubles(Shapes.random(s.fh() * s.fw() * s.ic() * s.oc(), 1));
    double[] dyv = toDoubles(Shapes.random(s.n() * s.outH() * s.outW() * s.oc(), 2));
    Tensor filter = Tensor.ofFloat64(op.filterShape(), w);
    Tensor dy = Tensor.ofFloat64(op.outBackpropShape(), dyv);
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(threads));
        TfAnchor tf = engines.contains("tf") ? new TfAnchor(s, threads, w, dyv) : null) {
      String kernel = e.kernelFor(op).name();
      PackedFilter packed = e.pack(op, filter);
      Map<String, Runnable> calls = new LinkedHashMap<>();
      calls.put("convgrad " + kernel, () -> e.backpropInput(op, filter, dy));
      calls.put("convgrad packed", () -> e.backpropInput(op, packed, dy));
      if (tf != null) {
        calls.put("TensorFlow", tf::run);
      }
      timeInterleaved(row, calls, warmup, runs);
    }
    return row;
  }

  private static final List<String> LAYOUTS = List.of("NHWC float32", "NCHW float32", "NHWC half", "NHWC bfloat16");

  /**
   * convgrad alone (SIMD, filter packed once) on one shape in NHWC and NCHW float32 and NHWC half
   * and bfloat16, interleaved as the anchors are: what staging costs (NCHW is transposed, 16-bit
   * types widened, into per-thread scratch).
   */
  private static Row runLayouts(Shapes s, int threads, double warmup, int runs) {
    Row row = new Row(s.name(), "layouts", s.flops() / 1e9);
    System.out.printf(Locale.ROOT, "%n%s layouts and 16-bit dtypes %s  %.2f GFLOP%n", s.name(), s.describe(), row.gflop);
    float[] w = Shapes.random(s.fh() * s.fw() * s.ic() * s.oc(), 1);
    float[] dyv = Shapes.random(s.n() * s.outH() * s.outW() * s.oc(), 2);
    Map<String, Runnable> calls = new LinkedHashMap<>();
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(threads))) {
      for (String layout : LAYOUTS) {
        boolean nchw = layout.startsWith("NCHW");
        DType t = layout.endsWith("half") ? DType.HALF : layout.endsWith("bfloat16") ? DType.BFLOAT16 : DType.FLOAT32;
        Conv2dBackpropInput op = Conv2dBackpropInput.of(
            nchw ? new long[] {s.n(), s.ic(), s.h(), s.w()} : new long[] {s.n(), s.h(), s.w(), s.ic()},
            Shape.of(s.fh(), s.fw(), s.ic(), s.oc()), t,
            nchw ? Shape.of(s.n(), s.oc(), s.outH(), s.outW()) : Shape.of(s.n(), s.outH(), s.outW(), s.oc()), t,
            ConvParams.of(b -> b.strides(s.stride()).padding(s.padding())
                .dataFormat(nchw ? DataFormat.NCHW : DataFormat.NHWC)));
        // The same values in every layout (only their order differs; NCHW is dy transposed).
        float[] dyl = nchw ? toNchw(dyv, s.n(), s.outH(), s.outW(), s.oc()) : dyv;
        PackedFilter packed = e.pack(op, Tensor.fromFloats(t, op.filterShape(), w));
        Tensor dy = Tensor.fromFloats(t, op.outBackpropShape(), dyl);
        calls.put(layout, () -> e.backpropInput(op, packed, dy));
      }
      timeInterleaved(row, calls, warmup, runs);
    }
    return row;
  }

  private static float[] toNchw(float[] nhwc, int n, int h, int w, int c) {
    float[] out = new float[nhwc.length];
    for (int b = 0; b < n; b++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int ch = 0; ch < c; ch++) {
            out[((b * c + ch) * h + y) * w + x] = nhwc[((b * h + y) * w + x) * c + ch];
          }
        }
      }
    }
    return out;
  }

  private static String layoutMarkdown(List<Row> rows) {
    if (rows.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder("\n## Layouts and 16-bit dtypes (convgrad SIMD, filter packed once)\n\n");
    sb.append("GFLOP/s, same rounds as above.\n\n| shape |");
    for (String l : LAYOUTS) {
      sb.append(' ').append(l).append(" |");
    }
    sb.append(" NCHW / NHWC |\n|---|").append("---|".repeat(LAYOUTS.size() + 1)).append('\n');
    for (Row r : rows) {
      sb.append("| ").append(r.shape).append(" |");
      for (String l : LAYOUTS) {
        sb.append(String.format(Locale.ROOT, " %.1f |", r.gflops.get(l)));
      }
      sb.append(String.format(Locale.ROOT, " %.2f |\n", r.gflops.get("NCHW float32") / r.gflops.get("NHWC float32")));
    }
    return sb.toString();
  }

  private static double[] toDoubles(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  private static double relDiff(float[] a, float[] b) {
    double max = 0;
    double diff = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(b[i]));
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
    }
    return max == 0 ? diff : diff / max;
  }

  /** Untimed calls per engine and round before the timed one. */
  private static final int UNTIMED = 4;

  /**
   * Warms every engine up twice over, then times them in rounds (per round and engine: a short
   * pause, so that no engine's spinning threads run into the next one's call, {@link #UNTIMED}
   * untimed calls, then the timed one): load from other processes then hits every engine alike.
   * The median per engine counts.
   *
   * <p>Why twice: the first engine of a problem is still being compiled by C2 when its first second
   * ends (S1's SIMD call: 5-22 calls in that second, 45-200 ms each against 7 ms), and on two cores
   * the compiler threads go on competing with the next engines' calls. Why four untimed calls:
   * after the pause a core of these VMs runs slowly for a while (a single-threaded convgrad call
   * took 15 ms back to back and 16-35 ms after 20 ms of sleep); with one untimed call convgrad's S2
   * median was 9.65 ms against a minimum of 6.33 (oneDNN's: 5.17 and 4.91), with four 6.40 and
   * 6.12 (5.10 and 4.89). Back-to-back calls are what a job over a dataset sees.
   */
  private static void timeInterleaved(Row row, Map<String, Runnable> calls, double warmupSeconds, int runs) {
    Map<String, Integer> warmCalls = new LinkedHashMap<>();
    for (int pass = 0; pass < 2; pass++) {
      for (Map.Entry<String, Runnable> c : calls.entrySet()) {
        long start = System.nanoTime();
        int warm = 0;
        while (warm < 5 || System.nanoTime() - start < warmupSeconds * 1e9) {
          c.getValue().run();
          warm++;
        }
        warmCalls.merge(c.getKey(), warm, Integer::sum);
      }
    }
    Map<String, double[]> times = new LinkedHashMap<>();
    for (String name : calls.keySet()) {
      times.put(name, new double[runs]);
    }
    for (int r = 0; r < runs; r++) {
      for (Map.Entry<String, Runnable> c : calls.entrySet()) {
        pause();
        for (int u = 0; u < UNTIMED; u++) {
          c.getValue().run();
        }
        long t0 = System.nanoTime();
        c.getValue().run();
        times.get(c.getKey())[r] = (System.nanoTime() - t0) / 1e9;
      }
    }
    for (Map.Entry<String, double[]> t : times.entrySet()) {
      report(row, t.getKey(), t.getValue(), warmCalls.get(t.getKey()));
    }
  }

  private static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void report(Row row, String engine, double[] t, int warm) {
    Arrays.sort(t);
    int runs = t.length;
    double median = runs % 2 == 1 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    double gflops = row.gflop / median;
    row.gflops.put(engine, gflops);
    System.out.printf(Locale.ROOT, "  %-20s %8.2f ms  %7.1f GFLOP/s  (min %.2f ms, %d warm-up calls)%n", engine,
        median * 1e3, gflops, t[0] * 1e3, warm);
  }

  private static void time(Row row, String engine, Runnable call, double warmupSeconds, int runs) {
    long start = System.nanoTime();
    int warm = 0;
    // At least 5 calls (the first ones run before C2 has compiled the kernels) and warmupSeconds.
    int minCalls = warmupSeconds > 0 ? 5 : 1;
    while (warm < minCalls || System.nanoTime() - start < warmupSeconds * 1e9) {
      call.run();
      warm++;
    }
    double[] t = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      call.run();
      t[i] = (System.nanoTime() - t0) / 1e9;
    }
    report(row, engine, t, warm);
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.2e", v);
  }

  private static final List<String> COLUMNS =
      List.of("convgrad simd", "convgrad packed", "convgrad reference", "TensorFlow", "oneDNN", "oneDNN primitive");

  private static String markdown(List<Row> rows, String env, int threads, double warmup, int runs) {
    StringBuilder sb = new StringBuilder();
    sb.append("# conv2d_backprop_input benchmark\n\n");
    sb.append("GFLOP/s (2 x multiply-adds of the dense convolution / median time), ").append(env)
        .append(", warm-up twice over >= ").append(warmup).append(" s (and >= 5 calls) per engine, then ")
        .append(runs).append(" rounds of one timed call per engine (interleaved, 20 ms apart, each after ").append(UNTIMED)
        .append(" untimed calls); the median counts ")
        .append("(the reference: one call). 'convgrad simd' packs the filter in every call; 'convgrad packed' reuses a ")
        .append("packed filter; 'oneDNN' includes its reorders from nhwc/hwio and back in every call, ")
        .append("'oneDNN primitive' is the primitive alone on data already in its layouts.\n\n");
    sb.append("| shape | dtype | GFLOP |");
    for (String c : COLUMNS) {
      sb.append(' ').append(c).append(" |");
    }
    sb.append(" simd / oneDNN | simd / oneDNN prim. | simd / TF |\n|---|---|---|");
    sb.append("---|".repeat(COLUMNS.size() + 3)).append('\n');
    for (Row r : rows) {
      sb.append("| ").append(r.shape).append(" | ").append(r.dtype).append(" | ")
          .append(String.format(Locale.ROOT, "%.2f", r.gflop)).append(" |");
      for (String c : COLUMNS) {
        Double v = r.gflops.get(c);
        sb.append(' ').append(v == null ? "-" : String.format(Locale.ROOT, "%.1f", v)).append(" |");
      }
      Double simd = r.gflops.get("convgrad simd");
      for (String anchor : List.of("oneDNN", "oneDNN primitive", "TensorFlow")) {
        Double a = r.gflops.get(anchor);
        sb.append(' ').append(simd == null || a == null ? "-" : String.format(Locale.ROOT, "%.2f", simd / a))
            .append(" |");
      }
      sb.append('\n');
    }
    sb.append('\n');
    for (Row r : rows) {
      for (String n : r.notes) {
        sb.append("- ").append(r.shape).append(' ').append(r.dtype).append(": ").append(n).append('\n');
      }
    }
    sb.append("\nShapes: ");
    for (Shapes s : Shapes.ALL) {
      sb.append(s.name()).append(" = ").append(s.describe()).append("; ");
    }
    sb.append('\n');
    return sb.toString();
  }

  private static void chart(List<Row> rows, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    int width = 1200;
    int height = 600;
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    Color[] colors = {
      new Color(0x1f77b4), new Color(0x6baed6), new Color(0x999999), new Color(0xff7f0e), new Color(0x2ca02c),
      new Color(0x98df8a)
    };
    double max = 1;
    for (Row r : rows) {
      for (double v : r.gflops.values()) {
        max = Math.max(max, v);
      }
    }
    max = Math.ceil(max / 50) * 50;
    int left = 70;
    int top = 50;
    int bottom = height - 80;
    int plotW = width - left - 20;
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.setColor(Color.BLACK);
    g.drawString("conv2d_backprop_input, GFLOP/s (higher is better)", left, 30);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (double y = 0; y <= max; y += 50) {
      int py = bottom - (int) ((bottom - top) * y / max);
      g.setColor(new Color(0xdddddd));
      g.drawLine(left, py, width - 20, py);
      g.setColor(Color.BLACK);
      g.drawString(String.format(Locale.ROOT, "%.0f", y), 30, py + 4);
    }
    int groupW = plotW / Math.max(1, rows.size());
    int barW = Math.max(4, (groupW - 20) / COLUMNS.size());
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      int x0 = left + i * groupW + 10;
      for (int c = 0; c < COLUMNS.size(); c++) {
        Double v = r.gflops.get(COLUMNS.get(c));
        if (v == null) {
          continue;
        }
        int h = (int) ((bottom - top) * v / max);
        g.setColor(colors[c]);
        g.fillRect(x0 + c * barW, bottom - h, barW - 2, h);
      }
      g.setColor(Color.BLACK);
      g.drawString(r.shape + " " + r.dtype, x0 + groupW / 2 - 30, bottom + 18);
    }
    g.setStroke(new BasicStroke(1));
    g.drawLine(left, bottom, width - 20, bottom);
    for (int c = 0; c < COLUMNS.size(); c++) {
      int lx = left + c * 180;
      g.setColor(colors[c]);
      g.fillRect(lx, height - 40, 14, 14);
      g.setColor(Color.BLACK);
      g.drawString(COLUMNS.get(c), lx + 20, height - 28);
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }
}
