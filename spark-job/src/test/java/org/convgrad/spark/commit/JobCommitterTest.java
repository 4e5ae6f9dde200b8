package org.convgrad.spark.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.convgrad.spark.task.TaskCommit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commit is one step: an abort comes before it (and it then fails) or after it (and does nothing). */
class JobCommitterTest {
  @TempDir Path dir;

  private JobCommitter setUp(String name) throws IOException {
    JobCommitter c = new JobCommitter(dir.resolve(name).toString(), new Configuration(), "job-0a1b2c3d");
    c.setupJob();
    return c;
  }

  private static TaskCommit attempt(JobCommitter c) throws IOException {
    TaskCommit t = new TaskCommit();
    t.shard = 0;
    t.samples = 1;
    t.attemptPath = JobCommitter.attemptPath(c.attemptDir().toString(), 0, 0, 7);
    Path file = Path.of(new org.apache.hadoop.fs.Path(t.attemptPath).toUri());
    Files.writeString(file, "a part");
    t.bytes = Files.size(file);
    return t;
  }

  @Test
  void anAbortAfterTheCommitLeavesTheOutputAndACommitAfterAnAbortFails() throws IOException {
    JobCommitter done = setUp("done");
    done.commit(List.of(attempt(done)), 1, 1, new Manifest());
    done.abortJob(); // a shutdown hook that comes too late
    assertTrue(Files.exists(dir.resolve("done/_SUCCESS")) && Files.exists(dir.resolve("done/part-00000.arrow")));

    JobCommitter stopped = setUp("stopped");
    TaskCommit t = attempt(stopped);
    stopped.abortJob(); // the hook came first
    IOException e = assertThrows(IOException.class, () -> stopped.commit(List.of(t), 1, 1, new Manifest()));
    assertTrue(e.getMessage().startsWith("the job was aborted"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("stopped")), "nothing of it is left");
    assertEquals(List.of("done"), Files.list(dir).map(p -> p.getFileName().toString()).toList());
  }
}
