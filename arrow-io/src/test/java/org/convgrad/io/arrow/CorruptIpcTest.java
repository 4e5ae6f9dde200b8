package org.convgrad.io.arrow;

import static org.convgrad.io.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Corrupt Arrow input fails with a TensorFormatException naming the file: no crash, hang or huge allocation. */
@Timeout(120)
class CorruptIpcTest extends ArrowMemoryTest {
  @TempDir Path dir;

  private byte[] validFile(boolean file) throws IOException {
    Path f = dir.resolve(file ? "valid.arrow" : "valid.arrows");
    TensorIpcWriter.Builder b = TensorIpcWriter.builder(DataFormat.NHWC, 4, 4, 2, DType.FLOAT32).maxBatchRows(3);
    try (TensorIpcWriter w = file ? b.openFile(f, allocator) : b.openStream(f, allocator)) {
      w.write(0, random(DType.FLOAT32, Shape.of(10, 4, 4, 2), 1));
    }
    return Files.readAllBytes(f);
  }

  /** Reads everything in {@code f}; returns the rows read. */
  private long readAll(Path f, boolean file) throws IOException {
    try (TensorIpcReader r = file ? TensorIpcReader.openFile(f, allocator) : TensorIpcReader.openStream(f, allocator)) {
      return r.readAll().size();
    }
  }

  private TensorFormatException rejected(byte[] content, boolean file, String... words) throws IOException {
    Path f = dir.resolve("bad.arrow");
    Files.write(f, content);
    TensorFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> assertThrows(TensorFormatException.class, () -> readAll(f, file)));
    assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
    for (String w : words) {
      assertTrue(e.getMessage().contains(w), "'" + w + "' not in: " + e.getMessage());
    }
    return e;
  }

  @Test
  void emptyAndNonArrowFiles() throws IOException {
    for (boolean file : new boolean[] {true, false}) {
      rejected(new byte[0], file, "empty file");
      rejected("this is not arrow at all, just some text".getBytes(), file);
      byte[] npy = new byte[128];
      npy[0] = (byte) 0x93;
      System.arraycopy("NUMPY".getBytes(), 0, npy, 1, 5);
      rejected(npy, file);
    }
    rejected(validFile(false), true, "an Arrow IPC stream, not an IPC file");
  }

  @Test
  void aLengthPrefixThatLiesIsRejectedBeforeAllocatingEvenFromAnUnsizedStream() {
    byte[] lie = {-1, -1, -1, -1, -1, -1, -1, 0x7f, 1, 2, 3};
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> TensorIpcReader.openStream(
        new java.io.ByteArrayInputStream(lie), "lying-stream", allocator));
    assertTrue(e.getMessage().startsWith("lying-stream: ") && e.getMessage().contains("2147483647 bytes of metadata"),
        e.getMessage());
  }

  @Test
  void truncatedFilesAreRejectedWhereverCut() throws IOException {
    byte[] valid = validFile(true);
    for (int cut = 0; cut < valid.length; cut += Math.max(1, valid.length / 53)) {
      rejected(Arrays.copyOf(valid, cut), true);
    }
    rejected(Arrays.copyOf(valid, valid.length - 1), true);
  }

  @Test
  void truncatedStreamsFailOrEndEarlyButNeverCrash() throws IOException {
    byte[] valid = validFile(false);
    Path f = dir.resolve("cut.arrows");
    for (int cut = 1; cut < valid.length; cut += Math.max(1, valid.length / 61)) {
      Files.write(f, Arrays.copyOf(valid, cut));
      try {
        long rows = readAll(f, false);
        assertTrue(rows < 10, "a cut stream cannot hold all rows");
      } catch (TensorFormatException e) {
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
      } catch (Exception e) {
        fail("cut at " + cut + " of " + valid.length + " gave " + e, e);
      }
    }
  }

  @Test
  void aFooterThatLiesAboutABatchSizeIsRejectedBeforeReading() throws IOException {
    byte[] valid = validFile(true);
    long body;
    try (TensorIpcReader r = TensorIpcReader.openFile(new ByteArrayReadableSeekableByteChannel(valid), "m", allocator)) {
      assertEquals(10, r.sampleCount());
      body = 0;
      try (var fr = new org.apache.arrow.vector.ipc.ArrowFileReader(
          new ByteArrayReadableSeekableByteChannel(valid), allocator)) {
        body = fr.getRecordBlocks().get(1).getBodyLength();
      }
    }
    byte[] pattern = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(body).array();
    int footerStart = valid.length - 10 - ByteBuffer.wrap(valid, valid.length - 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    byte[] lying = valid.clone();
    int patched = 0;
    for (int i = footerStart; i + 8 <= valid.length - 10; i++) {
      if (Arrays.equals(Arrays.copyOfRange(valid, i, i + 8), pattern)) {
        ByteBuffer.wrap(lying, i, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
        patched++;
      }
    }
    assertTrue(patched > 0, "body length found in the footer");
    rejected(lying, true, "runs past the start of the footer");
    // One so long the sum of offset, metadata and body overflows a long.
    byte[] overflowing = valid.clone();
    for (int i = footerStart; i + 8 <= valid.length - 10; i++) {
      if (Arrays.equals(Arrays.copyOfRange(valid, i, i + 8), pattern)) {
        ByteBuffer.wrap(overflowing, i, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE);
      }
    }
    rejected(overflowing, true, "runs past the start of the footer");
  }

  @Test
  void aFooterThatLiesAboutABatchsMetadataLengthIsRejectedNotReadShifted() throws IOException {
    // The body is read where the footer's lengths put it: 8 bytes more of metadata shifted every id
    // and value by 8 bytes, and the direct reads accepted it.
    byte[] valid = validFile(true);
    long offset;
    int metadata;
    try (var fr = new org.apache.arrow.vector.ipc.ArrowFileReader(new ByteArrayReadableSeekableByteChannel(valid),
        allocator)) {
      offset = fr.getRecordBlocks().get(0).getOffset();
      metadata = fr.getRecordBlocks().get(0).getMetadataLength();
    }
    byte[] pattern = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(offset).putInt(metadata).array();
    int footerStart = valid.length - 10 - ByteBuffer.wrap(valid, valid.length - 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    byte[] lying = valid.clone();
    int patched = 0;
    for (int i = footerStart; i + 12 <= valid.length - 10; i++) {
      if (Arrays.equals(Arrays.copyOfRange(valid, i, i + 12), pattern)) {
        ByteBuffer.wrap(lying, i + 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(metadata + 8);
        patched++;
      }
    }
    assertEquals(1, patched, "the block found in the footer");
    rejected(lying, true, "record batch 0", "but the footer gives it " + (metadata + 8));
  }

  @Test
  void aSchemaWhoseFieldNestsInItselfIsRejectedNotAStackOverflow() throws IOException {
    for (String name : new String[] {"self-nesting-schema.arrow", "self-nesting-schema.arrows"}) {
      try (var in = getClass().getResourceAsStream(name)) {
        rejected(in.readAllBytes(), name.endsWith(".arrow"), "corrupt schema");
      }
    }
  }

  @Test
  void aStreamThatLiesAboutABodyLengthCannotAllocateIt() throws IOException {
    byte[] valid = validFile(false);
    ReadChannel in = new ReadChannel(Channels.newChannel(new java.io.ByteArrayInputStream(valid)));
    MessageMetadataResult schema = MessageSerializer.readMessage(in);
    int batchStart = (int) in.bytesRead() + (int) schema.getMessageBodyLength();
    MessageMetadataResult batch = MessageSerializer.readMessage(in);
    long body = batch.getMessageBodyLength();
    byte[] pattern = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(body).array();
    byte[] lying = valid.clone();
    int end = (int) in.bytesRead();
    boolean found = false;
    for (int i = batchStart; i + 8 <= end && !found; i++) {
      if (Arrays.equals(Arrays.copyOfRange(valid, i, i + 8), pattern)) {
        ByteBuffer.wrap(lying, i, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
        found = true;
      }
    }
    assertTrue(found, "body length found in the batch message");
    rejected(lying, false);
  }

  /** Writes record batches as given, whatever they claim (Arrow's writers take them from a root). */
  private static final class LyingFileWriter extends ArrowFileWriter {
    LyingFileWriter(VectorSchemaRoot root, ByteArrayOutputStream out) {
      super(root, null, Channels.newChannel(out));
    }

    void write(ArrowRecordBatch batch) throws IOException {
      writeRecordBatch(batch);
    }
  }

  private static final class LyingStreamWriter extends ArrowStreamWriter {
    LyingStreamWriter(VectorSchemaRoot root, ByteArrayOutputStream out) {
      super(root, null, Channels.newChannel(out));
    }

    void write(ArrowRecordBatch batch) throws IOException {
      writeRecordBatch(batch);
    }
  }

  /** The valid file's first record batch (3 rows, its nodes and buffers), in a batch that claims {@code claimed} rows. */
  private byte[] claiming(boolean file, int claimed) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ArrowFileReader in = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(validFile(true)), allocator)) {
      in.loadNextBatch();
      VectorSchemaRoot root = in.getVectorSchemaRoot();
      try (ArrowRecordBatch real = new VectorUnloader(root).getRecordBatch();
          ArrowRecordBatch lie = new ArrowRecordBatch(claimed, real.getNodes(), real.getBuffers())) {
        if (file) {
          try (LyingFileWriter w = new LyingFileWriter(root, out)) {
            w.start();
            w.write(lie);
            w.end();
          }
        } else {
          try (LyingStreamWriter w = new LyingStreamWriter(root, out)) {
            w.start();
            w.write(lie);
            w.end();
          }
        }
      }
    }
    return out.toByteArray();
  }

  @Test
  void aBatchThatClaimsOtherRowsThanItHoldsIsRejectedNotReadAsZerosOrAllocated() throws IOException {
    for (boolean file : new boolean[] {true, false}) {
      Path honest = dir.resolve("honest.arrow");
      Files.write(honest, claiming(file, 3));
      assertEquals(3, readAll(honest, file), "the batch as it was");
      // Arrow's loader would size the vectors for 10 rows and read the 7 it lacks from grown, zeroed buffers.
      rejected(claiming(file, 10), file, "inconsistent", "claims 10 rows but column");
      rejected(claiming(file, 2), file, "inconsistent", "claims 2 rows but column");
      // A file's reader would allocate for every row its batches claim before loading one.
      rejected(claiming(file, (1 << 28) - 2), file, "inconsistent", "claims 268435454 rows");
    }
  }

  /** A file whose tensor column is a plain FixedSizeList carrying the given extension metadata. */
  private byte[] withExtensionMetadata(ArrowType storage, Field child, String metadata) throws IOException {
    Field tensor = new Field("pixels", new FieldType(true, storage, null,
        Map.of("ARROW:extension:name", FixedShapeTensorType.EXTENSION_NAME, "ARROW:extension:metadata", metadata)),
        storage instanceof ArrowType.FixedSizeList ? List.of(child) : List.of());
    Schema schema = new Schema(List.of(new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null), tensor));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // plain types: only the field's metadata names the extension
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        ArrowFileWriter w = new ArrowFileWriter(root, null, Channels.newChannel(out))) {
      ((BigIntVector) root.getVector("id")).allocateNew(0);
      root.setRowCount(0);
      w.start();
      w.writeBatch();
      w.end();
    }
    return out.toByteArray();
  }

  @Test
  void badExtensionMetadataNamesTheField() throws IOException {
    Field f32 = new Field("item", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null);
    rejected(withExtensionMetadata(new ArrowType.FixedSizeList(6), f32, "{\"shape\":[2,4]}"), true,
        "'pixels'", "list size 6 is not the product 8");
    rejected(withExtensionMetadata(new ArrowType.FixedSizeList(6), f32, "{shape: oops"), true, "'pixels'", "not JSON");
    rejected(withExtensionMetadata(new ArrowType.FixedSizeList(6), f32, "{\"dim_names\":[\"a\"]}"), true, "'pixels'",
        "no \"shape\"");
    rejected(withExtensionMetadata(new ArrowType.Utf8(), f32, "{\"shape\":[6]}"), true, "'pixels'",
        "needs FixedSizeList storage");
    Field ints = new Field("item", FieldType.nullable(new ArrowType.Int(32, true)), null);
    rejected(withExtensionMetadata(new ArrowType.FixedSizeList(6), ints, "{\"shape\":[2,3]}"), true, "'pixels'",
        "float16, float32 and float64");
  }

  @Test
  void aFileWithoutATensorColumnIsRejected() throws IOException {
    Schema schema = new Schema(List.of(new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        ArrowFileWriter w = new ArrowFileWriter(root, null, Channels.newChannel(out))) {
      w.start();
      w.end();
    }
    rejected(out.toByteArray(), true, "no arrow.fixed_shape_tensor column", "id: Int(64, true)");
  }

  @Test
  void aDatasetNamesItsCorruptFile() throws IOException {
    byte[] valid = validFile(true);
    Files.delete(dir.resolve("valid.arrow"));
    Path d = Files.createDirectory(dir.resolve("ds"));
    Files.write(d.resolve("a.arrow"), valid);
    Files.write(d.resolve("b.arrow"), Arrays.copyOf(valid, valid.length / 2));
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> TensorDataset.open(d, allocator));
    assertTrue(e.getMessage().contains("b.arrow"), e.getMessage());
    Path empty = Files.createDirectory(dir.resolve("empty"));
    e = assertThrows(TensorFormatException.class, () -> TensorDataset.open(empty, allocator));
    assertTrue(e.getMessage().contains("no .arrow files"), e.getMessage());
  }
}
