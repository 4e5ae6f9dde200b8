package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.convgrad.cli.ConvgradCli;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.spark.commit.Manifest;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.testing.JobFixture;
import org.convgrad.spark.testing.SparkTest;
import org.convgrad.spark.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Samples sharded spatially: each task computes a band of one sample's result rows from the
 * out_backprop rows that reach it, read from the .npy by ranges; the assembled result is the
 * single-process run's file, byte for byte, whatever the band height.
 */
@SparkTest
class BandedJobTest {
  @TempDir Path dir;

  @Test
  void bandsOfEveryHeightAssembleTheSingleProcessRunsFile(SparkSession spark) throws Exception {
    // 5x5 dilated by 2 at stride 3: halos of several one-row bands; two samples, both layouts.
    for (DataFormat f : DataFormat.values()) {
      Tensor dy = TestData.random(DType.FLOAT32, 3, f.order(2, 9, 8, 4));
      Tensor w = TestData.random(DType.FLOAT32, 4, 5, 5, 3, 4);
      List<String> op = List.of("--input-sizes", "26,23", "--strides", "3", "--dilations", "2", "--padding", "SAME",
          "--data-format", f.name());
      Path expected = cli(op, w, dy, f.name());
      for (long rows : new long[] {1, 4, 10}) {
        String out = dir.resolve(f + "-out-" + rows).toString();
        Path assembled = dir.resolve(f + "-dx-" + rows + ".npy");
        JobResult r = ConvgradJob.of(b -> b.op(o -> o.inputSizes(26, 23).strides(3).dilations(2)
                .padding(Padding.SAME).dataFormat(f))
            .outBackprop(dir.resolve(f.name() + "-dy.npy").toString()).filter(dir.resolve(f.name() + "-w.npy").toString())
            .output(out).assemble(assembled.toString()).bandRows(rows)).run(spark);
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(assembled), f + ", bands of " + rows);
        long aligned = (rows + 5) / 6 * 6; // two stride-rows
        assertEquals(2 * ((26 + aligned - 1) / aligned), r.parts().size(), f + " " + rows);
        assertEquals(2, r.samples());
        Manifest m = r.manifest();
        assertEquals(aligned, m.bandRows);
        assertEquals(0L, m.parts.get(0).firstRow);
        assertEquals(1, m.parts.get(m.parts.size() - 1).firstSample);
        assertTrue(Files.exists(Path.of(out, "_SUCCESS")));
      }
    }
  }

  @Test
  void winogradBandsChooseByTheWholeDatasetAndARetriedBandIsCommittedOnce(SparkSession spark) throws Exception {
    spark.conf().set(ConvgradConf.TEST_FAIL_FIRST_ATTEMPT.key(), "true");
    Tensor dy = TestData.random(DType.FLOAT32, 5, 2, 20, 9, 16);
    dy.float32Data()[dy.size() - 1] = 1e37f; // the last rows of the last sample: no other band reads it
    Tensor w = TestData.random(DType.FLOAT32, 6, 3, 3, 16, 16);
    Path expected = cli(List.of("--input-sizes", "20,9", "--padding", "SAME"), w, dy, "wino");
    Path assembled = dir.resolve("dx.npy");
    JobResult r = ConvgradJob.of(b -> b.op(o -> o.inputSizes(20, 9).padding(Padding.SAME))
        .outBackprop(dir.resolve("wino-dy.npy").toString()).filter(dir.resolve("wino-w.npy").toString())
        .output(dir.resolve("out").toString()).assemble(assembled.toString()).bandRows(4)).run(spark);
    assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(assembled));
    assertEquals(10, r.parts().size());
    assertEquals(9, r.shardsComputedAgain(), "the band that read 1e37 chose the direct tiles on its own values already");
    for (var c : r.parts()) {
      assertTrue(c.attemptNumber >= 1, "band " + c.shard + " committed its failed first attempt");
    }
  }

  @Test
  void samplesLargerThanATasksBatchAreBandedWithoutBeingAsked(SparkSession spark) throws Exception {
    spark.conf().set(ConvgradConf.BATCH_MAX_BYTES.key(), "2k");
    Tensor dy = TestData.random(DType.FLOAT32, 7, 1, 30, 10, 2);
    Tensor w = TestData.random(DType.FLOAT32, 8, 3, 3, 2, 2);
    Path expected = cli(List.of("--input-sizes", "30,10", "--padding", "SAME"), w, dy, "auto");
    JobResult r = ConvgradJob.of(b -> b.op(o -> o.inputSizes(30, 10).padding(Padding.SAME))
        .outBackprop(dir.resolve("auto-dy.npy").toString()).filter(dir.resolve("auto-w.npy").toString())
        .output(dir.resolve("out").toString()).assemble(dir.resolve("dx.npy").toString())).run(spark);
    assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(dir.resolve("dx.npy")));
    assertTrue(r.parts().size() > 1, "one sample of 4.8 KB in bands of at most 2 KB");
    assertEquals(1, r.samples());
  }

  @Test
  void bandsReadAWholeNpyAndAssembleANpyAndSayBeforeAnyTask(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    DatasetException arrow = assertThrows(DatasetException.class,
        () -> f.job("out").bandRows(2).build().run(spark));
    assertTrue(arrow.getMessage().startsWith("bands of result rows (--band-rows) read their out_backprop rows from a"
        + " .npy dataset"), arrow.getMessage());
    Path npy = TestData.npy(dir.resolve("dy.npy"), f.dy);
    DatasetException assembled = assertThrows(DatasetException.class,
        () -> f.job("out").outBackprop(npy.toString()).assemble(dir.resolve("dx.arrow").toString()).bandRows(2)
            .build().run(spark));
    assertTrue(assembled.getMessage().contains("a job in bands of result rows assembles a .npy"),
        assembled.getMessage());
    Path truncated = dir.resolve("truncated.npy");
    byte[] whole = Files.readAllBytes(npy);
    Files.write(truncated, Arrays.copyOf(whole, whole.length - 1));
    DatasetException cut = assertThrows(DatasetException.class,
        () -> f.job("out").outBackprop(truncated.toString()).assemble(dir.resolve("dx.npy").toString()).bandRows(2)
            .build().run(spark));
    assertTrue(cut.getMessage().contains("truncated"), cut.getMessage());
    assertFalse(Files.exists(dir.resolve("out")));
    assertFalse(Files.exists(dir.resolve("dx.npy")));
  }

  @Test
  void wholeSamplesKeepTheirManifestWithoutBands(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    JobResult r = f.job("out").build().run(spark);
    assertNull(r.manifest().bandRows);
    assertNull(r.manifest().parts.get(0).firstRow);
    assertFalse(Files.readString(Path.of(dir.resolve("out").toString(), "manifest.json")).contains("firstRow"));
  }

  /** The command line's in-memory run on the whole .npy (in this JVM): what the job must equal. */
  private Path cli(List<String> op, Tensor w, Tensor dy, String name) throws Exception {
    Path wf = TestData.npy(dir.resolve(name + "-w.npy"), w);
    Path dyf = TestData.npy(dir.resolve(name + "-dy.npy"), dy);
    Path out = dir.resolve(name + "-expected.npy");
    List<String> args = new ArrayList<>(List.of("backprop-input"));
    args.addAll(op);
    args.addAll(List.of("--filter", wf.toString(), "--out-backprop", dyf.toString(), "--threads", "1", "--output",
        out.toString()));
    StringWriter err = new StringWriter();
    int code = ConvgradCli.run(args.toArray(String[]::new), new PrintWriter(new StringWriter(), true),
        new PrintWriter(err, true));
    assertEquals(0, code, err.toString());
    return out;
  }
}
