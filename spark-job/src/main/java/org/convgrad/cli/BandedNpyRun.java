package org.convgrad.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.band.BandedRun;
import org.convgrad.engine.band.Bands;
import org.convgrad.engine.band.OutBackpropScan;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.InputFiles;
import org.convgrad.io.npy.Npy;
import org.convgrad.io.npy.NpyRangeWriter;
import org.jspecify.annotations.Nullable;

/**
 * A problem computed in bands of result rows, streamed from an out_backprop {@code .npy} to a result
 * {@code .npy}: neither is ever whole in memory, so one image may hold more elements than a Java
 * array and more bytes than the heap. Memory: the filter, two bands' out_backprop rows (halo
 * included) and two bands' result rows ({@link Bands#elements}; the next band is read and the last
 * one written while one computes, {@link BandedRun#pass}), the engine's scratch, and a few MiB of
 * I/O buffers. out_backprop is read once, unless it holds a value that changes the kernel's choice
 * of tiles ({@link BandedRun}): then the bands are computed a second time. The result has the bits
 * an in-memory run gives.
 */
final class BandedNpyRun {
  private final Engine engine;
  private final Conv2dBackpropInput op;
  private final long bandRows;

  BandedNpyRun(Engine engine, Conv2dBackpropInput op, long bandRows) {
    this.engine = engine;
    this.op = op;
    this.bandRows = bandRows;
  }

  /** What the run did, for verbose output. */
  record Report(int bands, long bandRows, boolean twice, String kernel, double seconds, long peakHeapBytes) {
    String describe(double flops) {
      return String.format(
          "%d band(s) of %d row(s)%s, kernel %s: %.3f s, %.2f GFLOP/s, peak heap %d MiB", bands, bandRows,
          twice ? " (computed again: out_backprop holds a value past the kernel's limit)" : "", kernel, seconds,
          flops / seconds / 1e9, peakHeapBytes >> 20);
    }
  }

  Report run(Tensor filter, Path outBackprop, Path output) throws IOException {
    resetPeaks();
    long start = System.nanoTime();
    BandedRun run = new BandedRun(engine, op, filter);
    List<Conv2dBackpropInput> bands = Bands.of(op, bandRows);
    boolean again;
    try (FileChannel dy = InputFiles.open(outBackprop)) {
      pass(run, bands, dy, outBackprop.toString(), output, null);
      // A value past the kernel's assumption (an infinity, say): the bands are computed again, choosing
      // as the whole problem does by what the first pass read.
      again = !run.choseAsTheWhole();
      if (again) {
        pass(run, bands, dy, outBackprop.toString(), output, run.scanned());
      }
    }
    return new Report(bands.size(), bands.isEmpty() ? 0 : bands.get(0).bandOf().rows(), again,
        run.kernelDescription(), (System.nanoTime() - start) / 1e9, peakHeap());
  }

  /** Computes every band into a new {@code output}, committed when complete ({@code scan} null: on the run's assumption). */
  private void pass(BandedRun run, List<Conv2dBackpropInput> bands, FileChannel dy, String source, Path output,
      @Nullable OutBackpropScan scan) throws IOException {
    try (NpyRangeWriter out = NpyRangeWriter.begin(output, op.dtype(), op.inputShape())) {
      BandedRun.Rows<IOException> io = new BandedRun.Rows<>() {
        @Override
        public Tensor read(Conv2dBackpropInput band) throws IOException {
          return read(band, null);
        }

        @Override
        public Tensor read(Conv2dBackpropInput band, @Nullable Tensor spare) throws IOException {
          return Npy.readBox(dy, source, band.bandOf().outBackpropStart(), band.outBackpropShape().toArray(), spare);
        }

        @Override
        public void write(Conv2dBackpropInput band, Tensor resultRows) throws IOException {
          out.write(band.bandOf().resultStart(), resultRows);
        }
      };
      if (run.pass(bands, io, scan)) {
        out.commit();
      } // else the writer aborts: nothing of this pass is kept
    }
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
