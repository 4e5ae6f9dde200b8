package org.convgrad.io;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.random;
import static org.convgrad.io.TestTensors.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.arrow.TensorDataset;
import org.convgrad.io.arrow.TensorIpcWriter;
import org.convgrad.io.npy.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PositionedChannelAndAtomicFileTest {
  @TempDir Path dir;

  /** A channel over a file through positioned reads only, as a Hadoop stream would give them. */
  static PositionedChannel positioned(Path f, AtomicBoolean closed) throws IOException {
    RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r");
    return PositionedChannel.of((pos, b, off, len) -> {
      synchronized (raf) {
        raf.seek(pos);
        return raf.read(b, off, len);
      }
    }, raf.length(), () -> {
      closed.set(true);
      raf.close();
    });
  }

  @Test
  void readersWorkOverPositionedReads() throws IOException {
    Tensor t = random(DType.FLOAT32, Shape.of(9, 2, 3, 4), 1);
    Npy.write(dir.resolve("a.npy"), t);
    AtomicBoolean closed = new AtomicBoolean();
    try (PositionedChannel ch = positioned(dir.resolve("a.npy"), closed)) {
      assertSameTensor(t, Npy.read(ch, "hdfs://a.npy"));
      assertSameTensor(rows(t, 3, 4), Npy.readRange(ch, "hdfs://a.npy", 3, 4));
      ByteBuffer direct = ByteBuffer.allocateDirect(16);
      ch.position(0);
      assertEquals(16, ch.read(direct));
      assertEquals((byte) 0x93, direct.get(0));
    }
    assertTrue(closed.get());
    try (BufferAllocator a = new RootAllocator()) {
      for (int f = 0; f < 3; f++) {
        try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NHWC, 2, 3, 4, DType.FLOAT32).maxBatchRows(2)
            .openFile(dir.resolve("p" + f + ".arrow"), a)) {
          w.write(f * 3, rows(t, f * 3, 3));
        }
      }
      List<TensorDataset.Source> sources = new java.util.ArrayList<>();
      for (int f = 0; f < 3; f++) {
        Path p = dir.resolve("p" + f + ".arrow");
        sources.add(new TensorDataset.Source() {
          @Override
          public String name() {
            return "hdfs://" + p.getFileName();
          }

          @Override
          public java.nio.channels.SeekableByteChannel open() throws IOException {
            return positioned(p, new AtomicBoolean());
          }
        });
      }
      try (TensorDataset d = TensorDataset.open(sources, a)) {
        assertEquals(9, d.sampleCount());
        assertSameTensor(rows(t, 2, 6), d.read(2, 6).samples());
      }
    }
  }

  @Test
  void aFailedWriteLeavesNeitherTheTargetNorATemporaryFile() throws IOException {
    Path f = dir.resolve("out.bin");
    IOException e = assertThrows(IOException.class, () -> AtomicFile.write(f, ch -> {
      ch.write(ByteBuffer.wrap(new byte[1000]));
      throw new IOException("disk on fire");
    }));
    assertTrue(e instanceof OutputWriteException, e.toString());
    assertEquals(f.toAbsolutePath() + ": could not be written: disk on fire; nothing of it was kept (a file already"
        + " there is as it was)", e.getMessage(), "the storage's reason, naming the file");
    assertFalse(Files.exists(f));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(0, s.count());
    }
    Files.writeString(f, "old");
    assertThrows(IOException.class, () -> AtomicFile.write(f, ch -> {
      throw new IOException("again");
    }));
    assertEquals("old", Files.readString(f), "the old file is untouched");
    AtomicFile.write(f, ch -> ch.write(ByteBuffer.wrap("new".getBytes())));
    assertEquals("new", Files.readString(f));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(1, s.count());
    }
  }

  @Test
  void aTemporaryFileAKilledWriterLeftGoesWhenTheNextWriterFindsItStale() throws IOException {
    java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(
        java.time.Instant.now().minus(AtomicFile.STALE).minusSeconds(60));
    Path stale = Files.writeString(dir.resolve(".out.bin.123.tmp"), "a killed writer's");
    Files.setLastModifiedTime(stale, old);
    Path fresh = Files.writeString(dir.resolve(".out.bin.456.tmp"), "another writer's, writing now");
    Path notOurs = Files.writeString(dir.resolve(".out.bin.backup.tmp"), "the user's");
    Files.setLastModifiedTime(notOurs, old);
    Path otherTarget = Files.writeString(dir.resolve(".other.bin.789.tmp"), "another target's");
    Files.setLastModifiedTime(otherTarget, old);
    AtomicFile.write(dir.resolve("out.bin"), ch -> ch.write(ByteBuffer.wrap("new".getBytes())));
    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(fresh) && Files.exists(notOurs) && Files.exists(otherTarget));
    assertEquals("new", Files.readString(dir.resolve("out.bin")));
  }
}
