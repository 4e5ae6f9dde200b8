package org.convgrad.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file under a temporary name in the target's directory, forces it to disk and renames
 * it onto the target atomically, so that the final name holds either the old file or the whole
 * new one, never a partial file. On failure the temporary file is deleted.
 */
public final class AtomicFile {
  /** What writes the file's content. */
  @FunctionalInterface
  public interface Body {
    void write(FileChannel channel) throws IOException;
  }

  private AtomicFile() {}

  /** Writes {@code target} through {@code body}, atomically (see the class comment). */
  public static void write(Path target, Body body) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir == null) {
      throw new IOException(target + ": cannot write a file without a parent directory");
    }
    if (Files.isDirectory(absolute)) {
      throw new IOException(target + ": is a directory");
    }
    Path tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
    boolean done = false;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        body.write(ch);
        ch.force(true);
      }
      try {
        Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(target + ": the file system cannot rename atomically", e);
      }
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }
}
