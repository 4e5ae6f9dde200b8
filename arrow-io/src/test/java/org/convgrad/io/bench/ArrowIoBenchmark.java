package org.convgrad.io.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.arrow.FixedShapeTensorType;
import org.convgrad.io.arrow.FixedShapeTensorVector;
import org.convgrad.io.arrow.TensorBatch;
import org.convgrad.io.arrow.TensorDataset;
import org.convgrad.io.arrow.TensorIpcReader;
import org.convgrad.io.arrow.TensorIpcWriter;
import org.convgrad.io.arrow.TensorVectors;
import org.convgrad.io.npy.Npy;

/**
 * Throughput of arrow-io's conversions and files against a plain memory copy in the same run, and
 * the memory used while streaming a directory dataset. Not a test: run it with {@code
 * arrow-io/bench.sh [--dir DIR] [--gb 1] [--dataset-gb 4] [--reps 5]}.
 *
 * <p>All files go to a temporary directory under {@code --dir}, deleted at the end.
 */
public final class ArrowIoBenchmark {
  private static final long[] SAMPLE = {64, 64, 16}; // one sample: 256 KiB of float32

  private ArrowIoBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path base = Path.of(System.getProperty("java.io.tmpdir"));
    double gb = 1;
    double datasetGb = 4;
    int reps = 5;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--dir":
          base = Path.of(args[i + 1]);
          break;
        case "--gb":
          gb = Double.parseDouble(args[i + 1]);
          break;
        case "--dataset-gb":
          datasetGb = Double.parseDouble(args[i + 1]);
          break;
        case "--reps":
          reps = Integer.parseInt(args[i + 1]);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path dir = Files.createTempDirectory(base, "convgrad-arrow-io-bench-");
    // Gigabytes: removed at exit, on Ctrl-C too, not only when main ends.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
    System.out.printf(Locale.ROOT, "java %s, %d cpus, max heap %d MiB, temp dir %s%n",
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20, dir);
    if (gb > 0) {
      conversions(dir, (long) (gb * (1L << 30)), reps);
    }
    if (datasetGb > 0) {
      streaming(dir, (long) (datasetGb * (1L << 30)));
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("could not remove " + root + ": " + e);
    }
  }

  interface Op {
    void run() throws Exception;
  }

  /** Runs op once cold, then reps times; prints cold, best and median GB/s. */
  private static double measure(String name, long bytes, int reps, Op op) throws Exception {
    return measure(name, bytes, reps, () -> { }, op);
  }

  /** {@link #measure(String, long, int, Op)} with an untimed {@code setup} before each run. */
  private static double measure(String name, long bytes, int reps, Op setup, Op op) throws Exception {
    setup.run();
    long t0 = System.nanoTime();
    op.run();
    double cold = bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
    double[] rates = new double[reps];
    for (int i = 0; i < reps; i++) {
      setup.run();
      long t = System.nanoTime();
      op.run();
      rates[i] = bytes / ((System.nanoTime() - t) / 1e9) / 1e9;
    }
    Arrays.sort(rates);
    double best = rates[reps - 1];
    double median = rates[reps / 2];
    System.out.printf(Locale.ROOT, "  %-58s cold %6.2f  best %6.2f  median %6.2f GB/s%n", name, cold, best, median);
    return median;
  }

  /** Deletes {@code files} and asks the OS to write back dirty pages, so runs do not pay for each other. */
  private static Op fresh(Path... files) {
    return () -> {
      for (Path f : files) {
        Files.deleteIfExists(f);
      }
      try {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
      } catch (IOException e) {
        // no sync command: measure anyway
      }
    };
  }

  private static void conversions(Path dir, long bytes, int reps) throws Exception {
    long rowElems = SAMPLE[0] * SAMPLE[1] * SAMPLE[2];
    int rows = (int) Math.max(1, bytes / (rowElems * 4));
    FixedShapeTensorType type = FixedShapeTensorType.sample(DataFormat.NHWC, SAMPLE[0], SAMPLE[1], SAMPLE[2]);
    Shape shape = TensorVectors.batchShape(type, rows);
    Tensor src = Tensor.zeros(DType.FLOAT32, shape);
    float[] s = src.float32Data();
    for (int i = 0; i < s.length; i++) {
      s[i] = (i % 1000) * 0.5f;
    }
    long n = (long) s.length * 4;
    System.out.printf(Locale.ROOT, "%nconversion of one float32 batch %s = %.2f GB (1 GB = 1e9 bytes)%n", shape, n / 1e9);
    float[] copy = new float[s.length];
    Tensor dst = Tensor.ofFloat32(shape, copy);
    double memcpy = measure("baseline: System.arraycopy float[] -> float[]", n, reps,
        () -> System.arraycopy(s, 0, copy, 0, s.length));
    List<String[]> ratios = new ArrayList<>();
    try (BufferAllocator a = new RootAllocator();
        FixedShapeTensorVector v = FixedShapeTensorVector.create("x", type, DType.FLOAT32, a)) {
      double toArrow = measure("Tensor -> Arrow vector (TensorVectors.write)", n, reps, () -> TensorVectors.write(src, v));
      double fromArrow = measure("Arrow vector -> Tensor (TensorVectors.readInto)", n, reps,
          () -> TensorVectors.readInto(v, 0, rows, dst, 0));
      if (!Arrays.equals(s, copy)) {
        throw new AssertionError("round trip changed the data");
      }
      double fromArrowAlloc = measure("Arrow vector -> new Tensor (TensorVectors.read)", n, reps,
          () -> TensorVectors.read(v));
      ratios.add(new String[] {"Tensor -> Arrow", fmt(toArrow / memcpy)});
      ratios.add(new String[] {"Arrow -> Tensor (into)", fmt(fromArrow / memcpy)});
      ratios.add(new String[] {"Arrow -> new Tensor", fmt(fromArrowAlloc / memcpy)});
    }
    Path npy = dir.resolve("batch.npy");
    Path raw = dir.resolve("raw.npy");
    java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(Math.toIntExact(n));
    double osWrite = measure("baseline: FileChannel.write of a direct buffer, no fsync", n, reps, fresh(raw), () -> {
      try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        direct.clear();
        while (direct.hasRemaining()) {
          ch.write(direct);
        }
      }
    });
    double osWriteSync = measure("baseline: the same, then fsync", n, reps, fresh(raw), () -> {
      try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        direct.clear();
        while (direct.hasRemaining()) {
          ch.write(direct);
        }
        ch.force(true);
      }
    });
    double npyWrite = measure("Npy.write(Path): temp file + fsync + rename", n, reps, fresh(npy), () -> Npy.write(npy, src));
    double npyWriteCache = measure("Npy.write(channel): to the page cache, no fsync", n, reps, fresh(raw), () -> {
      try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        Npy.write(ch, src);
      }
    });
    double osRead = measure("baseline: FileChannel.read into a direct buffer (page cache)", n, reps, () -> {
      try (FileChannel ch = FileChannel.open(npy, StandardOpenOption.READ)) {
        direct.clear();
        while (direct.hasRemaining() && ch.read(direct) >= 0) {
          // read
        }
      }
    });
    double npyRead = measure("Npy.read(Path) from the page cache", n, reps, () -> Npy.read(npy));
    double npyRange = measure("Npy.readRange(Path, n/4, n/2) (GB/s of the range)", n / 2, reps,
        () -> Npy.readRange(npy, rows / 4, rows / 2));
    ratios.add(new String[] {"OS write (no fsync)", fmt(osWrite / memcpy)});
    ratios.add(new String[] {"OS write + fsync", fmt(osWriteSync / memcpy)});
    ratios.add(new String[] {"OS read (page cache)", fmt(osRead / memcpy)});
    ratios.add(new String[] {".npy write (fsync)", fmt(npyWrite / memcpy)});
    ratios.add(new String[] {".npy write (page cache)", fmt(npyWriteCache / memcpy)});
    ratios.add(new String[] {".npy read", fmt(npyRead / memcpy)});
    ratios.add(new String[] {".npy readRange", fmt(npyRange / memcpy)});
    Path arrow = dir.resolve("batch.arrow");
    try (BufferAllocator a = new RootAllocator()) {
      double ipcWrite = measure("Arrow IPC file write (TensorIpcWriter, fsync)", n, reps, fresh(arrow), () -> {
        try (TensorIpcWriter w = TensorIpcWriter.builder(type, DType.FLOAT32).openFile(arrow, a)) {
          w.write(0, src);
        }
      });
      double ipcRead = measure("Arrow IPC file read (TensorIpcReader.readAll)", n, reps, () -> {
        try (TensorIpcReader r = TensorIpcReader.openFile(arrow, a)) {
          r.readAll();
        }
      });
      ratios.add(new String[] {"IPC file write (fsync)", fmt(ipcWrite / memcpy)});
      ratios.add(new String[] {"IPC file read", fmt(ipcRead / memcpy)});
    }
    System.out.println("  median throughput as a fraction of System.arraycopy's (target >= 0.50); file writes"
        + " are bounded by the OS baselines above:");
    for (String[] r : ratios) {
      System.out.printf(Locale.ROOT, "    %-26s %s%n", r[0], r[1]);
    }
    Files.deleteIfExists(npy);
    Files.deleteIfExists(raw);
    Files.deleteIfExists(arrow);
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.2f", x);
  }

  private static void streaming(Path dir, long bytes) throws Exception {
    long rowBytes = SAMPLE[0] * SAMPLE[1] * SAMPLE[2] * 4;
    FixedShapeTensorType type = FixedShapeTensorType.sample(DataFormat.NHWC, SAMPLE[0], SAMPLE[1], SAMPLE[2]);
    int files = 8;
    long rowsPerFile = Math.max(1, bytes / rowBytes / files);
    int chunkRows = (int) Math.min(rowsPerFile, 512);
    Tensor chunk = Tensor.zeros(DType.FLOAT32, TensorVectors.batchShape(type, chunkRows));
    float[] c = chunk.float32Data();
    for (int i = 0; i < c.length; i++) {
      c[i] = i % 977;
    }
    Path ds = Files.createDirectory(dir.resolve("dataset"));
    long t0 = System.nanoTime();
    int batchRows;
    long id = 0;
    try (BufferAllocator a = new RootAllocator()) {
      batchRows = 0;
      for (int f = 0; f < files; f++) {
        try (TensorIpcWriter w = TensorIpcWriter.builder(type, DType.FLOAT32)
            .openFile(ds.resolve(String.format(Locale.ROOT, "part-%05d.arrow", f)), a)) {
          batchRows = w.maxBatchRows();
          for (long r = 0; r < rowsPerFile; r += chunkRows) {
            int n = (int) Math.min(chunkRows, rowsPerFile - r);
            long[] ids = new long[n];
            for (int k = 0; k < n; k++) {
              ids[k] = id++;
            }
            w.write(ids, chunk, 0, n, List.of());
          }
        }
      }
      System.out.printf(Locale.ROOT, "%nstreaming dataset: %d files, %d samples of %s float32 = %.2f GB, record batches "
          + "of %d rows (%.0f MiB); written in %.1f s (with fsync), writer allocator peak %.0f MiB%n",
          files, id, Arrays.toString(SAMPLE), id * rowBytes / 1e9, batchRows, batchRows * rowBytes / 1048576.0,
          (System.nanoTime() - t0) / 1e9, a.getPeakMemoryAllocation() / 1048576.0);
    }
    List<MemoryPoolMXBean> heap = new ArrayList<>();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        heap.add(p);
      }
    }
    System.gc();
    long heapBefore = usedHeap();
    heap.forEach(MemoryPoolMXBean::resetPeakUsage);
    try (BufferAllocator a = new RootAllocator()) {
      long open0 = System.nanoTime();
      double checksum = 0;
      long samples;
      long t1;
      try (TensorDataset d = TensorDataset.open(ds, a)) {
        samples = d.sampleCount();
        System.out.printf(Locale.ROOT, "  TensorDataset.open (footers and batch metadata only): %.1f ms, %d samples, "
            + "sample %s %s %s%n", (System.nanoTime() - open0) / 1e6, samples, d.column().sampleShape(),
            d.column().dtype().tfName(), d.column().dataFormat());
        t1 = System.nanoTime();
        Iterator<TensorBatch> it = d.batches(0, samples, batchRows);
        while (it.hasNext()) {
          TensorBatch b = it.next();
          checksum += b.samples().float32Data()[b.samples().size() - 1] + b.ids()[0];
        }
      }
      double secs = (System.nanoTime() - t1) / 1e9;
      long heapPeak = 0;
      for (MemoryPoolMXBean p : heap) {
        heapPeak += p.getPeakUsage().getUsed();
      }
      System.out.printf(Locale.ROOT, "  streamed %.2f GB in %.2f s = %.2f GB/s (checksum %.0f)%n", samples * rowBytes / 1e9,
          secs, samples * rowBytes / 1e9 / secs, checksum);
      System.out.printf(Locale.ROOT, "  Arrow allocator peak: %.1f MiB (= %.2f record batches)%n",
          a.getPeakMemoryAllocation() / 1048576.0, a.getPeakMemoryAllocation() / (double) (batchRows * rowBytes));
      System.out.printf(Locale.ROOT, "  heap: %.0f MiB used before, peak of heap pools while streaming %.0f MiB "
          + "(includes garbage not yet collected; one batch tensor is %.0f MiB)%n",
          heapBefore / 1048576.0, heapPeak / 1048576.0, batchRows * rowBytes / 1048576.0);
    }
  }

  private static long usedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
