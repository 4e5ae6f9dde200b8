package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.spark.testing.JobFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application jar is all a Spark application needs of convgrad: {@code spark-submit --class
 * org.convgrad.spark.job.ConvgradSparkJob convgrad-spark-job-VERSION-app.jar} on a Spark whose
 * class path holds Spark's jars only, as a cluster's does.
 */
class AppJarIT {
  @TempDir Path dir;

  @Test
  void sparkSubmitRunsTheJobFromTheAppJarAlone() throws Exception {
    Path target = Launcher.ROOT.resolve("spark-job/target");
    Path app;
    try (Stream<Path> s = Files.list(target)) {
      app = s.filter(p -> p.getFileName().toString().matches("convgrad-spark-job-.*-app\\.jar")).findFirst()
          .orElseThrow(() -> new AssertionError("no app jar in " + target));
    }
    String sparkOnly;
    try (Stream<Path> s = Files.list(target.resolve("spark-home/jars"))) {
      sparkOnly = s.filter(p -> {
        String n = p.getFileName().toString();
        return !n.startsWith("convgrad-") && !n.startsWith("picocli-") && !n.startsWith("kotlin-");
      }).map(Path::toString).sorted().collect(Collectors.joining(":"));
    }
    JobFixture f = new JobFixture(dir, DataFormat.NHWC, DType.FLOAT32);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(Files.readString(target.resolve("spark-home/jvm.flags")).trim().split("\\s+")));
    command.addAll(List.of("-cp", Launcher.ROOT.resolve("conf") + "/:" + sparkOnly,
        "org.apache.spark.deploy.SparkSubmit", "--master", "local[2]", "--conf", "spark.ui.enabled=false",
        "--class", "org.convgrad.spark.job.ConvgradSparkJob", app.toString(),
        "--out-backprop", f.dataset.toString(), "--filter", f.filterFile.toString(), "--input-sizes", "11,11",
        "--strides", "2", "--padding", "SAME", "--output", dir.resolve("out").toString(),
        "--assemble", dir.resolve("out.npy").toString()));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().remove("SPARK_HOME");
    Path log = dir.resolve("submit.log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "spark-submit did not finish");
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("convgrad: 12 samples"), out);
    f.assertCommitted("out");
    assertArrayEquals(Files.readAllBytes(f.expectedNpy()), Files.readAllBytes(dir.resolve("out.npy")));
  }
}
