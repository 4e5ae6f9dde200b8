package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.convgrad.cli.ErrorLine;
import org.convgrad.engine.BackpropInputOp;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.Padding;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;
import org.convgrad.spark.testing.JobFixture;
import org.convgrad.spark.testing.SparkTest;
import org.convgrad.spark.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job as typed Java code: the README's Java examples, and the command line is no more than a shell over it. */
@SparkTest
class JobApiTest {
  @TempDir Path dir;

  @Test
  void aJobBuiltInCodeGivesTheCommandLinesBits(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    String data = f.dataset.toString();
    String filterFile = f.filterFile.toString();
    String out = dir.resolve("dx").toString();
    String dxNpy = dir.resolve("dx.npy").toString();
    // README: the job API
    JobResult r = ConvgradJob.builder()
        .op(o -> o.inputSizes(11, 11).strides(2).padding(Padding.SAME))
        .outBackprop(data)
        .filter(filterFile)
        .output(out)
        .assemble(dxNpy)
        .samplesPerTask(4)
        .build()
        .run(spark);
    System.out.println(r.summary());
    // end README
    assertArrayEquals(Files.readAllBytes(f.expectedNpy()), Files.readAllBytes(dir.resolve("dx.npy")));
    assertEquals(12, r.samples());
    assertEquals(4, r.parts().size(), "files of 5, 3 and 4 samples: shards never span files");
    assertEquals(r.parts().size(), r.manifest().parts.size());
    assertTrue(r.samplesPerSecond() > 0 && r.gflops() > 0 && r.engine().startsWith("cpu ("), r.summary());
    List<JobResult.ExecutorFigures> executors = r.perExecutor();
    assertEquals(1, executors.size(), "local[2]: the driver is the one executor");
    assertEquals(12, executors.get(0).samples());
    assertEquals(4, executors.get(0).tasks());
  }

  @Test
  void aFilterTensorInMemoryGivesTheSameBitsAsItsFile(SparkSession spark) throws Exception {
    JobFixture f = new JobFixture(dir, DataFormat.NCHW, DType.FLOAT64);
    Tensor filter = Npy.read(f.filterFile);
    BackpropInputOp op = BackpropInputOp.of(o -> o.inputSizes(11, 11).strides(2).padding(Padding.SAME)
        .dataFormat(DataFormat.NCHW));
    ConvgradJob.of(b -> b.op(op).outBackprop(f.dataset.toString()).filter(filter)
        .output(dir.resolve("out").toString()).assemble(dir.resolve("out.npy").toString())).run(spark);
    f.assertCommitted("out");
    f.assertAssembledNpy("out");
    // The filter as a view into a larger array (LargeTensor.view gives such): its own elements travel.
    double[] larger = new double[filter.size() + 7];
    System.arraycopy(filter.float64Data(), 0, larger, 5, filter.size());
    Tensor view = Tensor.view(DType.FLOAT64, filter.shape(), larger, 5);
    ConvgradJob.of(b -> b.op(op).outBackprop(f.dataset.toString()).filter(view)
        .output(dir.resolve("out-view").toString()).assemble(dir.resolve("out-view.npy").toString())).run(spark);
    assertArrayEquals(Files.readAllBytes(dir.resolve("out.npy")), Files.readAllBytes(dir.resolve("out-view.npy")));
  }

  @Test
  void aNullSettingIsRefusedWhereItIsGivenNamingIt() {
    ConvgradJob.Builder b = ConvgradJob.builder();
    String[] named = {
      assertThrows(NullPointerException.class, () -> b.outBackprop(null)).getMessage(),
      assertThrows(NullPointerException.class, () -> b.output(null)).getMessage(),
      assertThrows(NullPointerException.class, () -> b.filter((String) null)).getMessage(),
      assertThrows(NullPointerException.class, () -> b.filter((Tensor) null)).getMessage(),
      assertThrows(NullPointerException.class, () -> b.engine(null)).getMessage(),
      assertThrows(NullPointerException.class, () -> b.op((BackpropInputOp) null)).getMessage(),
    };
    assertEquals(List.of("outBackprop", "output", "filter", "filter", "engine", "op"), List.of(named));
  }

  @Test
  void theCommandLineAndTheApiFailWithTheSameLineBeforeAnyTask(SparkSession spark) throws Exception {
    Path dy = TestData.npy(dir.resolve("dy.npy"), TestData.random(DType.FLOAT32, 1, 4, 6, 6, 3));
    Path w = TestData.npy(dir.resolve("w.npy"), TestData.random(DType.FLOAT32, 2, 3, 3, 2, 3));
    Path w3 = TestData.npy(dir.resolve("w3.npy"), TestData.random(DType.FLOAT32, 2, 3, 3, 3));
    String out = dir.resolve("out").toString();
    String[][] cases = {
      {dy.toString(), w.toString(), "2"}, // stride 2: out_backprop 6x6 does not fit input 6x6 (TensorFlow's message)
      {dir.resolve("missing").toString(), w.toString(), "1"}, // no dataset
      {dy.toString(), dir.resolve("w-missing.npy").toString(), "1"}, // no filter
      {dy.toString(), w3.toString(), "1"}, // a filter that is not 4-D
    };
    for (String[] c : cases) {
      ConvgradJob job = ConvgradJob.builder()
          .op(o -> o.inputSizes(6, 6).strides(Long.parseLong(c[2])).padding(Padding.SAME))
          .outBackprop(c[0]).filter(c[1]).output(out).build();
      Exception api = assertThrows(Exception.class, () -> job.run(spark));
      String line = commandLine("--out-backprop", c[0], "--filter", c[1], "--input-sizes", "6,6", "--strides", c[2],
          "--padding", "SAME", "--output", out);
      assertEquals(ErrorLine.of(api), line, String.join(" ", c));
      assertTrue(!Files.exists(dir.resolve("out")));
    }
  }

  /** What {@code convgrad-spark-submit} prints on standard error for {@code args}, in this JVM. */
  private static String commandLine(String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      assertEquals(2, ConvgradSparkJob.run(args));
    } finally {
      System.setErr(saved);
    }
    return err.toString(StandardCharsets.UTF_8).strip();
  }
}
