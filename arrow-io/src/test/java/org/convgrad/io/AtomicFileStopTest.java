package org.convgrad.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output being written when its JVM is stopped (Ctrl-C, SIGTERM) leaves nothing beside the
 * target: not a partial file under the final name, and no temporary file either. A replaced file
 * keeps its permissions.
 */
class AtomicFileStopTest {
  @TempDir Path dir;

  /** The child JVM: begins writing {@code args[0]}, says so, and waits to be stopped. */
  public static void main(String[] args) throws Exception {
    AtomicFile f = AtomicFile.begin(Path.of(args[0]));
    f.channel().write(ByteBuffer.wrap(new byte[1 << 20]));
    System.out.println("writing");
    System.out.flush();
    Thread.sleep(120_000);
  }

  @Test
  void aJvmStoppedMidWriteLeavesTheTargetAsItWasAndNoTemporaryFile() throws Exception {
    Path target = Files.writeString(dir.resolve("dx.npy"), "the old result");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        AtomicFileStopTest.class.getName(), target.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("writing", out.readLine());
      try (Stream<Path> s = Files.list(dir)) {
        assertEquals(2, s.count(), "the target and the temporary file being written");
      }
      p.destroy(); // SIGTERM, which stops the JVM as Ctrl-C's SIGINT does
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the JVM stopped");
    } finally {
      p.destroyForcibly();
    }
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(target), s.toList());
    }
    assertEquals("the old result", Files.readString(target));
  }

  /** A child JVM that writes {@code args[0]} whole. */
  public static final class WriteOne {
    public static void main(String[] args) throws Exception {
      AtomicFile.write(Path.of(args[0]), ch -> ch.write(ByteBuffer.wrap("new".getBytes(StandardCharsets.UTF_8))));
    }
  }

  @Test
  void aNewFileHasThePermissionsTheUsersUmaskGives() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    for (String[] umask : new String[][] {{"077", "rw-------"}, {"022", "rw-r--r--"}, {"002", "rw-rw-r--"}}) {
      Path fresh = dir.resolve("new-" + umask[0] + ".npy");
      Processes.Result r = Processes.run(dir, List.of("sh", "-c", "umask " + umask[0] + " && exec \"$0\" -cp \"$1\" \"$2\""
          + " \"$3\"", java.toString(), System.getProperty("java.class.path"), WriteOne.class.getName(), fresh.toString()));
      assertTrue(r.ok(), r.output());
      assertEquals(umask[1], PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)), "umask " + umask[0]);
    }
  }

  @Test
  void aReplacedFileKeepsItsPermissionsEvenReadOnlyAndANewOneIsReadableByAll() throws Exception {
    Path mine = Files.writeString(dir.resolve("private.npy"), "old");
    Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rw-------"));
    AtomicFile.write(mine, ch -> ch.write(ByteBuffer.wrap("new".getBytes(StandardCharsets.UTF_8))));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(mine)));
    Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("r--r--r--"));
    AtomicFile.write(mine, ch -> ch.write(ByteBuffer.wrap("newer".getBytes(StandardCharsets.UTF_8))));
    assertEquals("newer", Files.readString(mine), "a read-only file is replaced, as before");
    assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(mine)));
    Path fresh = dir.resolve("new.npy");
    AtomicFile.write(fresh, ch -> ch.write(ByteBuffer.wrap("new".getBytes(StandardCharsets.UTF_8))));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)));
  }
}
