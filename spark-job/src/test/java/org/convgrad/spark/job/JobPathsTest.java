package org.convgrad.spark.job;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.convgrad.io.OutputRefusedException;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.io.HadoopChannels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paths mean what the shell means by them: {@code ..} after a link goes up from where the link
 * leads. On a file system other than the local one (here viewfs, a mount table over a local directory, so
 * that it needs no cluster), the job's outputs are checked against its inputs by their qualified
 * names: an output is never an input, never lies inside one, and a directory never holds one.
 */
class JobPathsTest {
  private static final String DY = "viewfs:///store/dy";
  private static final String W = "viewfs:///store/w.npy";

  @TempDir Path dir;
  private final Configuration conf = new Configuration();

  @BeforeEach
  void aDatasetElsewhere() throws Exception {
    Files.writeString(Files.createDirectories(dir.resolve("dy")).resolve("dy-0.arrow"), "x");
    Files.writeString(dir.resolve("w.npy"), "w");
    conf.set("fs.viewfs.mounttable.default.link./store", dir.toUri().toString());
    assertNull(HadoopChannels.localPath(new org.apache.hadoop.fs.Path(DY), conf), "not the local file system");
  }

  private String refused(String output, String assemble) {
    return assertThrows(OutputRefusedException.class, () -> JobPaths.check(conf, DY, W, output, assemble))
        .getMessage();
  }

  @Test
  void anAssembledFileIsNeverAnInputNorInsideTheDataset() {
    assertTrue(refused("viewfs:///store/out", W).contains("is --filter " + W), W);
    for (String inside : new String[] {DY + "/dy-0.arrow", DY + "/dx.arrow", "viewfs:///store/x/../dy/dx.arrow"}) {
      assertTrue(refused("viewfs:///store/out", inside).contains("lies inside --out-backprop " + DY), inside);
    }
    assertTrue(refused("viewfs:///store/out", "viewfs:///store/out/dx.npy").contains("lies inside --output"));
    assertDoesNotThrow(() -> JobPaths.check(conf, DY, W, "viewfs:///store/out", "viewfs:///store/dy-dx.npy"));
  }

  @Test
  void anOutputDirectoryNeverIsHoldsOrLiesInsideAnInput() {
    assertTrue(refused(DY, null).contains("is --out-backprop"));
    assertTrue(refused("viewfs:///store", null).contains("holds --out-backprop"));
    assertTrue(refused(DY + "/out", null).contains("lies inside --out-backprop"));
    assertDoesNotThrow(() -> JobPaths.check(conf, DY, W, "viewfs:///store/out", null));
  }

  @Test
  void assemblingAroundTheOutputIsRefusedBeforeAnyTask() {
    assertTrue(refused("viewfs:///store/dx.npy/out", "viewfs:///store/dx.npy").contains("lies inside --assemble"));
    Configuration local = new Configuration();
    String file = dir.resolve("dx.npy").toString();
    OutputRefusedException e = assertThrows(OutputRefusedException.class,
        () -> JobPaths.check(local, dir.resolve("dy").toString(), null, file + "/out", file));
    assertTrue(e.getMessage().startsWith("--output " + file + "/out lies inside --assemble " + file), e.getMessage());
  }

  @Test
  void dotDotAfterALinkGoesUpFromWhereTheLinkLeads() throws Exception {
    // p/sub/up -> p: to the shell, p/sub/up/../victim.npy is p's parent's victim.npy, not p/sub/victim.npy.
    Path p = Files.createDirectories(dir.resolve("p/sub")).getParent();
    Files.createSymbolicLink(p.resolve("sub/up"), p);
    Configuration local = new Configuration();
    String through = p + "/sub/up/../victim.npy";
    Path meant = dir.toRealPath().resolve("victim.npy");
    assertEquals(meant.toString(), JobPaths.resolved(through, local));
    assertEquals("file:" + meant, JobPaths.resolved("file://" + through, local));
    assertEquals(p + "/sub/x.npy", JobPaths.resolved(p + "/sub/x.npy", local), "without .. a path stays as given");
    assertEquals(DY + "/../w.npy", JobPaths.resolved(DY + "/../w.npy", conf), "other file systems' paths stay");
  }

  @Test
  void anEmptyPathOrOneHadoopCannotParseIsNamed() {
    assertTrue(assertThrows(DatasetException.class, () -> JobPaths.requirePath("--output", "")).getMessage()
        .startsWith("--output is empty"));
    String m = assertThrows(DatasetException.class, () -> JobPaths.requirePath("--filter", "w:1.npy")).getMessage();
    assertTrue(m.startsWith("--filter w:1.npy is not a path") && m.endsWith("is ./w:1.npy"), m);
    assertDoesNotThrow(() -> JobPaths.requirePath("--filter", "./w:1.npy"));
  }
}
