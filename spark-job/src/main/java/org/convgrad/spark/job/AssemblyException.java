package org.convgrad.spark.job;

/**
 * The job's output is committed (parts, {@code manifest.json}, {@code _SUCCESS}) and stays, but
 * the assembled file could not be written: nothing of it was left under its name, and a file that
 * was there before is as it was, which the message says, since it is not this job's result.
 */
public final class AssemblyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  AssemblyException(String output, String target, boolean existed, Throwable cause) {
    super("the job's output " + output + " is complete and committed (manifest.json, _SUCCESS), but --assemble "
        + target + " could not be written: " + firstLine(cause) + (existed
            ? "; the file already at " + target + " is as it was, and is not this job's result"
            : "; nothing was left at " + target), cause);
  }

  private static String firstLine(Throwable t) {
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
