package org.convgrad.spark.job;

/**
 * The job's tasks ended, but its output could not be committed (a rename or the manifest failed on
 * the storage): nothing of the job was left in the output. A failed run (exit 1), not an input the
 * user should change (exit 2), though the storage's {@link java.io.IOException} caused it.
 */
public final class CommitFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CommitFailedException(String output, Throwable cause) {
    super("the job's tasks ended, but its output " + output + " could not be committed: "
        + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage().lines().findFirst().orElse(""))
        + "; nothing of the job was left there", cause);
  }
}
