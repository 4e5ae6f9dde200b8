package org.convgrad.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;

/** A tensor read from, or written to, a file whose format its extension names. */
final class OperandFile {
  private final Tensor tensor;

  private OperandFile(Tensor tensor) {
    this.tensor = tensor;
  }

  Tensor tensor() {
    return tensor;
  }

  /**
   * Reads {@code file}, given on the command line as {@code option}.
   *
   * @throws IOException naming the file when it is missing, unreadable or corrupt
   */
  static OperandFile read(Path file, String option) throws IOException {
    Format format = Format.of(file, option);
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file + " (" + option + ")");
    }
    switch (format) {
      default:
        return new OperandFile(Npy.read(file));
    }
  }

  /** Writes {@code result} atomically; columns other than the tensor's come from {@code source}. */
  static void write(Path file, Tensor result, DataFormat layout, OperandFile source) throws IOException {
    switch (Format.of(file, "--output")) {
      default:
        Npy.write(file, result);
    }
  }

  private enum Format {
    NPY;

    static Format of(Path file, String option) {
      String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
      if (name.endsWith(".npy")) {
        return NPY;
      }
      throw new InvalidArgumentException(
          option + " " + file + ": unknown file type; expected a .npy file");
    }
  }
}
