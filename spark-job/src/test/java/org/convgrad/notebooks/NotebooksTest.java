package org.convgrad.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.convgrad.spark.testing.SparkTest;
import org.junit.jupiter.api.Test;

/**
 * The Zeppelin notes in {@code notebooks/}: each is a note as Zeppelin 0.12.1 writes it, and each
 * runs, every {@code %spark} paragraph in order, in a Scala REPL as Zeppelin's Spark interpreter
 * runs it, on {@code local[2]}, showing what its text says it shows. (NotebooksClusterTest runs
 * them again with executors in JVMs of their own.)
 */
@SparkTest(conf = {"spark.repl.class.outputDir=" + Notes.REPL_CLASSES})
class NotebooksTest {
  /** The interpreters of Zeppelin 0.12.1's spark group, and markdown; %spark.kotlin is gone since 0.11. */
  private static final Set<String> ZEPPELIN_INTERPRETERS = Set.of("md", "spark", "spark.conf", "spark.sql",
      "spark.pyspark", "spark.ipyspark", "spark.r", "spark.ir", "spark.shiny");

  @Test
  void everyNoteHasTheFieldsOfAZeppelinNote() throws Exception {
    Set<String> noteIds = new HashSet<>();
    Set<String> paragraphIds = new HashSet<>();
    for (Notes.Note n : Notes.all()) {
      JsonNode j = n.json();
      String where = n.file().getFileName().toString();
      for (String field : List.of("paragraphs", "name", "id", "defaultInterpreterGroup", "version", "config", "info",
          "noteParams", "noteForms", "angularObjects")) {
        assertTrue(j.has(field), where + " has " + field);
      }
      assertEquals("spark", j.path("defaultInterpreterGroup").asText(), where);
      assertTrue(j.path("id").asText().matches("[A-Z0-9]{9}"), where + ": a Zeppelin note id");
      assertEquals(n.name() + "_" + j.path("id").asText() + ".zpln", where, "Zeppelin's file name: Title_NOTEID.zpln");
      assertTrue(noteIds.add(j.path("id").asText()), "note ids are unique");
      String first = null;
      for (JsonNode p : j.path("paragraphs")) {
        for (String field : List.of("id", "title", "text", "config", "settings", "status")) {
          assertTrue(p.has(field), where + ": paragraph has " + field + ": " + p);
        }
        assertTrue(paragraphIds.add(p.path("id").asText()), "paragraph ids are unique across notes");
        JsonNode config = p.path("config");
        assertTrue(config.path("editorMode").asText().startsWith("ace/mode/") && config.has("colWidth"), where);
        assertFalse(p.path("title").asText().isBlank(), where + ": every paragraph has a title");
        Notes.Paragraph para = new Notes.Paragraph(p.path("id").asText(), p.path("title").asText(),
            p.path("text").asText());
        assertTrue(ZEPPELIN_INTERPRETERS.contains(para.interpreter()), where + ": %" + para.interpreter());
        String mode = Map.of("md", "ace/mode/markdown", "spark", "ace/mode/scala", "spark.conf", "ace/mode/text")
            .getOrDefault(para.interpreter(), "");
        assertEquals(mode, config.path("editorMode").asText(), where + ": " + para.title());
        if (!para.interpreter().equals("md") && first == null) {
          first = para.interpreter();
        }
      }
      assertEquals("spark.conf", first, where + ": %spark.conf comes before the first code paragraph");
    }
  }

  @Test
  void everyNoteRunsAndShowsWhatItSays(SparkSession spark) throws Exception {
    String expected = System.getProperty("convgrad.test.expectedSparkVersion");
    if (expected != null) {
      assertEquals(expected, spark.version(), "the Spark these tests are meant to run on");
    }
    for (Notes.Note n : Notes.all()) {
      Notes.run(n, spark, Map.of());
    }
  }
}
