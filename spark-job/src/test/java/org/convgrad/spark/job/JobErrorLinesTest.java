package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.convgrad.cli.ErrorLine;
import org.convgrad.io.OutputWriteException;
import org.junit.jupiter.api.Test;

/**
 * The lines of a job's own failures say what of the job is left, whatever failed beneath them; a
 * storage failure of an output is named as such wherever a library wrapped it.
 */
class JobErrorLinesTest {
  private static final OutputWriteException FULL =
      new OutputWriteException(Path.of("/data/.dx.npy.1.tmp"), new IOException("No space left on device"));

  @Test
  void anAssemblyTheDiskFailedStillSaysTheJobsOutputIsCommitted() {
    AssemblyException e = new AssemblyException("/data/out", "/data/dx.npy", false, FULL);
    assertEquals(ErrorLine.FAILED, ErrorLine.exitCode(e));
    assertTrue(ErrorLine.of(e).startsWith("Error: the job's output /data/out is complete and committed"), ErrorLine.of(e));
    CommitFailedException c = new CommitFailedException("/data/out", FULL);
    assertTrue(ErrorLine.of(c).startsWith("Error: the job's tasks ended, but its output "), ErrorLine.of(c));
  }

  @Test
  void aStorageFailureInsideAnotherLibrarysExceptionIsNamedAndAnyCauseChainEnds() {
    RuntimeException arrow = new RuntimeException("write failed", FULL);
    assertEquals(ErrorLine.FAILED, ErrorLine.exitCode(arrow));
    assertEquals("Error: " + FULL.getMessage(), ErrorLine.of(arrow));
    RuntimeException a = new RuntimeException("a");
    RuntimeException b = new RuntimeException("b", a);
    a.initCause(b); // a cycle, which Throwable allows
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> ErrorLine.of(a));
  }
}
