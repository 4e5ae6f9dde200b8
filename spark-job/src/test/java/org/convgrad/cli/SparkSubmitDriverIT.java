package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
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
  void aMasterFromConfOrAPropertiesFileIsKeptAndLocalStarOnlyWhenNoneIsNamed() throws Exception {
    // spark-submit --verbose prints the master it took; before, local[*] was forced over these.
    Path props = Files.writeString(dir.resolve("cluster.conf"), "spark.master local[1]\n");
    for (String[] args : new String[][] {{"--properties-file", props.toString()}, {"--conf", "spark.master=local[1]"},
        {"--master", "local[1]", "--conf", "spark.master=local[2]"}}) {
      List<String> all = new java.util.ArrayList<>(List.of(args));
      all.addAll(List.of("--verbose", "--help"));
      Launcher.Run r = submit(Map.of(), all.toArray(new String[0]));
      assertEquals(0, r.exit(), r.err());
      assertTrue(java.util.regex.Pattern.compile("(?m)^\\s*master\\s+local\\[1\\]$").matcher(r.out() + r.err()).find(),
          List.of(args) + ": " + r.out() + r.err());
    }
    Launcher.Run none = submit(Map.of(), "--verbose", "--help");
    assertTrue(java.util.regex.Pattern.compile("(?m)^\\s*master\\s+local\\[\\*\\]$").matcher(none.out() + none.err()).find(),
        none.out() + none.err());
  }

  @Test
  void propertiesFilesGiveTheHeapInSparksOrder() throws Exception {
    Path props = Files.writeString(dir.resolve("p.conf"), "spark.driver.memory 1200m\n");
    Path a = Files.writeString(dir.resolve("a.conf"), "spark.driver.memory 1100m\n");
    Path b = Files.writeString(dir.resolve("b.conf"), "spark.driver.memory=1000m\n");
    assertEquals(1100L << 20, maxHeap(submit(Map.of(), "--driver-java-options", SHOW, "--properties-file",
        props.toString(), "--extra-properties-file", a.toString(), "--help")), "an extra file over the properties file");
    assertEquals(1000L << 20, maxHeap(submit(Map.of(), "--driver-java-options", SHOW, "--properties-file",
        props.toString(), "--extra-properties-file", a.toString(), "--extra-properties-file", b.toString(), "--help")),
        "the last extra file over the others");

    // A layout whose conf/spark-defaults.conf sets the heap: a properties file replaces it, unless
    // --load-spark-defaults adds it back below the file.
    Path root = Files.createDirectories(dir.resolve("root"));
    Files.createSymbolicLink(root.resolve("bin"), Launcher.ROOT.resolve("bin"));
    Files.createSymbolicLink(root.resolve("spark-job"), Launcher.ROOT.resolve("spark-job"));
    Path conf = Files.createDirectories(root.resolve("conf"));
    Files.copy(Launcher.ROOT.resolve("conf/log4j2.properties"), conf.resolve("log4j2.properties"));
    Files.writeString(conf.resolve("spark-defaults.conf"),
        Files.readString(Launcher.ROOT.resolve("conf/spark-defaults.conf")) + "spark.driver.memory 1300m\n");
    Path other = Files.writeString(dir.resolve("other.conf"), "spark.app.name other\n");
    Map<String, String> env = Map.of("CONVGRAD_DRIVER_MEMORY", "1g", "CONVGRAD_JAVA_OPTS", SHOW);
    try {
      assertEquals(1300L << 20, maxHeap(Launcher.run(root, "bin/convgrad-spark-submit", env, "--help")));
      assertEquals(1L << 30, maxHeap(Launcher.run(root, "bin/convgrad-spark-submit", env, "--properties-file",
          other.toString(), "--help")));
      assertEquals(1300L << 20, maxHeap(Launcher.run(root, "bin/convgrad-spark-submit", env, "--properties-file",
          other.toString(), "--load-spark-defaults", "--help")));
    } finally { // the links, not what they point to, before JUnit's cleanup warns about them
      Files.delete(root.resolve("bin"));
      Files.delete(root.resolve("spark-job"));
    }
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
