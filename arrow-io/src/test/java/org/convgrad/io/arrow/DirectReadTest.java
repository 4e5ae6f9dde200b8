package org.convgrad.io.arrow;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.random;
import static org.convgrad.io.TestTensors.rows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link TensorIpcReader#readRecordBatchRows} (rows read straight from the file into the tensor)
 * gives what loading the record batch and copying it gives, for every row range, and falls back
 * to loading where it cannot read directly (nulls), with the same errors.
 */
class DirectReadTest extends ArrowMemoryTest {
  @TempDir Path dir;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (DType d : new DType[] {DType.HALF, DType.FLOAT32, DType.FLOAT64}) {
      for (boolean ids : new boolean[] {true, false}) {
        for (boolean carried : new boolean[] {true, false}) {
          out.add(Arguments.of(d, ids, carried));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void directRowsAreTheLoadedRows(DType dtype, boolean idColumn, boolean carried) throws IOException {
    int n = 11;
    Tensor t = random(dtype, Shape.of(n, 4, 5, 3), 7);
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = 1000 + 3L * i;
    }
    Path f = dir.resolve("d.arrow");
    Field label = new Field("label", FieldType.nullable(new ArrowType.Utf8()), null);
    try (VarCharVector labels = new VarCharVector("label", allocator)) {
      labels.allocateNew();
      for (int i = 0; i < n; i++) {
        labels.setSafe(i, ("label-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      labels.setValueCount(n);
      TensorIpcWriter.Builder b = TensorIpcWriter.builder(DataFormat.NHWC, 4, 5, 3, dtype).idColumn(idColumn)
          .maxBatchRows(4);
      if (carried) {
        b.carriedFields(List.of(label));
      }
      try (TensorIpcWriter w = b.openFile(f, allocator)) {
        w.write(ids, t, carried ? List.of(labels) : List.<FieldVector>of());
      }
    }
    try (TensorIpcReader direct = TensorIpcReader.openFile(f, allocator);
        TensorIpcReader loaded = TensorIpcReader.openFile(f, allocator)) {
      long[] counts = direct.recordBatchRowCounts();
      assertArrayEquals(new long[] {4, 4, 3}, counts);
      int at = 0;
      for (int batch = 0; batch < counts.length; batch++) {
        int rowsIn = (int) counts[batch];
        loaded.loadRecordBatch(batch);
        for (int first = 0; first <= rowsIn; first++) {
          for (int count = 0; first + count <= rowsIn; count++) {
            Tensor got = Tensor.zeros(dtype, Shape.of(count + 2, 4, 5, 3));
            long[] gotIds = direct.readRecordBatchRows(batch, first, count, got, 1);
            assertSameTensor(rows(t, at + first, count), rows(got, 1, count));
            assertSameTensor(Tensor.zeros(dtype, Shape.of(1, 4, 5, 3)), rows(got, 0, 1)); // nothing else written
            assertSameTensor(Tensor.zeros(dtype, Shape.of(1, 4, 5, 3)), rows(got, count + 1, 1));
            if (idColumn) {
              assertArrayEquals(java.util.Arrays.copyOfRange(ids, at + first, at + first + count), gotIds);
              assertArrayEquals(loaded.batchIds(first, count), gotIds);
            } else {
              assertNull(gotIds);
            }
          }
        }
        at += rowsIn;
      }
      Tensor dst = Tensor.zeros(dtype, Shape.of(3, 4, 5, 3));
      assertThrows(IndexOutOfBoundsException.class, () -> direct.readRecordBatchRows(2, 2, 2, dst, 0));
      assertThrows(IndexOutOfBoundsException.class, () -> direct.readRecordBatchRows(0, 0, 4, dst, 0));
      assertThrows(IndexOutOfBoundsException.class, () -> direct.readRecordBatchRows(3, 0, 1, dst, 0));
      assertThrows(InvalidArgumentException.class,
          () -> direct.readRecordBatchRows(0, 0, 1, Tensor.zeros(dtype, Shape.of(1, 4, 5, 2)), 0));
      if (carried) {
        // the direct reads leave the loaded batch alone
        direct.loadRecordBatch(1);
        direct.readRecordBatchRows(2, 0, 3, dst, 0);
        assertEquals("label-5", direct.root().getVector("label").getObject(1).toString());
      }
    }
  }

  @Test
  void datasetReadsLargeRangesAcrossChunks() throws IOException {
    // samples of 2 MiB: a read spans several of the direct read's 1 MiB chunks
    Tensor t = random(DType.FLOAT32, Shape.of(5, 128, 128, 32), 3);
    try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NHWC, 128, 128, 32, DType.FLOAT32).maxBatchRows(3)
        .openFile(dir.resolve("big.arrow"), allocator)) {
      w.write(0, t);
    }
    try (TensorDataset d = TensorDataset.open(dir, allocator)) {
      assertSameTensor(t, d.read(0, 5).samples());
      assertSameTensor(rows(t, 1, 3), d.read(1, 3).samples());
      assertArrayEquals(new long[] {2, 3, 4}, d.read(2, 3).ids());
    }
  }

  @Test
  void nullRowsFallBackToLoadingAndAreRejected() throws IOException {
    Tensor t = random(DType.FLOAT32, Shape.of(4, 2, 2, 3), 5);
    FixedShapeTensorType type = FixedShapeTensorType.sample(DataFormat.NHWC, 2, 2, 3);
    Path f = dir.resolve("n.arrow");
    try (FixedShapeTensorVector v = TensorVectors.toVector("x", t, type, allocator);
        FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      v.setNull(2);
      List<FieldVector> vectors = List.of(v);
      try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(TensorVectors.field("x", type, DType.FLOAT32)), vectors, 4);
          ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
        w.start();
        w.writeBatch();
        w.end();
      }
    }
    try (TensorIpcReader r = TensorIpcReader.openFile(f, allocator)) {
      Tensor dst = Tensor.zeros(DType.FLOAT32, Shape.of(2, 2, 2, 3));
      r.readRecordBatchRows(0, 0, 2, dst, 0); // rows 0 and 1 hold values
      assertSameTensor(rows(t, 0, 2), dst);
      TensorFormatException e =
          assertThrows(TensorFormatException.class, () -> r.readRecordBatchRows(0, 1, 2, dst, 0));
      assertTrue(e.getMessage().contains("row 2 of column 'x' is null"), e.getMessage());
    }
    try (TensorDataset d = TensorDataset.open(List.of(TensorDataset.source(f)), allocator)) {
      assertThrows(TensorFormatException.class, () -> d.read(0, 4));
    }
  }

  @Test
  void aFileTruncatedAfterOpeningIsReported() throws IOException {
    Tensor t = random(DType.FLOAT32, Shape.of(6, 4, 5, 3), 9);
    Path f = dir.resolve("t.arrow");
    try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NHWC, 4, 5, 3, DType.FLOAT32).maxBatchRows(3)
        .openFile(f, allocator)) {
      w.write(0, t);
    }
    try (TensorIpcReader r = TensorIpcReader.openFile(f, allocator)) {
      Tensor dst = Tensor.zeros(DType.FLOAT32, Shape.of(3, 4, 5, 3));
      r.readRecordBatchRows(1, 0, 1, dst, 0); // the batch's layout is read (and kept)
      assertSameTensor(rows(t, 3, 1), rows(dst, 0, 1));
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        ch.truncate(Files.size(f) * 2 / 3); // inside the second batch's values
      }
      TensorFormatException e =
          assertThrows(TensorFormatException.class, () -> r.readRecordBatchRows(1, 0, 3, dst, 0));
      assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }
  }
}
