package org.convgrad.spark.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.convgrad.engine.Padding;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.arrow.TensorIpcWriter;
import org.convgrad.io.npy.Npy;
import org.convgrad.spark.commit.JobCommitter;
import org.convgrad.spark.commit.Manifest;
import org.convgrad.spark.io.ArrowParts;
import org.convgrad.spark.job.ConvgradJob;

/**
 * A small problem (out_backprop [12, 6, 6, 3] in three Arrow files of 5, 3 and 4 samples with ids
 * from 1000, filter [3, 3, 2, 3], stride 2, SAME, input 11x11), its single-process result, and
 * the checks every job result must pass.
 */
public final class JobFixture {
  public final Path dir;
  public final DataFormat format;
  public final Tensor dy;
  public final Tensor filter;
  public final long[] ids;
  public final Path dataset;
  public final Path filterFile;

  public static final long FIRST_ID = 1000;
  public static final int[] FILE_ROWS = {5, 3, 4};

  public JobFixture(Path dir, DataFormat format, DType dtype) throws IOException {
    this.dir = dir;
    this.format = format;
    int n = 12;
    this.dy = TestData.random(dtype, 11, format.order(n, 6, 6, 3));
    this.filter = TestData.random(dtype, 12, 3, 3, 2, 3);
    this.ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = FIRST_ID + i;
    }
    this.dataset = Files.createDirectories(dir.resolve("dy"));
    int row = 0;
    for (int f = 0; f < FILE_ROWS.length; f++) {
      ArrowParts.writeSamples(dataset.resolve("dy-" + f + ".arrow"), FIRST_ID + row, rows(dy, row, FILE_ROWS[f]),
          format);
      row += FILE_ROWS[f];
    }
    this.filterFile = TestData.npy(dir.resolve("w.npy"), filter);
  }

  /** Rows [first, first + count) of a float32/float64 tensor. */
  public static Tensor rows(Tensor t, int first, int count) {
    long[] dims = t.shape().toArray();
    int per = (int) (t.size() / dims[0]);
    dims[0] = count;
    Tensor out = Tensor.zeros(t.dtype(), Shape.of(dims));
    Object src = t.dtype() == DType.FLOAT32 ? t.float32Data() : t.float64Data();
    Object dst = t.dtype() == DType.FLOAT32 ? out.float32Data() : out.float64Data();
    System.arraycopy(src, first * per, dst, 0, count * per);
    return out;
  }

  /** The job of this problem with output {@code dir/output} and {@code --assemble dir/output.npy}. */
  public ConvgradJob.Builder job(String output) {
    return ConvgradJob.builder()
        .outBackprop(dataset.toString())
        .filter(filterFile.toString())
        .op(o -> o.inputSizes(11, 11).strides(2).padding(Padding.SAME).dataFormat(format))
        .output(dir.resolve(output).toString())
        .assemble(dir.resolve(output + ".npy").toString());
  }

  /** The single-process result: one engine, the whole batch. */
  public Tensor expected() {
    try (Engine e = Engine.create(b -> b.threads(1))) {
      return e.backpropInput(new long[] {11, 11}, filter, dy,
          org.convgrad.engine.ConvParams.of(p -> p.strides(2).padding(org.convgrad.engine.Padding.SAME).dataFormat(format)));
    }
  }

  /**
   * The result as {@code bin/convgrad backprop-input} writes it (run in this JVM) from the whole
   * batch in one .npy: what every job result must equal byte for byte.
   */
  public Path expectedNpy() throws IOException {
    Path all = TestData.npy(dir.resolve("dy-all.npy"), dy);
    Path out = dir.resolve("expected.npy");
    java.io.StringWriter err = new java.io.StringWriter();
    int code = org.convgrad.cli.ConvgradCli.run(new String[] {"backprop-input", "--input-sizes", "11,11",
        "--filter", filterFile.toString(), "--out-backprop", all.toString(), "--strides", "2", "--padding", "SAME",
        "--data-format", format.name(), "--threads", "1", "--output", out.toString()},
        new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true));
    if (code != 0) {
      throw new IllegalStateException("the command line failed: " + err);
    }
    return out;
  }

  public Path expectedArrow() throws IOException {
    Path p = dir.resolve("expected.arrow");
    Tensor dx = expected();
    try (BufferAllocator a = new RootAllocator();
        TensorIpcWriter w = TensorIpcWriter.builder(ArrowParts.sampleType(dx.shape(), format), dx.dtype()).openFile(p, a)) {
      w.write(ids, dx);
    }
    return p;
  }

  /** Checks a committed output: manifest order and checksums, every id once, no temporary files, _SUCCESS. */
  public void assertCommitted(String output) throws IOException {
    Path out = dir.resolve(output);
    assertTrue(Files.exists(out.resolve(JobCommitter.SUCCESS)), "no _SUCCESS");
    assertFalse(Files.exists(out.resolve(JobCommitter.TEMPORARY)), "_temporary left behind");
    Manifest m = Manifest.read(FileSystem.getLocal(new Configuration()),
        new org.apache.hadoop.fs.Path(out.resolve(JobCommitter.MANIFEST).toString()));
    assertEquals(ids.length, m.samples);
    List<Long> seen = new ArrayList<>();
    long next = 0;
    for (Manifest.Part p : m.parts) {
      assertEquals(next, p.firstSample);
      next += p.samples;
      byte[] bytes = Files.readAllBytes(out.resolve(p.file));
      assertEquals(p.bytes, bytes.length);
      CRC32C crc = new CRC32C();
      crc.update(bytes);
      assertEquals(p.crc32c, String.format("%08x", crc.getValue()), p.file);
      ArrowParts.read(new org.apache.hadoop.fs.Path(out.resolve(p.file).toString()), new Configuration(),
          (batchIds, batch) -> {
            for (long id : batchIds) {
              seen.add(id);
            }
          });
    }
    long[] got = seen.stream().mapToLong(Long::longValue).toArray();
    assertArrayEquals(ids, got, "every sample exactly once, in order");
    try (var files = Files.list(out)) {
      // The job writes file: outputs through Hadoop's raw local file system: no .NAME.crc files.
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(m.parts.size() + 2, names.size(), "only parts, manifest.json and _SUCCESS: " + names);
    }
  }

  /** The assembled .npy is byte for byte the command line's. */
  public void assertAssembledNpy(String output) throws IOException {
    assertArrayEquals(Files.readAllBytes(expectedNpy()), Files.readAllBytes(dir.resolve(output + ".npy")));
  }
}
