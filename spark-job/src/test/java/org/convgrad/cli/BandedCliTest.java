package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.engine.testing.Problem;
import org.convgrad.io.npy.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code convgrad backprop-input --band-rows N} streams .npy to .npy band by band and writes the file
 * an in-memory run writes, byte for byte.
 */
class BandedCliTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {5, 6, 7, 8, 9, 10, 11, 12})
  void bandsOfAnyHeightWriteTheInMemoryRunsFile(long seed) throws Exception {
    DType dtype = new DType[] {DType.FLOAT32, DType.HALF, DType.FLOAT64}[(int) (seed % 3)];
    DataFormat format = seed % 2 == 0 ? DataFormat.NHWC : DataFormat.NCHW;
    Problem p = Problem.random(seed, dtype, format, true);
    List<String> args = files(p, "w" + seed, "dy" + seed);
    Path whole = dir.resolve("whole" + seed + ".npy");
    assertEquals(0, run(args, whole, "--threads", "2"));
    for (String rows : new String[] {"1", "3", "7", Long.toString(Long.MAX_VALUE)}) {
      Path banded = dir.resolve("banded" + seed + "-" + rows + ".npy");
      assertEquals(0, run(args, banded, "--threads", "2", "--band-rows", rows));
      assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(banded), p + ", bands of " + rows);
    }
  }

  @Test
  void winogradProblemsScanTheirOutBackpropAndKeepTheirBits() throws Exception {
    // 3x3 at stride 1 with 16 channels: the SIMD kernel's Winograd tiles, which choose by the data.
    Tensor w = random(DType.FLOAT32, Shape.of(3, 3, 16, 16), 1);
    Tensor dy = random(DType.FLOAT32, Shape.of(1, 30, 17, 16), 2);
    dy.float32Data()[dy.size() - 1] = 1e37f; // in the last band only: every band must run the direct tiles
    Npy.write(dir.resolve("w.npy"), w);
    Npy.write(dir.resolve("dy.npy"), dy);
    List<String> args = List.of("--input-sizes", "1,30,17,16", "--padding", "SAME", "--filter",
        dir.resolve("w.npy").toString(), "--out-backprop", dir.resolve("dy.npy").toString());
    Path whole = dir.resolve("whole.npy");
    Path banded = dir.resolve("banded.npy");
    StringWriter wholeOut = new StringWriter();
    assertEquals(0, run(args, whole, wholeOut, new StringWriter(), "-v"));
    assertTrue(wholeOut.toString().contains("kernel simd (") && !wholeOut.toString().contains("winograd"),
        "-v names the tiles that ran: " + wholeOut);
    StringWriter out = new StringWriter();
    assertEquals(0, run(args, banded, out, new StringWriter(), "--band-rows", "4", "-v"));
    assertTrue(out.toString().contains("8 band(s) of 4 row(s) (computed again: out_backprop holds a value past"), out.toString());
    assertFalse(out.toString().contains("winograd"), "the bands ran the direct tiles, and say so: " + out);
    assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(banded));
  }

  @Test
  void aTruncatedOutBackpropIsRejectedBeforeAnyBandAndNothingIsWritten() throws Exception {
    Problem p = Problem.random(21, DType.FLOAT32, DataFormat.NHWC, false);
    List<String> args = files(p, "w", "dy");
    Path dy = dir.resolve("dy.npy");
    byte[] bytes = Files.readAllBytes(dy);
    Files.write(dy, Arrays.copyOf(bytes, bytes.length - 4));
    StringWriter err = new StringWriter();
    assertEquals(2, run(args, dir.resolve("dx.npy"), new StringWriter(), err, "--band-rows", "1"));
    assertTrue(err.toString().startsWith("Error: ") && err.toString().contains(dy.toString()), err.toString());
    try (var files = Files.list(dir)) {
      assertEquals(List.of("dy.npy", "w.npy"), files.map(f -> f.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void bandsTallerThanTheHeapHoldsAreAUsageErrorNamingTheOption() throws Exception {
    // A 100000 x 100000 image: a sparse out_backprop file whose header is all that is read.
    Path dyf = sparseNpy(dir.resolve("huge-dy.npy"), "<f4", 4, 1, 100000, 100000, 1);
    Path wf = dir.resolve("w1.npy");
    Npy.write(wf, random(DType.FLOAT32, Shape.of(3, 3, 1, 1), 1));
    List<String> args = List.of("--input-sizes", "100000,100000", "--padding", "SAME", "--filter", wf.toString(),
        "--out-backprop", dyf.toString());
    StringWriter err = new StringWriter();
    assertEquals(2, run(args, dir.resolve("dx.npy"), new StringWriter(), err, "--band-rows", "100000"));
    assertTrue(err.toString().startsWith("Usage error: --band-rows 100000 is more than the "), err.toString());
    assertFalse(Files.exists(dir.resolve("dx.npy")));
  }

  @Test
  void anImageNoTensorHoldsIsRefusedBeforeAnyOutputIsMadeSayingWhatWouldStreamIt() throws Exception {
    // A result of 2^31 + 32768 half elements: only a .npy output can take it, in bands.
    Path dyf = sparseNpy(dir.resolve("big-dy.npy"), "<f2", 2, 1, 65536, 32769, 1);
    Npy.write(dir.resolve("w.npy"), random(DType.HALF, Shape.of(1, 1, 1, 1), 1));
    List<String> args = List.of("--input-sizes", "65536,32769", "--padding", "VALID", "--filter",
        dir.resolve("w.npy").toString(), "--out-backprop", dyf.toString());
    StringWriter err = new StringWriter();
    assertEquals(2, run(args, dir.resolve("dx.arrow"), new StringWriter(), err));
    assertTrue(err.toString().startsWith("Usage error: --output " + dir.resolve("dx.arrow") + ": the result [1, 65536,"
        + " 32769, 1] has 2147549184 elements, more than one tensor in memory holds; an --output ending in .npy"
        + " streams it"), err.toString());

    // Rows so wide that the thinnest band (2 rows of 1.1e9 pixels of 2 channels) is past one tensor.
    Path wide = sparseNpy(dir.resolve("wide-dy.npy"), "<f2", 2, 1, 4, 1_100_000_000, 2);
    Npy.write(dir.resolve("w2.npy"), random(DType.HALF, Shape.of(1, 1, 2, 2), 2));
    args = List.of("--input-sizes", "4,1100000000", "--padding", "VALID", "--filter", dir.resolve("w2.npy").toString(),
        "--out-backprop", wide.toString());
    err = new StringWriter();
    assertEquals(2, run(args, dir.resolve("dx.npy"), new StringWriter(), err));
    assertTrue(err.toString().startsWith("InvalidArgument: Conv2DBackpropInput: the image's rows are too wide to"
        + " compute in bands: a band of 2 rows has result [1, 2, 1100000000, 2] and reads up to"), err.toString());
    // And where only the last band reads that much: a bottom pad of 1000 rows, which it reads them all of.
    Path padded = sparseNpy(dir.resolve("padded-dy.npy"), "<f4", 4, 1, 1004, 2_200_000, 1);
    Npy.write(dir.resolve("w3.npy"), random(DType.FLOAT32, Shape.of(1, 1, 1, 1), 3));
    args = List.of("--input-sizes", "4,2200000", "--padding", "EXPLICIT", "--explicit-paddings", "0,0,0,1000,0,0,0,0",
        "--filter", dir.resolve("w3.npy").toString(), "--out-backprop", padded.toString());
    err = new StringWriter();
    assertEquals(2, run(args, dir.resolve("dx.npy"), new StringWriter(), err, "--band-rows", "2"));
    assertTrue(err.toString().startsWith("InvalidArgument: Conv2DBackpropInput: the image's rows are too wide to"
        + " compute in bands: a band of 2 rows has result [1, 2, 2200000, 1] and reads up to 2204400000 out_backprop"
        + " elements"), err.toString());
    try (var files = Files.list(dir)) {
      assertEquals(List.of("big-dy.npy", "padded-dy.npy", "w.npy", "w2.npy", "w3.npy", "wide-dy.npy"),
          files.map(f -> f.getFileName().toString()).sorted().toList(), "no output, no temporary file");
    }
  }

  /** A .npy file of {@code shape} whose header is all that is written (the data a sparse hole). */
  private static Path sparseNpy(Path file, String descr, int width, long... shape) throws IOException {
    String dims = java.util.Arrays.stream(shape).mapToObj(Long::toString).collect(java.util.stream.Collectors.joining(", "));
    byte[] dict = ("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }").getBytes(
        java.nio.charset.StandardCharsets.ISO_8859_1);
    int padded = (10 + dict.length + 1 + 63) / 64 * 64 - 10; // the header text ends in '\n' at a multiple of 64
    byte[] head = java.nio.ByteBuffer.allocate(10 + padded).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) padded).put(dict)
        .put(" ".repeat(padded - dict.length - 1).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))
        .put((byte) '\n').array();
    long bytes = width;
    for (long d : shape) {
      bytes *= d;
    }
    try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW,
        java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
      ch.write(java.nio.ByteBuffer.wrap(head));
      ch.write(java.nio.ByteBuffer.wrap(new byte[1]), head.length + bytes - 1);
    }
    return file;
  }

  @Test
  void bandsNeedNpyOnBothSidesAndAPositiveHeightSaidBeforeAnyFileIsRead() throws Exception {
    List<String> args = List.of("--input-sizes", "1,5,5,2", "--padding", "SAME", "--filter",
        dir.resolve("no-w.npy").toString(), "--out-backprop", dir.resolve("no-dy.npy").toString());
    StringWriter err = new StringWriter();
    assertEquals(2, run(args, dir.resolve("dx.arrow"), new StringWriter(), err, "--band-rows", "2"));
    assertTrue(err.toString().startsWith("Usage error: --band-rows streams .npy to .npy"), err.toString());
    err = new StringWriter();
    assertEquals(2, run(args, dir.resolve("dx.npy"), new StringWriter(), err, "--band-rows", "0"));
    assertTrue(err.toString().startsWith("Usage error: --band-rows must be at least 1, but got 0"), err.toString());
    err = new StringWriter();
    assertEquals(2, run(args, dir.resolve("dx.npy"), new StringWriter(), err, "--band-rows", "2", "--repeat", "3"));
    assertTrue(err.toString().startsWith("Usage error: --repeat times problems computed in memory"), err.toString());
    err = new StringWriter();
    assertEquals(2, run(args, dir.resolve("dx.txt"), new StringWriter(), err));
    assertTrue(err.toString().startsWith("Usage error: --output " + dir.resolve("dx.txt")
        + ": expected a file name ending in .npy or .arrow"), err.toString());
    assertFalse(Files.exists(dir.resolve("dx.npy")));
  }

  private List<String> files(Problem p, String w, String dy) throws Exception {
    SplittableRandom r = new SplittableRandom(p.seed);
    Path wf = dir.resolve(w + ".npy");
    Path dyf = dir.resolve(dy + ".npy");
    // Values off any grid, so that another order of the same terms would round otherwise.
    Npy.write(wf, random(p.op.dtype(), p.op.filterShape(), r.nextLong()));
    Npy.write(dyf, random(p.op.dtype(), p.op.outBackpropShape(), r.nextLong()));
    List<String> args = new ArrayList<>(CliArgs.op(p));
    args.addAll(List.of("--filter", wf.toString(), "--out-backprop", dyf.toString()));
    return args;
  }

  private static int run(List<String> args, Path output, String... more) {
    return run(args, output, new StringWriter(), new StringWriter(), more);
  }

  private static int run(List<String> args, Path output, StringWriter out, StringWriter err, String... more) {
    List<String> all = new ArrayList<>();
    all.add("backprop-input");
    all.addAll(args);
    all.addAll(List.of("--output", output.toString()));
    all.addAll(List.of(more));
    return ConvgradCli.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private static Tensor random(DType dtype, Shape shape, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[(int) shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble(-1, 1);
    }
    return Tensor.fromDoubles(dtype, shape, v);
  }
}
