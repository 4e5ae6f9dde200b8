package org.convgrad.io;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An output never is, holds or lies inside an input, however the paths are spelled; never a link. */
class OutputPathsTest {
  @TempDir Path dir;
  private Path input;
  private final Map<String, @Nullable Path> inputs = new LinkedHashMap<>();

  @BeforeEach
  void anInput() throws Exception {
    input = Files.writeString(dir.resolve("dy.npy"), "data");
    inputs.put("--out-backprop", input);
    inputs.put("--filter", null);
  }

  private String refusedFile(Path output) {
    return assertThrows(OutputRefusedException.class, () -> OutputPaths.checkFile("--output", output, inputs))
        .getMessage();
  }

  @Test
  void theSameFileIsRefusedThroughDotsLinksAndHardLinks() throws Exception {
    Files.createDirectories(dir.resolve("a/b"));
    Files.createSymbolicLink(dir.resolve("up"), dir);
    Files.createLink(dir.resolve("hard.npy"), input);
    for (Path same : new Path[] {input, dir.resolve("a/b/../../dy.npy"), dir.resolve("up/dy.npy"),
        dir.resolve("hard.npy"), dir.resolve("./a/../dy.npy")}) {
      assertTrue(refusedFile(same).contains("is the same file as --out-backprop"), same.toString());
    }
    // Through a linked directory, another name.
    assertDoesNotThrow(() -> OutputPaths.checkFile("--output", dir.resolve("up/dx.npy"), inputs));
  }

  @Test
  void linksDirectoriesAndSpecialFilesAreRefusedAsOutputs() throws Exception {
    Files.createSymbolicLink(dir.resolve("link.npy"), dir.resolve("nowhere.npy"));
    assertTrue(refusedFile(dir.resolve("link.npy")).contains("is a symbolic link"));
    Files.createDirectories(dir.resolve("d.npy"));
    assertTrue(refusedFile(dir.resolve("d.npy")).contains("is a directory"));
    assertTrue(refusedFile(dir.resolve("no/such/dir/x.npy")).contains("does not exist"));
    Process mk = new ProcessBuilder("mkfifo", dir.resolve("fifo.npy").toString()).start();
    assertTrue(mk.waitFor() == 0);
    assertTrue(refusedFile(dir.resolve("fifo.npy")).contains("is not a regular file (a FIFO)"));
  }

  @Test
  void aFileItsOwnerMadeReadOnlyIsNotReplaced() throws Exception {
    Path kept = Files.writeString(dir.resolve("kept.npy"), "a result the user protected");
    Files.setPosixFilePermissions(kept, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
    assertTrue(refusedFile(kept).startsWith("--output " + kept + " is read-only"), refusedFile(kept));
    Files.setPosixFilePermissions(kept, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    assertDoesNotThrow(() -> OutputPaths.checkFile("--output", kept, inputs), "a writable one is the user's to name");
  }

  @Test
  void aDirectoryOutputNeverIsHoldsOrLiesInsideAnInput() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("dy-0.arrow"), "x");
    inputs.put("--out-backprop", data);
    Files.createSymbolicLink(dir.resolve("same-data"), data);
    for (Path out : new Path[] {data, dir, data.resolve("out"), dir.resolve("data/../data/sub"),
        dir.resolve("same-data/out")}) {
      assertThrows(OutputRefusedException.class, () -> OutputPaths.checkDirectory("--output", out, inputs),
          out.toString());
    }
    assertDoesNotThrow(() -> OutputPaths.checkDirectory("--output", dir.resolve("out"), inputs));
    assertThrows(OutputRefusedException.class,
        () -> OutputPaths.checkOutside("--assemble", dir.resolve("out/../out/x.npy"), "--output", dir.resolve("out")));
    assertDoesNotThrow(() -> OutputPaths.checkOutside("--assemble", dir.resolve("x.npy"), "--output", dir.resolve("out")));
  }

  @Test
  void aFileOutputNeverLiesInsideAnInputDirectory() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("dy-0.arrow"), "x");
    Files.createSymbolicLink(dir.resolve("same-data"), data);
    inputs.put("--out-backprop", data);
    for (Path out : new Path[] {data.resolve("dy-0.arrow"), data.resolve("dx.arrow"), dir.resolve("data/../data/dx.npy"),
        dir.resolve("same-data/dx.npy")}) {
      assertTrue(refusedFile(out).contains("lies inside --out-backprop " + data + ", a directory convgrad reads"),
          out.toString());
    }
    assertDoesNotThrow(() -> OutputPaths.checkFile("--output", dir.resolve("data-dx.arrow"), inputs));
    // The dataset named through the link: the same directory.
    inputs.put("--out-backprop", dir.resolve("same-data"));
    for (Path out : new Path[] {data.resolve("dx.arrow"), dir.resolve("same-data/dx.arrow")}) {
      assertTrue(refusedFile(out).contains("lies inside --out-backprop"), out.toString());
      assertThrows(OutputRefusedException.class, () -> OutputPaths.checkDirectory("--output", out, inputs),
          out.toString());
    }
  }

  @Test
  void aFileOutputIsNoFileAnInputDirectoryHoldsThroughALinkOrAHardLink() throws Exception {
    // A dataset of links to files kept elsewhere: writing one of those files overwrites an input.
    Path real = Files.createDirectories(dir.resolve("real"));
    Path part = Files.writeString(real.resolve("dy-00.arrow"), "samples");
    Path hard = Files.writeString(real.resolve("dy-01.arrow"), "more samples");
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.createSymbolicLink(data.resolve("dy-00.arrow"), part);
    Files.createLink(data.resolve("dy-01.arrow"), hard);
    inputs.put("--out-backprop", data);
    assertTrue(refusedFile(part).contains("is the same file as " + data.resolve("dy-00.arrow") + ", which --out-backprop "
        + data + " holds"), refusedFile(part));
    assertTrue(refusedFile(hard).contains("is the same file as " + data.resolve("dy-01.arrow")), refusedFile(hard));
    assertDoesNotThrow(() -> OutputPaths.checkFile("--assemble", real.resolve("dx.arrow"), inputs));
  }

  @Test
  void atomicFilesNeverWriteThroughOrOverALink() throws Exception {
    Path target = Files.writeString(dir.resolve("target.npy"), "kept");
    Path link = Files.createSymbolicLink(dir.resolve("link.npy"), target);
    assertThrows(OutputRefusedException.class, () -> AtomicFile.write(link, ch -> {}));
    assertTrue(Files.isSymbolicLink(link));
    assertTrue(Files.readString(target).equals("kept"));
  }
}
