package org.convgrad.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java, Kotlin and Scala block of the READMEs is taken from code that runs: its lines
 * appear, in order and one after the other, in a test source (Java, Kotlin) or in a paragraph of
 * a note (Scala), so that a README example cannot drift from what the tests run.
 */
class ReadmeExamplesTest {
  private static final Path ROOT = Launcher.ROOT;
  private static final Pattern BLOCK = Pattern.compile("```(java|kotlin|scala)\\n(.*?)```", Pattern.DOTALL);

  @Test
  void everyCodeBlockOfTheReadmesComesFromATestOrANote() throws IOException {
    List<List<String>> sources = new ArrayList<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      for (Path f : files.filter(p -> p.toString().contains("/src/test/")
          && (p.toString().endsWith(".java") || p.toString().endsWith(".kt"))
          && !p.toString().contains("/target/")).toList()) {
        sources.add(normalized(Files.readString(f)));
      }
    }
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> notes = Files.list(ROOT.resolve("notebooks"))) {
      for (Path n : notes.filter(p -> p.toString().endsWith(".zpln")).toList()) {
        for (JsonNode p : json.readTree(n.toFile()).path("paragraphs")) {
          sources.add(normalized(p.path("text").asText()));
        }
      }
    }
    int blocks = 0;
    for (Path readme : List.of(ROOT.resolve("README.md"), ROOT.resolve("engine/README.md"),
        ROOT.resolve("spark-job/README.md"), ROOT.resolve("notebooks/README.md"))) {
      if (!Files.exists(readme)) {
        continue;
      }
      Matcher m = BLOCK.matcher(Files.readString(readme));
      while (m.find()) {
        List<String> block = normalized(m.group(2));
        assertFalse(block.isEmpty());
        assertTrue(sources.stream().anyMatch(s -> containsRun(s, block)),
            ROOT.relativize(readme) + ": this " + m.group(1) + " block is in no test or note:\n" + m.group(2));
        blocks++;
      }
    }
    assertTrue(blocks >= 5, "the READMEs show Java, Kotlin and Scala examples: " + blocks + " blocks found");
  }

  /** The lines, trimmed, without blank lines. */
  private static List<String> normalized(String text) {
    List<String> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        out.add(line.strip());
      }
    }
    return out;
  }

  private static boolean containsRun(List<String> haystack, List<String> run) {
    outer:
    for (int i = 0; i + run.size() <= haystack.size(); i++) {
      for (int j = 0; j < run.size(); j++) {
        if (!haystack.get(i + j).equals(run.get(j))) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
