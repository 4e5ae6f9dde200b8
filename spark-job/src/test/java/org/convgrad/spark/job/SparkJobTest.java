package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.convgrad.cli.ErrorLine;
import org.convgrad.engine.DType;
import org.convgrad.engine.ConvParams;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;
import org.convgrad.spark.io.ArrowParts;
import org.convgrad.engine.kernel.SimdSupport;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.task.ExecutorEngines;
import org.convgrad.spark.testing.JobFixture;
import org.convgrad.spark.testing.SparkTest;
import org.convgrad.spark.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The job on local[2]: results bit for bit the single-process engine's, faults, bad input. */
@SparkTest
class SparkJobTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0}, {1} samples per task")
  @CsvSource({"NHWC, 1", "NHWC, 2", "NHWC, 100", "NCHW, 3", "NCHW, 0"})
  void resultIsBitIdenticalToTheSingleProcessEngine(String format, long perTask, SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.valueOf(format), DType.FLOAT32);
    ConvgradJob.Builder o = f.job("out");
    if (perTask > 0) { // 0: the default
      o.samplesPerTask(perTask);
    }
    JobResult r = o.build().run(spark);
    f.assertCommitted("out");
    f.assertAssembledNpy("out");
    assertEquals(12, r.samples());
    assertEquals(1, r.enginesBuilt(), "one engine for all tasks of the JVM");
    if (perTask == 1) {
      assertEquals(12, r.parts().size());
    }
    if (perTask == 100) {
      assertEquals(3, r.parts().size(), "shards never span files");
    }
    assertTrue(r.summary().contains("12 samples") && r.summary().contains("GFLOP/s"), r.summary());
  }

  @Test
  void aDatasetFileNamedInCapitalsIsPartOfTheDataset(SparkSession spark) throws Exception {
    // bin/convgrad reads dy.ARROW as Arrow: a dataset must not skip part of itself by the name's case.
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    Files.move(f.dataset.resolve("dy-2.arrow"), f.dataset.resolve("dy-2.ARROW"));
    JobResult r = f.job("out").assemble(dir.resolve("OUT.NPY").toString()).build().run(spark);
    assertEquals(12, r.samples());
    assertArrayEquals(Files.readAllBytes(f.expectedNpy()), Files.readAllBytes(dir.resolve("OUT.NPY")),
        "an assembled .NPY is a .npy, as bin/convgrad writes it");
  }

  @Test
  void pathsWithDotDotAfterALinkMeanWhatTheShellMeans(SparkSession spark) throws Exception {
    // p/sub/up -> p. Hadoop's Path reads p/sub/up/../x as p/sub/x; the shell, as p's parent's x.
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    Path p = Files.createDirectories(dir.resolve("p/sub")).getParent();
    Files.createSymbolicLink(p.resolve("sub/up"), p);
    Path bystander = Files.writeString(p.resolve("sub/out.npy"), "a file the user did not name");
    Files.createDirectories(p.resolve("sub/out"));
    f.job("unused").output(p + "/sub/up/../out").assemble(p + "/sub/up/../out.npy").build().run(spark);
    f.assertCommitted("out");
    f.assertAssembledNpy("out");
    assertEquals("a file the user did not name", Files.readString(bystander));
    try (java.util.stream.Stream<Path> left = Files.list(p.resolve("sub/out"))) {
      assertEquals(0, left.count(), "nothing went into p/sub/out");
    }
  }

  @Test
  void aValuePastWinogradsLimitInOneShardGivesEveryShardTheTilesOfTheWholeDataset(SparkSession spark)
      throws Exception {
    // 3x3 at stride 1 with 16 channels: the SIMD kernel's Winograd tiles, while the values allow them.
    Assumptions.assumeTrue(SimdSupport.available(), "the SIMD kernel chooses its tiles by the values");
    Tensor dy = TestData.random(DType.FLOAT32, 21, 6, 8, 8, 16);
    dy.float32Data()[5 * 8 * 8 * 16 + 7] = 1e37f; // the last sample only; Winograd.limit is about 2e35 here
    Tensor w = TestData.random(DType.FLOAT32, 22, 3, 3, 16, 16);
    Path data = Files.createDirectories(dir.resolve("dy"));
    ArrowParts.writeSamples(data.resolve("dy-0.arrow"), 0, dy, DataFormat.NHWC);
    Path wf = TestData.npy(dir.resolve("w.npy"), w);
    JobResult r = ConvgradJob.builder().outBackprop(data.toString()).filter(wf.toString())
        .op(o -> o.inputSizes(8, 8).padding(Padding.SAME)).output(dir.resolve("out").toString())
        .assemble(dir.resolve("out.npy").toString()).samplesPerTask(2).engine(EngineChoice.CPU).build().run(spark);
    assertEquals(2, r.shardsComputedAgain(), "the last shard chose the direct tiles on its own values already");
    for (var part : r.manifest().parts) {
      assertTrue(part.kernel.startsWith("simd (") && !part.kernel.contains("winograd"),
          "the manifest names the tiles that ran: " + part.kernel);
    }
    assertTrue(r.summary().contains("(2 computed again: out_backprop holds a value too large"), r.summary());
    ConvParams same = ConvParams.of(p -> p.padding(Padding.SAME));
    try (Engine e = Engine.create(b -> b.kind(EngineKind.SIMD).threads(1))) {
      float[] whole = e.backpropInput(new long[] {8, 8}, w, dy, same).float32Data();
      assertArrayEquals(whole, Npy.read(dir.resolve("out.npy")).float32Data(), "as bin/convgrad computes it: one call");
      float[] firstTwo = e.backpropInput(new long[] {8, 8}, w, JobFixture.rows(dy, 0, 2), same).float32Data();
      assertFalse(Arrays.equals(firstTwo, Arrays.copyOf(whole, firstTwo.length)),
          "the first shard on its own values takes other tiles: the case this checks");
    }
  }

  @Test
  void cpuEngineRunsTheSimdKernelWithOnePackedFilterPerJob(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    ConvgradJob.Builder o = f.job("out");
    o.engine(EngineChoice.CPU);
    o.samplesPerTask(2);
    spark.conf().set(ConvgradConf.BATCH_MAX_BYTES.key(), "1k"); // a batch per sample: many batches, one pack
    int packs = ExecutorEngines.packs();
    JobResult r = o.build().run(spark);
    f.assertCommitted("out");
    f.assertAssembledNpy("out");
    assertEquals(1, ExecutorEngines.packs() - packs, "the filter is packed once per executor JVM and job");
    assertEquals(1, r.enginesBuilt());
    for (var c : r.parts()) {
      assertEquals(SimdSupport.available() ? "simd" : "reference", c.kernel);
      assertEquals(1, c.threads, "local[2]: 2 cores, 2 tasks at once, 1 thread each");
    }
    assertEquals(0, ExecutorEngines.open(r.manifest().jobId), "the job's engine closed with the job");
  }

  @Test
  void threadsOptionSetsTheThreadsPerTask(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    ConvgradJob.Builder o = f.job("out");
    o.threads(2);
    JobResult r = o.build().run(spark);
    f.assertAssembledNpy("out");
    for (var c : r.parts()) {
      assertEquals(2, c.threads);
    }
  }

  @Test
  void assembledArrowIsBitIdenticalReplacesAnOlderFileAndFloat64Works(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT64);
    ConvgradJob.Builder o = f.job("out");
    Files.writeString(dir.resolve("dx.arrow"), "an older result, replaced in one rename");
    // A file its user made private stays private (Hadoop's local file system would give it 644).
    java.util.Set<java.nio.file.attribute.PosixFilePermission> owner =
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
    Files.setPosixFilePermissions(dir.resolve("dx.arrow"), owner);
    o.assemble(dir.resolve("dx.arrow").toString());
    o.samplesPerTask(2);
    o.build().run(spark);
    f.assertCommitted("out");
    assertArrayEquals(Files.readAllBytes(f.expectedArrow()), Files.readAllBytes(dir.resolve("dx.arrow")));
    assertEquals(owner, Files.getPosixFilePermissions(dir.resolve("dx.arrow")));
  }

  @Test
  void npyDatasetGivesRowNumbersAsIds(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    ConvgradJob.Builder o = f.job("out");
    o.outBackprop(TestData.npy(dir.resolve("dy.npy"), f.dy).toString());
    o.samplesPerTask(5);
    JobResult r = o.build().run(spark);
    f.assertAssembledNpy("out");
    assertEquals(0, r.manifest().parts.get(0).firstId);
    assertEquals(11, r.manifest().parts.get(2).lastId);
  }

  @Test
  void firstAttemptsThatFailAreRetriedAndNothingIsDuplicated(SparkSession spark) throws Exception {
    spark.conf().set(ConvgradConf.TEST_FAIL_FIRST_ATTEMPT.key(), "true");
    spark.conf().set(ConvgradConf.BATCH_MAX_BYTES.key(), "1k"); // several batches per task: fail halfway
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    ConvgradJob.Builder o = f.job("out");
    o.samplesPerTask(4);
    JobResult r = o.build().run(spark);
    f.assertCommitted("out");
    f.assertAssembledNpy("out");
    for (var c : r.parts()) {
      assertTrue(c.attemptNumber >= 1, "shard " + c.shard + " committed its failed first attempt");
    }
  }

  @Test
  void corruptArrowFileAmongGoodOnesIsRefusedWithoutOutput(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    byte[] good = Files.readAllBytes(f.dataset.resolve("dy-1.arrow"));
    Files.write(f.dataset.resolve("dy-1.arrow"), java.util.Arrays.copyOf(good, good.length / 2));
    ConvgradJob.Builder o = f.job("out");
    DatasetException e = assertThrows(DatasetException.class, () -> o.build().run(spark));
    assertTrue(e.getMessage().contains("dy-1.arrow"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("out")));
    assertFalse(Files.exists(dir.resolve("out.npy")));
  }

  /** Each of {@code bad} as {@code setting}'s value is refused before anything starts, in a line that names it. */
  private void assertRefused(SparkSession spark, JobFixture f, ConvgradConf.Entry setting, String... bad) {
    for (String v : bad) {
      spark.conf().set(setting.key(), v);
      org.convgrad.engine.InvalidArgumentException e =
          assertThrows(org.convgrad.engine.InvalidArgumentException.class, () -> f.job("out").build().run(spark));
      assertTrue(e.getMessage().startsWith(setting.key() + " is ") && e.getMessage().contains(v), e.getMessage());
      assertFalse(Files.exists(dir.resolve("out")), "nothing was started");
    }
  }

  @Test
  void aBatchSizeThatIsNoSizeIsRefusedNamingItsSetting(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    assertRefused(spark, f, ConvgradConf.BATCH_MAX_BYTES, "0", "-1", "lots");
    spark.conf().set(ConvgradConf.BATCH_MAX_BYTES.key(), "1kb"); // Spark's spelling of sizes
    f.job("out").build().run(spark);
    f.assertAssembledNpy("out");
  }

  @Test
  void anIdleTimeoutThatIsNoDurationIsRefusedNamingItsSetting(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    assertRefused(spark, f, ConvgradConf.ENGINE_IDLE_TIMEOUT, "soon", "-5s", "5 parsecs");
    for (String good : new String[] {"0", "250ms", "2min"}) {
      spark.conf().set(ConvgradConf.ENGINE_IDLE_TIMEOUT.key(), good);
      f.job("out-" + good).build().run(spark);
      f.assertAssembledNpy("out-" + good);
    }
  }

  @Test
  void aTaskOutOfMemoryIsRetriedThenFailsTheJobInOneLineAndLeavesTheJvmRunning(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    spark.conf().set(ConvgradConf.TEST_OUT_OF_MEMORY.key(), "true");
    Exception e = assertThrows(org.apache.spark.SparkException.class, () -> f.job("out").build().run(spark));
    assertTrue(e.getMessage().contains("failed 4 times"), "retried as any failed task: " + e.getMessage());
    String line = ErrorLine.of(e);
    assertTrue(line.startsWith("Error: out of memory in a task (Java heap space (injected"), line);
    assertTrue(line.contains("spark.convgrad.batch.maxBytes") && line.endsWith("--driver-memory)"), line);
    assertEquals(ErrorLine.FAILED, ErrorLine.exitCode(e), "the data is fine: a failure, not a rejection");
    assertFalse(Files.exists(dir.resolve("out")), "nothing of the failed job stays");
    spark.conf().set(ConvgradConf.TEST_OUT_OF_MEMORY.key(), "false");
    f.job("out").build().run(spark);
    f.assertAssembledNpy("out");
  }

  @Test
  void mixedSampleShapesAreRefused(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    ArrowParts.writeSamples(f.dataset.resolve("dy-9.arrow"), 5000, TestData.random(DType.FLOAT32, 3, 2, 5, 5, 3),
        DataFormat.NHWC);
    ConvgradJob.Builder o = f.job("out");
    DatasetException e = assertThrows(DatasetException.class, () -> o.build().run(spark));
    assertTrue(e.getMessage().contains("dy-9.arrow"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("out")));
  }

  @Test
  void aFailingJobLeavesNoSuccessAndNoAssembledFile(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    ConvgradJob.Builder o = f.job("out");
    o.samplesPerTask(3);
    spark.conf().set(ConvgradConf.TEST_FAIL_SHARD.key(), "2"); // fails on every attempt
    assertThrows(org.apache.spark.SparkException.class, () -> o.build().run(spark));
    assertFalse(Files.exists(dir.resolve("out").resolve("_SUCCESS")));
    assertFalse(Files.exists(dir.resolve("out.npy")));
    assertFalse(Files.exists(dir.resolve("out")), () -> "the job's output directory is removed: " + listing(dir.resolve("out")));
  }

  @Test
  void theCallersJobGroupCancelsTheJobAndItsSettingsOutliveIt(SparkSession spark) throws Exception {
    // As Zeppelin runs a paragraph: its own job group and description on the thread, Cancel from another thread.
    org.apache.spark.SparkContext sc = spark.sparkContext();
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    java.util.concurrent.ExecutorService paragraph = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      java.util.List<String> after = paragraph.submit(() -> {
        sc.setJobGroup("paragraph-1", "the caller's paragraph", false);
        f.job("out").build().run(spark);
        return java.util.Arrays.asList(sc.getLocalProperty("spark.jobGroup.id"),
            sc.getLocalProperty("spark.job.description"), sc.getLocalProperty("spark.job.interruptOnCancel"));
      }).get();
      assertEquals(java.util.List.of("paragraph-1", "the caller's paragraph", "false"), after);
      assertTrue(spark.sparkContext().statusTracker().getJobIdsForGroup("paragraph-1").length > 0,
          "the job's Spark jobs ran in the caller's group");

      spark.conf().set(ConvgradConf.TEST_SLOW_FIRST_ATTEMPT_MILLIS.key(), "120000");
      java.util.concurrent.Future<?> slow = paragraph.submit(() -> {
        sc.setJobGroup("paragraph-2", "the caller's next paragraph", false);
        return f.job("out2").build().run(spark);
      });
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (sc.statusTracker().getJobIdsForGroup("paragraph-2").length == 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      long cancelled = System.nanoTime();
      sc.cancelJobGroup("paragraph-2");
      java.util.concurrent.ExecutionException e =
          assertThrows(java.util.concurrent.ExecutionException.class, () -> slow.get(60, java.util.concurrent.TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof org.apache.spark.SparkException, e.getCause().toString());
      assertTrue(System.nanoTime() - cancelled < 30_000_000_000L, "cancelled, not waited out");
      assertFalse(Files.exists(dir.resolve("out2")), "the cancelled job's output is removed");
    } finally {
      paragraph.shutdownNow();
    }
  }

  @Test
  void aCommitTheStorageFailsIsAFailedRunThatLeavesNoOutput(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    spark.conf().set(ConvgradConf.TEST_FAIL_COMMIT.key(), "true");
    try {
      CommitFailedException e = assertThrows(CommitFailedException.class, () -> f.job("out").build().run(spark));
      assertTrue(e.getMessage().contains("could not be committed: injected failure"), e.getMessage());
      assertEquals(org.convgrad.cli.ErrorLine.FAILED, org.convgrad.cli.ErrorLine.exitCode(e), "a failed run, not a rejected input");
      assertTrue(org.convgrad.cli.ErrorLine.of(e).startsWith("Error: the job's tasks ended, but its output "),
          org.convgrad.cli.ErrorLine.of(e));
      assertFalse(Files.exists(dir.resolve("out")), "nothing of the job is left");
    } finally {
      spark.conf().set(ConvgradConf.TEST_FAIL_COMMIT.key(), "false");
    }
  }

  @Test
  void aFailedAssemblyNeverRemovesTheCommittedOutput(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    Files.writeString(dir.resolve("out.npy"), "an older result, kept when the new one cannot be written");
    spark.conf().set(ConvgradConf.TEST_FAIL_ASSEMBLY.key(), "true");
    AssemblyException e = assertThrows(AssemblyException.class, () -> f.job("out").build().run(spark));
    assertTrue(e.getMessage().contains("is complete and committed") && e.getMessage().contains("injected failure"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("the file already at " + dir.resolve("out.npy")
        + " is as it was, and is not this job's result"), "never 'nothing was left': " + e.getMessage());
    f.assertCommitted("out");
    assertEquals("an older result, kept when the new one cannot be written", Files.readString(dir.resolve("out.npy")));
  }

  private static String listing(Path p) {
    try (var walk = Files.walk(p)) {
      return walk.map(Path::toString).toList().toString();
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  @Test
  void outputThatExistsIsRefused(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    Files.createDirectories(dir.resolve("out"));
    Files.writeString(dir.resolve("out").resolve("x"), "x");
    assertThrows(DatasetException.class, () -> f.job("out").build().run(spark));
    assertEquals(List.of(dir.resolve("out").resolve("x")), Files.list(dir.resolve("out")).toList());
  }
}
