package org.convgrad.spark.task;

import org.convgrad.cli.ErrorLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OutOfMemoryError in a convgrad task, thrown on as an ordinary task failure: Spark takes an
 * Error for the end of the JVM and stops it (the driver's, on a local master), but retries a failed
 * task, which may fit in another attempt (the executor's heap is shared among its tasks). Its
 * message is the job's one line ({@link org.convgrad.cli.ErrorLine#outOfMemoryInTask}). The error
 * is not its cause, since Spark looks for a fatal error down the causes too
 * ({@code spark.executor.killOnFatalError.depth}): {@link #of} logs the error.
 */
public final class TaskOutOfMemoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(TaskOutOfMemoryException.class);

  private TaskOutOfMemoryException(String line) {
    super(line);
  }

  /** The exception that fails the task in which {@code e} was thrown, once {@code e} is logged with its stack. */
  public static TaskOutOfMemoryException of(OutOfMemoryError e) {
    String line = ErrorLine.outOfMemoryInTask(e);
    LOG.warn("convgrad task: {}", line, e);
    return new TaskOutOfMemoryException(line);
  }

  /** Throws the OutOfMemoryError that {@code spark.convgrad.test.outOfMemory} asks {@code job}'s tasks for. */
  public static void injectFor(JobSpec job) {
    if (job.testOutOfMemory) {
      throw new OutOfMemoryError("Java heap space (injected: spark.convgrad.test.outOfMemory)");
    }
  }
}
