package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without SPARK_HOME the driver is {@code bin/convgrad-spark-submit}'s own JVM, and it is started
 * as spark-submit's launcher starts a client-mode driver: with the heap, JVM options, class path
 * and library path that --driver-memory, --driver-java-options, --driver-class-path and
 * --driver-library-path, or their spark.driver.* settings (--conf, a properties file), ask for.
 * Each run prints the job's --help; the JVM reports what it was given (-XshowSettings:properties,
 * -XX:+PrintCommandLineFlags).
 */
class SparkSubmitDriverIT {
  private static final Pattern MAX_HEAP = Pattern.compile("-XX:MaxHeapSize=(\\d+)");
  private static final String SHOW = "-XshowSettings:properties -XX:+PrintCommandLineFlags";

  @TempDir Path dir;

  private static Launcher.Run submit(Map<String, String> env, String... args) throws Exception {
    Map<String, String> e = new HashMap<>(env);
    e.putIfAbsent("CONVGRAD_DRIVER_MEMORY", null);
    return Launcher.run("bin/convgrad-spark-submit", e, args);
  }

  private static long maxHeap(Launcher.Run r) {
    assertEquals(0, r.exit(), r.out() + r.err());
    assertTrue(r.out().contains("--out-backprop"), "the job's help: " + r.out());
    Matcher m = MAX_HEAP.matcher(r.out() + r.err());
    assertTrue(m.find(), "the JVM's flags: " + r.out() + r.err());
    return Long.parseLong(m.group(1));
  }

  @Test
  void theDriversHeapIsTheLastWordOfTheCommandLineElseThePropertiesFileElseTheEnvironment() throws Exception {
    long g = 1L << 30;
    assertEquals(3 * g, maxHeap(submit(Map.of(), "--driver-memory", "3g", "--driver-java-options", SHOW, "--help")));
    assertEquals(1500L << 20, maxHeap(submit(Map.of(), "--driver-memory=3g", "--conf", "spark.driver.memory=1500m",
        "--driver-java-options=" + SHOW, "--help")));
    Path props = Files.writeString(dir.resolve("driver.conf"),
        "spark.driver.memory   1200\nspark.driver.extraJavaOptions = " + SHOW + "\n");
    assertEquals(1200L << 20, maxHeap(submit(Map.of(), "--help", "--properties-file", props.toString())));
    assertEquals(g, maxHeap(submit(Map.of("CONVGRAD_DRIVER_MEMORY", "1g"), "--driver-java-options", SHOW, "--help")));
    assertEquals(2 * g, maxHeap(submit(Map.of(), "--conf", "spark.driver.extraJavaOptions=" + SHOW, "--help")));
  }

  @Test
  void theDriverTakesItsJavaOptionsClassPathAndLibraryPath() throws Exception {
    Launcher.Run r = submit(Map.of(), "--driver-java-options", SHOW + " '-Dconvgrad.it.note=two words'",
        "--driver-class-path", dir.resolve("extra.jar").toString(), "--driver-library-path",
        dir.resolve("native").toString(), "--help");
    maxHeap(r);
    String shown = r.out() + r.err();
    assertTrue(shown.contains("convgrad.it.note = two words"), "a quoted option stays whole: " + shown);
    assertTrue(shown.contains("java.class.path = " + dir.resolve("extra.jar")), "first on the class path: " + shown);
    assertTrue(shown.contains("java.library.path = " + dir.resolve("native")), "first on the library path: " + shown);
  }

  @Test
  void aHeapThatIsNoSizeOrIsSetThroughJavaOptionsIsRefusedInOneLine() throws Exception {
    submit(Map.of(), "--driver-memory", "3x", "--help").assertOneLine(2, "convgrad: driver memory '3x'",
        "expected, for example, 4g");
    submit(Map.of(), "--conf", "spark.driver.extraJavaOptions=-Xmx3g", "--help").assertOneLine(2,
        "convgrad: --driver-java-options", "give the driver's heap as --driver-memory");
  }
}
