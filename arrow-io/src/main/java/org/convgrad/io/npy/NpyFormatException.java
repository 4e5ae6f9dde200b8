package org.convgrad.io.npy;

import java.io.IOException;

/** A file that is not a {@code .npy} file convgrad reads; the message names the file and why. */
public final class NpyFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String problem;

  public NpyFormatException(String source, String problem) {
    super(source + ": " + problem);
    this.source = source;
    this.problem = problem;
  }

  /** The file (or stream) that was read. */
  public String source() {
    return source;
  }

  /** What is wrong with it, without the file name. */
  public String problem() {
    return problem;
  }
}
