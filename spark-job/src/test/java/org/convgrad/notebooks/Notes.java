package org.convgrad.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * The notes in {@code notebooks/}, read as Zeppelin reads them, and what each of their {@code
 * %spark} paragraphs must show: the tables, pictures and lines their {@code %md} paragraphs
 * describe. Running a note executes its paragraphs in order in one {@link ZeppelinSparkInterpreter}.
 */
final class Notes {
  static final Path DIR = Path.of(System.getProperty("convgrad.root", "..")).toAbsolutePath().normalize()
      .resolve("notebooks");

  /** Where the REPL writes its classes: the sessions' {@code spark.repl.class.outputDir}. */
  static final String REPL_CLASSES = "target/notebook-repl-classes";

  /** Where a run leaves each table and picture as PNG, for the README. */
  static final Path RENDERS = Path.of("target/notebook-renders");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Per note and paragraph title: what its output must hold (on every master). */
  static final Map<String, Map<String, List<String>>> SHOWS = Map.of(
      "1. Quick start", Map.of(
          "Build the op", List.of("out_backprop samples are [14, 14, 64]"),
          "Checks", List.of("of the largest value: OK", "the identity holds: OK"),
          "Table", List.of("%table kernel\tinput gradient\tfilter\tout_backprop\tseconds\tGFLOP/s", "\nsimd", "\nreference")),
      "2. The distributed job", Map.of(
          "Run the job", List.of("convgrad: 48 samples in", "GFLOP/s, engine cpu"),
          "Manifest", List.of("%table part\tfirst sample\tsamples\tfirst id\tlast id\tbytes\tCRC-32C", "part-00005.arrow\t40\t8\t40\t47"),
          "Throughput per executor", List.of("%table executor\ttasks\tsamples\ttask seconds\tsamples/s\tengine GFLOP/s"),
          "DataFrame", List.of("%table id\tdy values\tdx values\tfirst dx values", "3\t12544\t25088\t"),
          "Read back", List.of("dx.npy: FLOAT32 [48, 28, 28, 32]", "part-2.arrow: bit-identical", "\nOK"),
          "Remove the directory", List.of("files and directories in it, and itself")),
      "3. A picture", Map.of(
          "An image and a filter bank", List.of("input gradient [1, 96, 96, 1]"),
          "Picture", List.of("%html <img src=\"data:image/png;base64,"),
          "Edges against flat regions", List.of("edges dominate: OK")),
      "4. GPU executors", Map.of(
          "Does this cluster offer GPUs?", List.of("the job runs with engine auto"),
          "Run the job", List.of("convgrad: 16 samples in", "engine cpu ("),
          "Per task", List.of("%table shard\texecutor\tdevice\tGPU assigned but not used\tkernel\tseconds", "\tcpu\t"),
          "Remove the directory", List.of("files and directories in it, and itself")));

  record Paragraph(String id, String title, String text) {
    String interpreter() {
      String first = text.strip().split("\\s", 2)[0];
      return first.startsWith("%") ? first.substring(1) : "spark";
    }

    String body() {
      String t = text.strip();
      return t.startsWith("%") ? t.substring(t.indexOf(interpreter()) + interpreter().length()) : t;
    }
  }

  record Note(Path file, JsonNode json, String name, List<Paragraph> paragraphs) {}

  private Notes() {}

  static List<Note> all() throws IOException {
    List<Note> notes = new ArrayList<>();
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".zpln")).sorted().toList()) {
        JsonNode json = JSON.readTree(f.toFile());
        List<Paragraph> ps = new ArrayList<>();
        for (JsonNode p : json.path("paragraphs")) {
          ps.add(new Paragraph(p.path("id").asText(), p.path("title").asText(), p.path("text").asText()));
        }
        notes.add(new Note(f, json, json.path("name").asText(), ps));
      }
    }
    assertEquals(4, notes.size(), "the four notes in " + DIR);
    return notes;
  }

  /**
   * Runs every {@code %spark} paragraph of {@code note} in order and checks what each shows, and that
   * the note removes what it wrote to the temporary directory (users run notes again and again).
   */
  static void run(Note note, SparkSession spark, Map<String, List<String>> alsoShows) throws IOException {
    Set<String> tempBefore = convgradTempEntries();
    Path classes = Path.of(spark.sparkContext().getConf().get("spark.repl.class.outputDir"));
    Files.createDirectories(classes);
    Map<String, List<String>> shows = SHOWS.get(note.name());
    int checked = 0;
    try (ZeppelinSparkInterpreter interpreter = new ZeppelinSparkInterpreter(spark, classes)) {
      for (Paragraph p : note.paragraphs()) {
        if (!p.interpreter().equals("spark")) {
          continue;
        }
        ZeppelinSparkInterpreter.Outcome o = interpreter.run(p.body());
        String where = note.name() + " / " + p.title() + ":\n" + o.output();
        assertTrue(o.succeeded(), o.code() + " in " + where);
        for (String s : shows.getOrDefault(p.title(), List.of())) {
          assertTrue(o.output().contains(s), "'" + s + "' missing from " + where);
          checked++;
        }
        for (String s : alsoShows.getOrDefault(p.title(), List.of())) {
          assertTrue(o.output().contains(s), "'" + s + "' missing from " + where);
        }
        Renders.save(RENDERS.resolve(spark.sparkContext().master().startsWith("local-cluster") ? "cluster" : "local"),
            note.name() + " - " + p.title(), o.output());
      }
    }
    int expected = shows.values().stream().mapToInt(List::size).sum();
    assertEquals(expected, checked, note.name() + ": every expected paragraph ran");
    Set<String> left = new TreeSet<>(convgradTempEntries());
    left.removeAll(tempBefore);
    assertTrue(left.isEmpty(), note.name() + " leaves " + left + " behind in " + TEMP);
  }

  private static final Path TEMP = Path.of(System.getProperty("java.io.tmpdir"));

  /**
   * The entries of the temporary directory the notes make (convgrad-note-*, convgrad-gpu-note-*),
   * not those of other tests or builds that may run beside this one.
   */
  private static Set<String> convgradTempEntries() throws IOException {
    try (Stream<Path> entries = Files.list(TEMP)) {
      return entries.map(e -> e.getFileName().toString()).filter(n -> n.matches("convgrad-(gpu-)?note-.*"))
          .collect(Collectors.toSet());
    }
  }
}
