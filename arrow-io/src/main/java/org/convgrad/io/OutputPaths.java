package org.convgrad.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The rules every output of convgrad follows, checked on local paths before any work starts:
 *
 * <ul>
 *   <li>an output is never one of the inputs, however either path is spelled (relative, through
 *       {@code ..} or symbolic links, a hard link to the same file);
 *   <li>an output directory never is, holds or lies inside an input; a file output never lies
 *       inside an input that is a directory (a dataset: the file would replace one of its files or
 *       join it), nor inside an output directory of the same run;
 *   <li>an output file is not a directory, a FIFO or a device, and its directory exists;
 *   <li>an output is never a symbolic link: convgrad neither writes through a link (which would
 *       change a file the user did not name) nor replaces it; name the file itself.
 * </ul>
 *
 * An existing regular file named as an output is replaced (atomically: see {@link AtomicFile}).
 */
public final class OutputPaths {
  private OutputPaths() {}

  /**
   * Checks {@code output}, a file to be written, against the run's {@code inputs} (option name to
   * path; null paths are skipped).
   *
   * @throws OutputRefusedException naming {@code option}, the path and the rule
   */
  public static void checkFile(String option, Path output, Map<String, @Nullable Path> inputs) throws IOException {
    String what = option + " " + output;
    checkNotLink(what, output);
    if (Files.isDirectory(output)) {
      throw new OutputRefusedException(what + " is a directory; name the file to write");
    }
    if (Files.exists(output) && !Files.isRegularFile(output)) {
      throw new OutputRefusedException(what + " is not a regular file (" + InputFiles.kind(output)
          + "); name a new or regular file");
    }
    Path parent = output.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new OutputRefusedException("the directory of " + what + " does not exist");
    }
    if (!Files.isWritable(parent)) {
      throw new OutputRefusedException(what + ": its directory " + parent + " is not writable");
    }
    if (readOnly(output)) {
      throw new OutputRefusedException(what + " is read-only: convgrad does not replace a file you may not"
          + " write or its owner protected (NumPy's save does not either): make it writable, or choose another " + option);
    }
    for (Map.Entry<String, @Nullable Path> in : inputs.entrySet()) {
      Path input = in.getValue();
      if (input != null && sameFile(output, input)) {
        throw new OutputRefusedException(what + " is the same file as " + in.getKey() + " " + input
            + "; convgrad never overwrites an input: choose another " + option);
      }
      if (input != null && Files.isDirectory(input) && canonical(output).startsWith(resolved(input))) {
        throw new OutputRefusedException(what + " lies inside " + in.getKey() + " " + input
            + ", a directory convgrad reads; choose a file outside it");
      }
      if (input != null && Files.isDirectory(input) && Files.exists(output)) {
        // A dataset directory may hold links to files elsewhere, or hard links: each is read.
        try (DirectoryStream<Path> files = Files.newDirectoryStream(input)) {
          for (Path f : files) {
            if (Files.isRegularFile(f) && sameFile(output, f)) {
              throw new OutputRefusedException(what + " is the same file as " + f + ", which " + in.getKey() + " "
                  + input + " holds; convgrad never overwrites an input: choose another " + option);
            }
          }
        }
      }
    }
  }

  /**
   * Checks {@code output}, a directory to be created or filled, against {@code inputs}.
   *
   * @throws OutputRefusedException naming {@code option}, the path and the rule
   */
  public static void checkDirectory(String option, Path output, Map<String, @Nullable Path> inputs)
      throws IOException {
    String what = option + " " + output;
    checkNotLink(what, output);
    Path dir = canonical(output);
    for (Map.Entry<String, @Nullable Path> in : inputs.entrySet()) {
      if (in.getValue() == null) {
        continue;
      }
      Path input = resolved(in.getValue());
      String named = in.getKey() + " " + in.getValue();
      if (input.equals(dir)) {
        throw new OutputRefusedException(what + " is " + named + "; convgrad never writes into an input: choose a new"
            + " directory");
      }
      if (input.startsWith(dir)) {
        throw new OutputRefusedException(what + " holds " + named + "; choose a new directory for the output");
      }
      if (dir.startsWith(input)) {
        throw new OutputRefusedException(what + " lies inside " + named + "; choose a directory outside it");
      }
    }
  }

  /** Refuses a file output {@code file} that lies inside the output directory {@code dir} of the same run. */
  public static void checkOutside(String option, Path file, String dirOption, Path dir) throws IOException {
    if (canonical(file).startsWith(canonical(dir))) {
      throw new OutputRefusedException(option + " " + file + " lies inside " + dirOption + " " + dir
          + ", which the run writes and owns; choose a file outside it");
    }
  }

  /**
   * Whether {@code file} exists and this user may not write it (a colleague's file), or its owner
   * may not (root may write it, but a user who made it read-only meant it).
   */
  static boolean readOnly(Path file) throws IOException {
    if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    if (!Files.isWritable(file)) {
      return true;
    }
    return file.getFileSystem().supportedFileAttributeViews().contains("posix")
        && !Files.getPosixFilePermissions(file).contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
  }

  private static void checkNotLink(String what, Path output) throws IOException {
    if (Files.isSymbolicLink(output)) {
      throw new OutputRefusedException(what + " is a symbolic link (to " + Files.readSymbolicLink(output)
          + "); convgrad does not write through or over links: name the file itself, or remove the link");
    }
  }

  /** Whether two paths name the same file: by inode when both exist, else by canonical path. */
  static boolean sameFile(Path a, Path b) throws IOException {
    if (Files.exists(a) && Files.exists(b)) {
      return Files.isSameFile(a, b);
    }
    return canonical(a).equals(canonical(b));
  }

  /** An input's path with every link resolved, its own name too: an input named through a link is what the link names. */
  private static Path resolved(Path input) throws IOException {
    return Files.exists(input) ? input.toRealPath() : canonical(input);
  }

  /**
   * The absolute path with every symbolic link and {@code ..} of its existing part resolved (the
   * way the operating system would resolve it), followed by the names that do not exist yet. A
   * last name that is a link stays as it is (the link is what was named); a directory on the way
   * that is a link is resolved, as the operating system resolves it.
   */
  public static Path canonical(Path p) throws IOException {
    Path abs = p.toAbsolutePath();
    if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(abs)) {
      return abs.toRealPath();
    }
    Path parent = abs.getParent();
    if (parent == null) {
      return abs.normalize();
    }
    Path dir = Files.exists(parent) ? parent.toRealPath() : canonical(parent);
    Path name = abs.getFileName();
    if (name.toString().equals("..")) {
      Path up = dir.getParent();
      return up == null ? dir : up;
    }
    return name.toString().equals(".") ? dir : dir.resolve(name);
  }
}
