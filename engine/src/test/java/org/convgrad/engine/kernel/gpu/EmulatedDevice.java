package org.convgrad.engine.kernel.gpu;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link Device} whose memory and kernels live in an emulator process (src/test/cuda/emu_server.cpp)
 * running the real kernel sources on the CPU. Copies and launches run when enqueued (streams are
 * in order anyway). A kernel that faults kills only the emulator, and one that loops is killed
 * after {@link #TIMEOUT_S}: both become a GpuException with the emulator's message.
 */
final class EmulatedDevice implements Device {
  static final long TIMEOUT_S = 120;

  enum Order {
    FORWARD, REVERSE, SHUFFLE
  }

  private final DeviceInfo info;
  private final Process process;
  private final Path stderr;
  private final OutputStream out;
  private final DataInputStream in;
  private final ExecutorService io = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "convgrad-emulator-io");
    t.setDaemon(true);
    return t;
  });
  private boolean dead;

  EmulatedDevice(long totalBytes) {
    this.info = new DeviceInfo(0, "emulated sm_90 (host CPU)", 90, 4, totalBytes);
    try {
      stderr = Files.createTempFile("convgrad-emu", ".err");
      process = new ProcessBuilder(GpuEmulator.binary().toString()).redirectError(stderr.toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException("starting the GPU emulator: " + e, e);
    }
    out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
    in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
    call("set memory", () -> {
      command('X', totalBytes);
      return reply(0);
    });
  }

  /** How the emulator orders a block's threads between barriers, and how many workers run blocks. */
  void schedule(Order order, long seed, int workers) {
    call("schedule", () -> {
      command('O', order.ordinal(), seed, workers);
      return reply(0);
    });
  }

  /** sizeof(ConvArgs) / 8 as the host compiler lays the struct out. */
  long argsWords() {
    return call("info", () -> {
      command('I');
      return reply(1)[0];
    });
  }

  @Override
  public DeviceInfo info() {
    return info;
  }

  @Override
  public long[] memoryInfo() {
    return call("memory info", () -> {
      command('M');
      return reply(2);
    });
  }

  @Override
  public long allocate(long bytes) {
    return call("allocate " + bytes + " bytes", () -> {
      command('A', bytes);
      return reply(1)[0];
    });
  }

  @Override
  public void free(long address) {
    call("free", () -> {
      command('F', address);
      return reply(0);
    });
  }

  @Override
  public HostBuffer allocateHost(long bytes) {
    ByteBuffer b = ByteBuffer.allocateDirect((int) Math.max(bytes, 1)).order(ByteOrder.LITTLE_ENDIAN);
    return new HostBuffer(b, b.capacity(), b);
  }

  @Override
  public void freeHost(HostBuffer buffer) {}

  @Override
  public void copyToDevice(long dst, HostBuffer src, long srcOffset, long bytes, int stream) {
    checkStream(stream);
    call("copy " + bytes + " bytes to the device", () -> {
      command('W', dst, bytes);
      ByteBuffer b = src.buffer().duplicate();
      b.position((int) srcOffset).limit((int) (srcOffset + bytes));
      byte[] chunk = new byte[1 << 16];
      while (b.hasRemaining()) {
        int n = Math.min(chunk.length, b.remaining());
        b.get(chunk, 0, n);
        out.write(chunk, 0, n);
      }
      return reply(0);
    });
  }

  @Override
  public void copyToHost(HostBuffer dst, long dstOffset, long src, long bytes, int stream) {
    checkStream(stream);
    call("copy " + bytes + " bytes from the device", () -> {
      command('R', src, bytes);
      reply(0);
      byte[] data = new byte[(int) bytes];
      in.readFully(data);
      ByteBuffer b = dst.buffer().duplicate();
      b.position((int) dstOffset);
      b.put(data);
      return null;
    });
  }

  @Override
  public void launch(LaunchPlan plan, long[] args, int stream) {
    checkStream(stream);
    call("launch " + plan, () -> {
      byte[] name = plan.kernel().getBytes(StandardCharsets.US_ASCII);
      command('L', name.length);
      out.write(name);
      long[] g = plan.grid();
      int[] b = plan.block();
      words(g[0], g[1], g[2], b[0], b[1], b[2], plan.sharedBytes(), args.length);
      words(args);
      return reply(0);
    });
  }

  @Override
  public void synchronize(int stream) {
    checkStream(stream);
  }

  @Override
  public void close() {
    if (!dead) {
      try {
        call("quit", () -> {
          command('Q');
          return reply(0);
        });
      } catch (GpuException e) {
        // it is going anyway
      }
    }
    dead = true;
    process.destroyForcibly();
    io.shutdownNow();
    try {
      Files.deleteIfExists(stderr);
    } catch (IOException e) {
      // a temporary file
    }
  }

  private static void checkStream(int stream) {
    if (stream < 0 || stream >= STREAMS) {
      throw new GpuException("stream " + stream + " does not exist");
    }
  }

  private interface Io<T> {
    T run() throws IOException;
  }

  /** One request and its reply, on the io thread, within the timeout. */
  private synchronized <T> T call(String what, Io<T> body) {
    if (dead) {
      throw new GpuException("emulated device: " + what + ": the emulator is no longer running" + stderrText());
    }
    Future<T> f = io.submit(() -> {
      T r = body.run();
      out.flush();
      return r;
    });
    try {
      return f.get(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      dead = true;
      process.destroyForcibly();
      throw new GpuException("emulated device: " + what + ": no answer within " + TIMEOUT_S + " s (a kernel that"
          + " does not finish?); the emulator was killed" + stderrText());
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof GpuException) {
        throw (GpuException) c;
      }
      dead = true;
      process.destroyForcibly();
      throw new GpuException("emulated device: " + what + ": the emulator died (" + c + ")" + stderrText(), c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GpuException("interrupted", e);
    }
  }

  private String stderrText() {
    try {
      process.waitFor(2, TimeUnit.SECONDS);
      String s = Files.readString(stderr).trim();
      String exit = process.isAlive() ? "" : " (exit code " + process.exitValue() + ")";
      return s.isEmpty() ? exit : exit + ": " + s;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private void command(char c, long... args) throws IOException {
    out.write(c);
    words(args);
  }

  private void words(long... ws) throws IOException {
    byte[] b = new byte[8 * ws.length];
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    for (long w : ws) {
      bb.putLong(w);
    }
    out.write(b);
  }

  private long[] reply(int words) throws IOException {
    out.flush();
    int status = in.read();
    if (status < 0) {
      throw new IOException("end of the emulator's output");
    }
    if (status != 0) {
      int n = (int) readWord();
      byte[] msg = new byte[n];
      in.readFully(msg);
      throw new GpuException("emulated device: " + new String(msg, StandardCharsets.UTF_8));
    }
    long[] r = new long[words];
    for (int i = 0; i < words; i++) {
      r[i] = readWord();
    }
    return r;
  }

  private long readWord() throws IOException {
    byte[] b = new byte[8];
    in.readFully(b);
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

}
