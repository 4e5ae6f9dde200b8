package org.convgrad.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An output that the storage failed while it was written (a full disk, a file-size limit, an I/O
 * error): not the user's input at fault, and nothing of it kept, since {@link AtomicFile} writes
 * under a temporary name. The message names the output, the storage's reason and what is left.
 */
public final class OutputWriteException extends IOException {
  private static final long serialVersionUID = 1L;

  public OutputWriteException(Path target, IOException cause) {
    super(target + ": could not be written: " + reason(cause) + "; nothing of it was kept (a file already there is as"
        + " it was)", cause);
  }

  private static String reason(IOException e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
