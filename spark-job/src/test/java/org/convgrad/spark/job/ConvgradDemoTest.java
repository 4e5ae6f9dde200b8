package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.convgrad.io.OutputRefusedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's directory: it removes what its own runs wrote there, a killed job's attempts included, and nothing else. */
class ConvgradDemoTest {
  @TempDir Path dir;

  @Test
  void aKilledJobsAttemptsAreTheDemosAndAUsersFileBesideThemIsNot() throws Exception {
    ConvgradDemo.claim(dir); // new: marked
    Path attempts = Files.createDirectories(dir.resolve("dx/_temporary/job-0a1b2c3d"));
    Files.writeString(attempts.resolve("part-00003.arrow.attempt-0-tid17"), "a killed task's part");
    Files.writeString(attempts.resolve("manifest.json.tmp"), "{");
    Files.writeString(dir.resolve("dx/part-00000.arrow"), "a part");
    // A run stopped mid-write also leaves its files' temporary names.
    Files.writeString(dir.resolve(".dx.npy.convgrad-job-0a1b2c3d.tmp"), "half an assembly");
    Files.writeString(dir.resolve(".filter.npy.8812345.tmp"), "half a filter");
    Files.writeString(Files.createDirectories(dir.resolve("out_backprop")).resolve(".dy-00.arrow.1234567.tmp"), "half");
    ConvgradDemo.claim(dir);
    assertFalse(Files.exists(dir.resolve(".dx.npy.convgrad-job-0a1b2c3d.tmp")));
    assertFalse(Files.exists(dir.resolve("out_backprop/.dy-00.arrow.1234567.tmp")));
    assertFalse(Files.exists(dir.resolve("dx/_temporary")), "the demo's own leftovers go");
    assertFalse(Files.exists(dir.resolve("dx/part-00000.arrow")));

    Path mine = Files.createDirectories(dir.resolve("dx/_temporary/mine")).resolve("notes.txt");
    Files.writeString(mine, "a user's notes");
    OutputRefusedException e = assertThrows(OutputRefusedException.class, () -> ConvgradDemo.claim(dir));
    assertTrue(e.getMessage().contains("holds files the demo did not write"), e.getMessage());
    assertTrue(Files.exists(mine), "never removed");
  }
}
