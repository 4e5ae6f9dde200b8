package org.convgrad.spark.job;

import java.util.List;
import org.convgrad.spark.task.TaskCommit;

/**
 * A task found input it cannot use (a null sample, a corrupt record batch, a shape that lies):
 * the same one line the command line prints for that input, reported by the task to the driver
 * instead of thrown, so that Spark neither retries a deterministic rejection nor logs its stack
 * traces. The job is aborted and its output removed.
 */
public final class TaskRejectionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String line;

  TaskRejectionException(String line) {
    super(line);
    this.line = line;
  }

  /** The line to print: {@code InvalidArgument: ...} or {@code Error: ...}. */
  public String line() {
    return line;
  }

  /** Throws the rejection of the first shard (in shard order) that reported one. */
  static void throwIfAny(List<TaskCommit> commits) {
    TaskCommit first = null;
    for (TaskCommit c : commits) {
      if (c.rejection != null && (first == null || c.shard < first.shard)) {
        first = c;
      }
    }
    if (first != null) {
      throw new TaskRejectionException(first.rejection);
    }
  }
}
