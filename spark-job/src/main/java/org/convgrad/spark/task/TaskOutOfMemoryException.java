package org.convgrad.spark.task;

/**
 * An OutOfMemoryError in a convgrad task, thrown on as an ordinary task failure: Spark takes an
 * Error for the end of the JVM and stops it (the driver's, on a local master), but retries a failed
 * task, which may fit in another attempt (the executor's heap is shared among its tasks). Its
 * message is the job's one line ({@link org.convgrad.cli.ErrorLine#outOfMemoryInTask}). The error
 * is not its cause, since Spark looks for a fatal error down the causes too
 * ({@code spark.executor.killOnFatalError.depth}): whoever catches it logs the error.
 */
public final class TaskOutOfMemoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TaskOutOfMemoryException(String line) {
    super(line);
  }
}
