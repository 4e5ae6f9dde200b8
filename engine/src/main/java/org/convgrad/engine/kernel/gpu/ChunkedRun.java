package org.convgrad.engine.kernel.gpu;

import java.util.List;
import org.convgrad.engine.ConvGeometry;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Tensor;

/**
 * One call on the device: the batch in chunks, each uploaded, computed and downloaded on its
 * slot's stream. With two slots, chunk c + 1's upload (and the host's copy into the pinned
 * buffer) overlaps chunk c's kernels, and chunk c's download overlaps chunk c + 1's kernels.
 * Copies go through pinned buffers of at most {@link #SLICE} bytes; a chunk larger than that (a
 * single huge sample) is copied in slices, waiting for each.
 */
final class ChunkedRun {
  /** The largest pinned buffer per slot and direction (Java's buffers are int-indexed). */
  static final long SLICE = 256L << 20;

  private final Device device;
  private final PinnedBuffers pinned;
  private final ConvGeometry g;
  private final DType dtype;
  private final Strategy strategy;
  private final long filter;
  private final long directBlockCap;
  private final int es;
  private final long dySample; // elements
  private final long dxSample;

  ChunkedRun(Device device, PinnedBuffers pinned, ConvGeometry g, DType dtype, Strategy strategy, long filter,
      long directBlockCap) {
    this.device = device;
    this.pinned = pinned;
    this.g = g;
    this.dtype = dtype;
    this.strategy = strategy;
    this.filter = filter;
    this.directBlockCap = directBlockCap;
    this.es = dtype.byteSize();
    this.dySample = g.outHeight() * g.outWidth() * g.outDepth();
    this.dxSample = g.inHeight() * g.inWidth() * g.inDepth();
  }

  long sampleBytes() {
    return (dySample + dxSample) * es;
  }

  void run(Tensor dy, Tensor dx, Chunking c) {
    long n = g.batch();
    int slots = c.slots();
    long chunkDy = c.batch() * dySample * es;
    long chunkDx = c.batch() * dxSample * es;
    long[] dyDev = new long[slots];
    long[] dxDev = new long[slots];
    long[] pending = new long[slots]; // the chunk whose result a slot's stream is downloading, or -1
    java.util.Arrays.fill(pending, -1);
    try {
      for (int s = 0; s < slots; s++) {
        dyDev[s] = device.allocate(chunkDy);
        dxDev[s] = device.allocate(chunkDx);
      }
      long chunks = c.chunks(n);
      for (long k = 0; k < chunks; k++) {
        int s = (int) (k % slots);
        if (pending[s] >= 0) {
          finish(s, pending[s], c, dx);
          pending[s] = -1;
        }
        long first = k * c.batch();
        long nb = Math.min(c.batch(), n - first);
        upload(dy, first * dySample, nb * dySample, dyDev[s], s);
        for (LaunchPlan plan : plans(nb)) {
          device.launch(plan, KernelArgs.of(g, nb, dxDev[s], dyDev[s], filter), s);
        }
        long bytes = nb * dxSample * es;
        if (bytes <= SLICE) {
          if (bytes > 0) {
            device.copyToHost(pinned.get(s, false, bytes), 0, dxDev[s], bytes, s);
          }
          pending[s] = k;
        } else {
          download(dx, first * dxSample, nb * dxSample, dxDev[s], s);
        }
      }
      // Finish in chunk order (slot order is chunk order modulo the slot count).
      for (long k = Math.max(0, chunks - slots); k < chunks; k++) {
        int s = (int) (k % slots);
        if (pending[s] == k) {
          finish(s, k, c, dx);
          pending[s] = -1;
        }
      }
    } finally {
      for (int s = 0; s < slots; s++) {
        try {
          device.synchronize(s);
        } catch (GpuException e) {
          // The failure was or will be reported by the call that saw it; free what we can.
        }
        if (dyDev[s] != 0) {
          device.free(dyDev[s]);
        }
        if (dxDev[s] != 0) {
          device.free(dxDev[s]);
        }
      }
    }
  }

  /** The launches of a chunk: one, whatever the strategy (phases and groups are the grid's z). */
  private List<LaunchPlan> plans(long batch) {
    return List.of(LaunchPlanner.plan(strategy, g, dtype, batch, directBlockCap));
  }

  /** Waits for slot {@code s} and moves chunk {@code k}'s result from its pinned buffer. */
  private void finish(int s, long k, Chunking c, Tensor dx) {
    device.synchronize(s);
    long first = k * c.batch();
    long nb = Math.min(c.batch(), g.batch() - first);
    long count = nb * dxSample;
    if (count > 0) {
      HostCopy.fromBuffer(pinned.get(s, false, count * es).buffer(), dx, (int) (first * dxSample), (int) count);
    }
  }

  private void upload(Tensor dy, long from, long count, long dst, int s) {
    long perSlice = SLICE / es;
    for (long done = 0; done < count; done += perSlice) {
      long len = Math.min(perSlice, count - done);
      if (done > 0) {
        device.synchronize(s); // the pinned buffer is reused
      }
      HostBuffer h = pinned.get(s, true, len * es);
      // The previous chunk of this slot uploaded from this buffer: its copy finished when the
      // slot's stream was last synchronized (finish), before this chunk began.
      HostCopy.toBuffer(dy, (int) (from + done), (int) len, h.buffer());
      device.copyToDevice(dst + done * es, h, 0, len * es, s);
    }
  }

  private void download(Tensor dx, long to, long count, long src, int s) {
    long perSlice = SLICE / es;
    for (long done = 0; done < count; done += perSlice) {
      long len = Math.min(perSlice, count - done);
      HostBuffer h = pinned.get(s, false, len * es);
      device.copyToHost(h, 0, src + done * es, len * es, s);
      device.synchronize(s);
      HostCopy.fromBuffer(h.buffer(), dx, (int) (to + done), (int) len);
    }
  }
}
