package org.convgrad.io.npy;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NpyTest {
  @TempDir Path dir;

  static Tensor random(DType dtype, Shape shape, long seed) {
    Random r = new Random(seed);
    double[] v = new double[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextGaussian();
    }
    return Tensor.fromDoubles(dtype, shape, v);
  }

  /** A .npy file with the given header dictionary text and data bytes, version 1.0. */
  static byte[] rawNpy(int major, String dict, byte[] data) {
    byte[] text = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
    int pre = major == 1 ? 10 : 12;
    ByteBuffer b = ByteBuffer.allocate(pre + text.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    if (major == 1) {
      b.putShort((short) text.length);
    } else {
      b.putInt(text.length);
    }
    b.put(text).put(data);
    return b.array();
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"HALF", "FLOAT32", "FLOAT64"})
  void roundTripsEveryDtypeAndRank(DType dtype) throws IOException {
    for (long[] dims : new long[][] {{}, {0}, {7}, {3, 4}, {2, 3, 4, 5}, {0, 3}}) {
      Tensor t = random(dtype, Shape.of(dims), dims.length);
      Path f = dir.resolve("t.npy");
      Npy.write(f, t);
      NpyHeader h = Npy.readHeader(f);
      assertEquals(1, h.majorVersion());
      assertEquals(0, h.dataOffset() % 64, "header padded to 64 bytes");
      assertEquals(Shape.of(dims), h.shape());
      assertEquals(dtype, h.dtype());
      assertFalse(h.fortranOrder());
      assertSameTensor(t, Npy.read(f));
    }
  }

  @Test
  void headerMatchesNumpyByteForByte() {
    // np.save of np.zeros((2, 3), np.float32) with NumPy 1.24 and 2.x
    String expected = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    byte[] h = Npy.headerBytes(DType.FLOAT32, Shape.of(2, 3));
    assertEquals(128, h.length);
    String text = new String(h, 10, h.length - 10, StandardCharsets.ISO_8859_1);
    assertTrue(text.startsWith(expected), text);
    assertEquals('\n', text.charAt(text.length() - 1));
    assertEquals(expected, text.stripTrailing());
    byte[] one = Npy.headerBytes(DType.FLOAT64, Shape.of(5));
    assertTrue(new String(one, StandardCharsets.ISO_8859_1).contains("'shape': (5,), }"));
  }

  @Test
  void readsVersion2And3HeadersAndOtherLittleEndianMarks() throws IOException {
    float[] v = {1f, -2.5f, 3.25f};
    ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      data.putFloat(x);
    }
    for (int major : new int[] {1, 2, 3}) {
      for (String mark : new String[] {"<", "|", "="}) {
        Path f = dir.resolve("v" + major + ".npy");
        Files.write(f, rawNpy(major, "{\"descr\": \"" + mark + "f4\", \"fortran_order\": False, \"shape\": (3,)}",
            data.array()));
        Tensor t = Npy.read(f);
        assertEquals(major, Npy.readHeader(f).majorVersion());
        assertArrayEquals(v, t.float32Data());
      }
    }
  }

  @Test
  void convertsBigEndian() throws IOException {
    ByteBuffer data = ByteBuffer.allocate(16 + 8 + 4).order(ByteOrder.BIG_ENDIAN);
    data.putDouble(1.5).putDouble(-7.25);
    Path f = dir.resolve("be.npy");
    byte[] d = Arrays.copyOf(data.array(), 16);
    Files.write(f, rawNpy(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", d));
    assertArrayEquals(new double[] {1.5, -7.25}, Npy.read(f).float64Data());
    ByteBuffer h = ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN);
    h.putShort((short) 0x3c00).putShort((short) 0xc000); // 1.0, -2.0 in binary16
    Files.write(f, rawNpy(1, "{'descr': '>f2', 'fortran_order': False, 'shape': (2,), }", h.array()));
    Tensor t = Npy.read(f);
    assertEquals(DType.HALF, t.dtype());
    assertEquals(1.0, t.getFlat(0));
    assertEquals(-2.0, t.getFlat(1));
  }

  @Test
  void readsRangesWithoutTheRest() throws IOException {
    Tensor t = random(DType.FLOAT32, Shape.of(10, 3, 2), 5);
    Path f = dir.resolve("r.npy");
    Npy.write(f, t);
    Tensor part = Npy.readRange(f, 4, 3);
    assertEquals(Shape.of(3, 3, 2), part.shape());
    assertArrayEquals(Arrays.copyOfRange(t.float32Data(), 24, 42), part.float32Data());
    assertEquals(Shape.of(0, 3, 2), Npy.readRange(f, 10, 0).shape());
    assertThrows(IndexOutOfBoundsException.class, () -> Npy.readRange(f, 8, 3));
    assertThrows(IndexOutOfBoundsException.class, () -> Npy.readRange(f, -1, 1));
    // truncate the file after row 5: rows before it still read, the header check names the problem
    byte[] all = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(all, all.length - 20));
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.readRange(f, 0, 1));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void writesAndReadsThroughChannels() throws IOException {
    Tensor t = random(DType.FLOAT64, Shape.of(4, 5), 9);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Npy.write(Channels.newChannel(out), t);
    Path f = dir.resolve("c.npy");
    Files.write(f, out.toByteArray());
    try (SeekableByteChannel ch = Files.newByteChannel(f)) {
      assertSameTensor(t, Npy.read(ch, "c"));
      assertArrayEquals(Arrays.copyOfRange(t.float64Data(), 5, 15), Npy.readRange(ch, "c", 1, 2).float64Data());
    }
  }

  @Test
  void rejectsBfloat16Clearly() {
    Tensor t = Tensor.zeros(DType.BFLOAT16, Shape.of(2));
    InvalidArgumentException e =
        assertThrows(InvalidArgumentException.class, () -> Npy.write(dir.resolve("b.npy"), t));
    assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("b.npy")));
  }

  private NpyFormatException rejected(byte[] content, String... words) throws IOException {
    Path f = dir.resolve("bad.npy");
    Files.write(f, content);
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
    assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
    for (String w : words) {
      assertTrue(e.getMessage().contains(w), "'" + w + "' not in: " + e.getMessage());
    }
    return e;
  }

  @Test
  void rejectsCorruptFilesClearly() throws IOException {
    rejected(new byte[0], "empty file");
    rejected("PK\u0003\u0004 not numpy".getBytes(StandardCharsets.ISO_8859_1), "not a .npy file");
    rejected(new byte[] {(byte) 0x93, 'N', 'U'}, "truncated");
    rejected(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 100}, "truncated");
    byte[] good = rawNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new byte[16]);
    rejected(Arrays.copyOf(good, good.length - 1), "truncated", "[4]");
    rejected(Arrays.copyOf(good, 30), "truncated");
    byte[] v9 = good.clone();
    v9[6] = 9;
    rejected(v9, "version 9.0");
    // a header that lies: a shape of 2^40 floats in a small file, rejected before allocating
    rejected(rawNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }", new byte[16]),
        "header lies", "1099511627776");
    rejected(rawNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 2), }",
        new byte[16]), "long");
    rejected(rawNpy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", new byte[16]),
        "unsupported dtype '<i4'");
    rejected(rawNpy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", new byte[16]),
        "structured");
    rejected(rawNpy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]),
        "fortran_order is True");
    rejected(rawNpy(1, "{'descr': '<f4', 'shape': (4,), }", new byte[16]), "'fortran_order'");
    rejected(rawNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,", new byte[16]), "malformed");
    rejected(rawNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", new byte[16]), "-4");
    rejected(rawNpy(1, "[1, 2]", new byte[16]), "not a dictionary");
    // 60,000 open brackets fit a version 1 header; parsed by recursion they would overflow the stack.
    rejected(rawNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(".repeat(60_000), new byte[0]),
        "malformed", "more than 32 nested containers");
  }

  @Test
  void rejectsMoreElementsThanATensorHoldsBeforeAllocating() throws IOException {
    // 3e9 half elements claim 6 GB; a sparse file of that size makes the header honest.
    Path f = dir.resolve("huge.npy");
    byte[] head = rawNpy(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3000000000,), }", new byte[0]);
    try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW,
        java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
      ch.write(ByteBuffer.wrap(head));
      ch.write(ByteBuffer.wrap(new byte[1]), head.length + 6_000_000_000L - 1);
    }
    assertEquals(Shape.of(3_000_000_000L), Npy.readHeader(f).shape());
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
    assertTrue(e.getMessage().contains("more than one tensor holds"), e.getMessage());
    assertEquals(Shape.of(2), Npy.readRange(f, 2_999_999_998L, 2).shape());
  }

  @Test
  void failedWriteLeavesNoFileAndKeepsTheOld() throws IOException {
    Path f = dir.resolve("keep.npy");
    Tensor old = random(DType.FLOAT32, Shape.of(3), 1);
    Npy.write(f, old);
    assertThrows(InvalidArgumentException.class,
        () -> Npy.write(f, Tensor.zeros(DType.BFLOAT16, Shape.of(3))));
    assertSameTensor(old, Npy.read(f));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
  }

  @Test
  void aHeaderLengthThatTakesInDataNeverPutsRawBytesInTheMessage() throws Exception {
    // The header length grown by 128: the header text then holds float bytes, control characters among them.
    float[] v = new float[96];
    for (int k = 0; k < v.length; k++) {
      v[k] = Float.intBitsToFloat(0x017f1b07 + k * 0x01010101);
    }
    Path f = dir.resolve("binary-header.npy");
    Npy.write(f, org.convgrad.engine.tensor.Tensor.ofFloat32(org.convgrad.engine.tensor.Shape.of(2, 4, 4, 3), v));
    byte[] b = java.nio.file.Files.readAllBytes(f);
    b[8] = (byte) (b[8] + 0x80);
    java.nio.file.Files.write(f, b);
    NpyFormatException e = org.junit.jupiter.api.Assertions.assertThrows(NpyFormatException.class, () -> Npy.read(f));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20 || (c >= 0x7f && c < 0xa0)),
        e.getMessage());
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("\\x"), e.getMessage());
  }
}
