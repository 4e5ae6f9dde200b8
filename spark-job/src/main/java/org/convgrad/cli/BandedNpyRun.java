package org.convgrad.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.RowBand;
import org.convgrad.engine.band.BandedRun;
import org.convgrad.engine.band.Bands;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.InputFiles;
import org.convgrad.io.npy.Npy;
import org.convgrad.io.npy.NpyRangeWriter;

/**
 * A problem computed in bands of result rows, streamed from an out_backprop {@code .npy} to a result
 * {@code .npy}: neither is ever whole in memory, so one image may hold more elements than a Java
 * array and more bytes than the heap. Memory: the filter, one band's out_backprop rows (halo
 * included) and its result rows ({@link Bands#elements}), the engine's scratch, and a few MiB of
 * I/O buffers. Where the kernel chooses its tiles by out_backprop's values, the file is read twice:
 * once to scan it, once for the bands. The result has the bits an in-memory run gives.
 */
final class BandedNpyRun {
  /** A band's elements at most: an eighth of the heap, so that its tensors and the engine's scratch fit twice over. */
  static long defaultBandElements(int elementBytes) {
    return Runtime.getRuntime().maxMemory() / 8 / elementBytes;
  }

  private final Engine engine;
  private final Conv2dBackpropInput op;
  private final long bandRows;

  BandedNpyRun(Engine engine, Conv2dBackpropInput op, long bandRows) {
    this.engine = engine;
    this.op = op;
    this.bandRows = bandRows;
  }

  /** What the run did, for verbose output. */
  record Report(int bands, long bandRows, boolean scanned, String kernel, double seconds, long peakHeapBytes) {
    String describe(double flops) {
      return String.format(
          "%d band(s) of %d row(s)%s, kernel %s: %.3f s, %.2f GFLOP/s, peak heap %d MiB", bands, bandRows,
          scanned ? " (out_backprop scanned first)" : "", kernel, seconds, flops / seconds / 1e9,
          peakHeapBytes >> 20);
    }
  }

  Report run(Tensor filter, Path outBackprop, Path output) throws IOException {
    resetPeaks();
    long start = System.nanoTime();
    BandedRun run = new BandedRun(engine, op, filter);
    DataFormat f = op.geometry().dataFormat();
    List<Conv2dBackpropInput> bands = Bands.of(op, bandRows);
    try (FileChannel dy = InputFiles.open(outBackprop);
        NpyRangeWriter out = NpyRangeWriter.begin(output, op.dtype(), op.inputShape())) {
      String source = outBackprop.toString();
      if (run.needsScan()) {
        var g = op.geometry();
        for (Conv2dBackpropInput band : bands) {
          long[] rows = Bands.scanRows(band);
          run.scan(Npy.readBox(dy, source, f.order(band.bandOf().sample(), rows[0], 0, 0),
              f.order(1, rows[1] - rows[0], g.outWidth(), g.outDepth())));
        }
      }
      for (Conv2dBackpropInput band : bands) {
        RowBand at = band.bandOf();
        Tensor rows = Npy.readBox(dy, source, f.order(at.sample(), at.firstOutRow(), 0, 0),
            band.outBackpropShape().toArray());
        out.write(f.order(at.sample(), at.firstRow(), 0, 0), run.compute(band, rows));
      }
      out.commit();
    }
    return new Report(bands.size(), bands.isEmpty() ? 0 : bands.get(0).bandOf().rows(), run.needsScan(),
        run.kernelDescription(), (System.nanoTime() - start) / 1e9, peakHeap());
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
      }
    }
  }

  /** The sum of the heap pools' peaks since {@link #resetPeaks}: an upper bound on the heap in use at once. */
  private static long peakHeap() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }
}
