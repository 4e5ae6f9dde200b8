package org.convgrad.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes a file under a temporary name in the target's directory, forces it to disk and renames
 * it onto the target atomically, so that the final name holds either the old file or the whole
 * new one, never a partial file. On failure the temporary file is deleted, and when the JVM is
 * stopped (Ctrl-C, SIGTERM) every temporary file it was writing is deleted on its way out; one a
 * JVM killed outright left goes when a later writer of the same target finds it a day old. A
 * target that is a symbolic link is refused ({@link OutputPaths} says why).
 */
public final class AtomicFile implements AutoCloseable {
  /** The temporary files this JVM is writing; never a target. */
  private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(AtomicFile::deletePending, "convgrad-atomic-file-cleanup"));
  }

  private static void deletePending() {
    for (Path p : PENDING) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // the JVM is stopping: nothing more can be done for this file
      }
    }
  }

  /** What writes the file's content. */
  @FunctionalInterface
  public interface Body {
    void write(FileChannel channel) throws IOException;
  }

  private final Path target;
  private final Path tmp;
  private final FileChannel channel;
  private boolean finished;

  private AtomicFile(Path target, Path tmp, FileChannel channel) {
    this.target = target;
    this.tmp = tmp;
    this.channel = channel;
  }

  /** Writes {@code target} through {@code body}, atomically (see the class comment). */
  public static void write(Path target, Body body) throws IOException {
    try (AtomicFile f = begin(target)) {
      try {
        body.write(f.channel());
      } catch (IOException e) {
        throw f.failed(e);
      }
      f.commit();
    }
  }

  /**
   * What a writer of this file throws when writing it failed: {@code e}, as an {@link
   * OutputWriteException} that names the target (unless it says so already, or is a refusal).
   */
  public IOException failed(IOException e) {
    // A permission the rename lacks (another user's file in a sticky directory) is a refusal.
    return e instanceof OutputWriteException || e instanceof OutputRefusedException
        || e instanceof java.nio.file.AccessDeniedException ? e : new OutputWriteException(target, e);
  }

  /**
   * Starts writing {@code target}: write to {@link #channel()}, then {@link #commit()}; {@link
   * #close()} without a commit deletes the temporary file and leaves {@code target} as it was.
   */
  public static AtomicFile begin(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir == null) {
      throw new IOException(target + ": cannot write a file without a parent directory");
    }
    if (Files.isSymbolicLink(absolute)) {
      // A rename would replace the link, and writing through it a file nobody named: neither.
      throw new OutputRefusedException(target + " is a symbolic link (to " + Files.readSymbolicLink(absolute)
          + "); convgrad does not write through or over links: name the file itself");
    }
    if (Files.isDirectory(absolute)) {
      throw new IOException(target + ": is a directory");
    }
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "the directory of " + target + " does not exist");
    }
    removeStaleTemporaries(dir, absolute.getFileName().toString());
    // Created without attributes, so that the user's umask sets its permissions as it would for
    // NumPy or any other writer (createTempFile would make it owner-only).
    while (true) {
      Path tmp = temporaryBeside(absolute);
      PENDING.add(tmp);
      try {
        return new AtomicFile(absolute, tmp, FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
      } catch (java.nio.file.FileAlreadyExistsException taken) {
        PENDING.remove(tmp);
      } catch (java.nio.file.AccessDeniedException e) {
        PENDING.remove(tmp);
        throw new java.nio.file.AccessDeniedException(target.toString(), null, "cannot create a file in " + dir);
      } catch (IOException | RuntimeException e) {
        PENDING.remove(tmp);
        throw e;
      }
    }
  }

  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  /** A new temporary name for {@code target}, in its directory: the names {@link #removeStaleTemporaries} knows. */
  private static Path temporaryBeside(Path target) {
    return target.resolveSibling("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong()) + ".tmp");
  }

  /** How long a temporary file goes unwritten before a new writer of its target removes it. */
  static final java.time.Duration STALE = java.time.Duration.ofDays(1);

  /**
   * Removes the temporary files of {@code name} that a writer killed outright (SIGKILL, the kernel's
   * OOM killer) left behind, each as large as the output, once unwritten for {@link #STALE}: names
   * only this class makes, which a live writer writes to more often (each band touches it).
   */
  private static void removeStaleTemporaries(Path dir, String name) {
    java.util.regex.Pattern ours = java.util.regex.Pattern.compile("\\." + java.util.regex.Pattern.quote(name) + "\\.\\d+\\.tmp");
    long before = System.currentTimeMillis() - STALE.toMillis();
    try (java.nio.file.DirectoryStream<Path> files =
        Files.newDirectoryStream(dir, f -> ours.matcher(f.getFileName().toString()).matches())) {
      for (Path f : files) {
        if (!PENDING.contains(f) && Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)
            && Files.getLastModifiedTime(f, java.nio.file.LinkOption.NOFOLLOW_LINKS).toMillis() < before) {
          Files.deleteIfExists(f);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Housekeeping: a directory that cannot be listed or a file that cannot be removed never fails a write.
    }
  }

  /**
   * A file that is replaced keeps its permissions (one the user made private stays private), set
   * once the data is written; a new one has what the umask gives.
   */
  private static void keepPermissions(Path tmp, Path target) throws IOException {
    if (Files.isRegularFile(target) && tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target));
    }
  }

  /**
   * Gives {@code written}, a file another writer made under its own rules (Hadoop's local file system
   * applies its own umask, 022), the permissions it should have when renamed onto {@code target}:
   * those of the file it replaces, else what the user's umask gives a new file (found by creating
   * one), as this class's own files have.
   */
  public static void givePermissions(Path written, Path target) throws IOException {
    if (!written.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    if (Files.isRegularFile(target)) {
      Files.setPosixFilePermissions(written, Files.getPosixFilePermissions(target));
      return;
    }
    Path absolute = target.toAbsolutePath();
    Path probe = temporaryBeside(absolute);
    PENDING.add(probe);
    try {
      Files.createFile(probe);
      Files.setPosixFilePermissions(written, Files.getPosixFilePermissions(probe));
    } finally {
      Files.deleteIfExists(probe);
      PENDING.remove(probe);
    }
  }

  /** The temporary file's channel. */
  public FileChannel channel() {
    return channel;
  }

  /** Forces the data to disk and renames the temporary file onto the target. */
  public void commit() throws IOException {
    if (finished) {
      throw new IllegalStateException(target + ": already committed or aborted");
    }
    try {
      channel.force(true);
      channel.close();
      keepPermissions(tmp, target);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system cannot rename atomically", e);
      }
      PENDING.remove(tmp);
      finished = true;
    } catch (IOException e) {
      throw failed(e);
    } finally {
      if (!finished) {
        abort();
      }
    }
  }

  /** Discards the temporary file; the target is left as it was. Idempotent. */
  public void abort() throws IOException {
    finished = true;
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(tmp);
      PENDING.remove(tmp);
    }
  }

  /** Aborts unless committed. */
  @Override
  public void close() throws IOException {
    if (!finished) {
      abort();
    }
  }
}
