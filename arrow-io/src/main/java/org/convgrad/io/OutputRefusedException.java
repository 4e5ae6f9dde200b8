package org.convgrad.io;

import java.io.IOException;

/**
 * An output path refused before any work, because writing it could destroy a user's data: it is
 * one of the inputs, holds or lies inside one, is a directory where a file is meant, or is a
 * symbolic link. The message names the option, the path and what to do instead.
 */
public final class OutputRefusedException extends IOException {
  private static final long serialVersionUID = 1L;

  public OutputRefusedException(String message) {
    super(message);
  }
}
