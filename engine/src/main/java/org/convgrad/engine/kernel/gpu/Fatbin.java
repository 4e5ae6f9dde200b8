package org.convgrad.engine.kernel.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel image, {@code convgrad.fatbin}, a classpath resource built by {@code
 * engine/src/main/cuda/build-fatbin.sh}, and what it holds: the fatbin container's entries (a
 * cubin per architecture, and PTX), read from the container's headers.
 */
final class Fatbin {
  static final String RESOURCE = "/org/convgrad/engine/kernel/gpu/convgrad.fatbin";
  private static final int MAGIC = 0xBA55ED50;
  private static final int KIND_PTX = 1;
  private static final int KIND_ELF = 2;

  private Fatbin() {}

  /** One entry: PTX or a cubin (ELF), for an architecture ({@code 90} for sm_90 / compute_90). */
  record Entry(boolean ptx, int arch) {
    @Override
    public String toString() {
      return (ptx ? "ptx compute_" : "elf sm_") + arch;
    }
  }

  /** The image's bytes, or null where the resource is missing. */
  static byte[] image() {
    try (InputStream in = Fatbin.class.getResourceAsStream(RESOURCE)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new GpuException("reading the kernel image " + RESOURCE + ": " + e, e);
    }
  }

  /**
   * The entries of a fatbin: a 16-byte container header (magic, version, header size, size of the
   * entries), then per entry a header (kind, header size, payload size, ..., architecture at byte
   * 28) followed by its payload.
   */
  static List<Entry> entries(byte[] image) {
    ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    List<Entry> out = new ArrayList<>();
    int pos = 0;
    while (pos + 16 <= image.length) {
      if (b.getInt(pos) != MAGIC) {
        throw new GpuException("not a fatbin: no magic number at byte " + pos + " of " + RESOURCE);
      }
      int headerSize = b.getShort(pos + 6) & 0xffff;
      long size = b.getLong(pos + 8);
      int entry = pos + headerSize;
      long end = entry + size;
      if (end > image.length) {
        throw new GpuException("truncated fatbin: " + end + " bytes announced, " + image.length + " present");
      }
      while (entry < end) {
        int kind = b.getShort(entry) & 0xffff;
        int entryHeader = b.getInt(entry + 4);
        long payload = b.getLong(entry + 8);
        int arch = b.getInt(entry + 28);
        if (kind != KIND_PTX && kind != KIND_ELF) {
          throw new GpuException("unknown fatbin entry kind " + kind + " at byte " + entry);
        }
        out.add(new Entry(kind == KIND_PTX, arch));
        entry += entryHeader + payload;
      }
      pos = (int) end;
    }
    return out;
  }

  /**
   * Whether the image has code a device of this compute capability runs: a cubin of the same major
   * version and no later minor one (CUDA's binary compatibility: sm_86 runs on 8.7), or older PTX.
   */
  static boolean runsOn(List<Entry> entries, int computeCapability) {
    for (Entry e : entries) {
      if (!e.ptx() && e.arch() / 10 == computeCapability / 10 && e.arch() <= computeCapability) {
        return true;
      }
      if (e.ptx() && e.arch() <= computeCapability) {
        return true;
      }
    }
    return false;
  }
}
