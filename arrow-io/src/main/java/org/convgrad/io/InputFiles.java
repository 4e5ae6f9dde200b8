package org.convgrad.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * What convgrad reads from a local path: a regular file. A FIFO, a device or a directory is
 * refused with one line saying what it is, rather than read as an empty or endless file.
 */
public final class InputFiles {
  private InputFiles() {}

  /**
   * @throws NoSuchFileException when nothing is at {@code file}
   * @throws IOException naming the file and what it is, when it is not a regular file
   */
  public static void requireRegularFile(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is not a regular file (" + kind(file) + "); convgrad reads .npy and .arrow files");
    }
  }

  /** {@code file} opened for reading, once {@link #requireRegularFile} has accepted it. */
  public static FileChannel open(Path file) throws IOException {
    requireRegularFile(file);
    return FileChannel.open(file, java.nio.file.StandardOpenOption.READ);
  }

  /** What {@code p} is, in words: a directory, a FIFO, a device... */
  static String kind(Path p) {
    if (Files.isDirectory(p)) {
      return "a directory";
    }
    try {
      Object type = Files.getAttribute(p, "unix:mode");
      int mode = type instanceof Integer ? (Integer) type : 0;
      switch (mode & 0170000) {
        case 0010000:
          return "a FIFO";
        case 0020000:
          return "a character device";
        case 0060000:
          return "a block device";
        case 0140000:
          return "a socket";
        default:
          return "a special file";
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "not a regular file";
    }
  }
}
