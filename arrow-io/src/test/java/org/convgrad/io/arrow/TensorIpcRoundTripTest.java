package org.convgrad.io.arrow;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.random;
import static org.convgrad.io.TestTensors.rows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.vector.VarCharVector;
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

class TensorIpcRoundTripTest extends ArrowMemoryTest {
  @TempDir Path dir;

  static Stream<Arguments> dtypesAndLayouts() {
    List<Arguments> out = new ArrayList<>();
    for (DType d : new DType[] {DType.HALF, DType.FLOAT32, DType.FLOAT64}) {
      for (DataFormat f : DataFormat.values()) {
        out.add(Arguments.of(d, f));
      }
    }
    return out.stream();
  }

  static Tensor batch(DType dtype, DataFormat format, int n, long seed) {
    return random(dtype, Shape.of(format.order(n, 4, 5, 3)), seed);
  }

  @ParameterizedTest
  @MethodSource("dtypesAndLayouts")
  void fileRoundTrip(DType dtype, DataFormat format) throws IOException {
    Tensor t = batch(dtype, format, 10, 1);
    Path f = dir.resolve("t.arrow");
    try (TensorIpcWriter w = TensorIpcWriter.builder(format, 4, 5, 3, dtype).maxBatchRows(3).openFile(f, allocator)) {
      w.write(100, t);
      assertFalse(Files.exists(f), "nothing under the final name before close");
    }
    try (TensorIpcReader r = TensorIpcReader.openFile(f, allocator)) {
      assertTrue(r.isFile());
      assertEquals(format, r.column().dataFormat());
      assertEquals(dtype, r.column().dtype());
      assertEquals(4, r.recordBatchCount());
      assertArrayEquals(new long[] {3, 3, 3, 1}, r.recordBatchRowCounts());
      assertEquals(10, r.sampleCount());
      TensorBatch all = r.readAll();
      assertSameTensor(t, all.samples());
      long[] ids = all.ids();
      assertEquals(100, ids[0]);
      assertEquals(109, ids[9]);
      r.loadRecordBatch(2);
      assertSameTensor(rows(t, 6, 3), r.batchTensor());
      assertSameTensor(rows(t, 7, 2), r.batchTensor(1, 2));
    }
  }

  @ParameterizedTest
  @MethodSource("dtypesAndLayouts")
  void streamRoundTrip(DType dtype, DataFormat format) throws IOException {
    Tensor t = batch(dtype, format, 7, 2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TensorIpcWriter w = TensorIpcWriter.builder(format, 4, 5, 3, dtype).maxBatchRows(2)
        .openStream(out, "mem", allocator)) {
      w.write(rows(t, 0, 3).shape().get(0) == 3 ? new long[] {5, 6, 7} : null, rows(t, 0, 3));
      w.write(8, rows(t, 3, 4));
      assertEquals(7, w.rowsWritten());
    }
    try (TensorIpcReader r = TensorIpcReader.openStream(new ByteArrayInputStream(out.toByteArray()), "mem", allocator)) {
      assertFalse(r.isFile());
      assertEquals(format, r.column().dataFormat());
      TensorBatch all = r.readAll();
      assertSameTensor(t, all.samples());
      assertArrayEquals(new long[] {5, 6, 7, 8, 9, 10, 11}, all.ids());
    }
    Path f = dir.resolve("s.arrows");
    try (TensorIpcWriter w = TensorIpcWriter.builder(format, 4, 5, 3, dtype).idColumn(false).openStream(f, allocator)) {
      w.write(0, t);
    }
    try (TensorIpcReader r = TensorIpcReader.openStream(f, allocator)) {
      assertNull(r.column().idColumn());
      TensorBatch all = r.readAll();
      assertNull(all.ids());
      assertSameTensor(t, all.samples());
    }
  }

  @Test
  void carriesOtherColumns() throws IOException {
    Tensor t = batch(DType.FLOAT32, DataFormat.NHWC, 5, 3);
    Field label = new Field("label", FieldType.nullable(new ArrowType.Utf8()), null);
    Path f = dir.resolve("c.arrow");
    try (VarCharVector labels = new VarCharVector("label", allocator)) {
      labels.allocateNew();
      for (int i = 0; i < 5; i++) {
        labels.setSafe(i, ("s" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      labels.setValueCount(5);
      try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NHWC, 4, 5, 3, DType.FLOAT32)
          .carriedFields(List.of(label)).maxBatchRows(2).openFile(f, allocator)) {
        w.write(new long[] {1, 2, 3, 4, 5}, t, List.of(labels));
      }
      assertEquals("s4", labels.getObject(4).toString(), "carried vector unchanged");
    }
    try (TensorIpcReader r = TensorIpcReader.openFile(f, allocator)) {
      assertEquals(List.of(label), r.column().otherFields());
      r.loadRecordBatch(2);
      assertEquals("s4", r.root().getVector("label").getObject(0).toString());
      assertSameTensor(t, r.readAll().samples());
    }
  }

  @Test
  void datasetReadsAcrossFilesInNameOrder() throws IOException {
    DType dtype = DType.FLOAT32;
    Tensor t = batch(dtype, DataFormat.NCHW, 23, 4);
    int[][] parts = {{0, 5}, {5, 0}, {5, 11}, {16, 7}}; // the empty file in the middle is skipped
    for (int i = 0; i < parts.length; i++) {
      try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NCHW, 4, 5, 3, dtype).maxBatchRows(4)
          .openFile(dir.resolve("part-" + i + (i == 3 ? ".ARROW" : ".arrow")), allocator)) { // any case, as one file's name
        w.write(parts[i][0], rows(t, parts[i][0], parts[i][1]));
      }
    }
    Files.writeString(dir.resolve("_SUCCESS"), "");
    Files.writeString(dir.resolve(".part-9.arrow.123.tmp"), "partial");
    try (TensorDataset d = TensorDataset.open(dir, allocator)) {
      assertEquals(23, d.sampleCount());
      assertEquals(DataFormat.NCHW, d.column().dataFormat());
      assertEquals(Shape.of(3, 4, 5), d.column().sampleShape());
      assertEquals(4, d.files().size());
      assertArrayEquals(new long[] {5, 0, 11, 7}, d.fileSampleCounts());
      assertSameTensor(t, d.read(0, 23).samples());
      for (int first = 0; first <= 23; first += 3) {
        for (int n : new int[] {0, 1, 4, 9}) {
          if (first + n <= 23) {
            TensorBatch b = d.read(first, n);
            assertSameTensor(rows(t, first, n), b.samples());
            for (int k = 0; k < n; k++) {
              assertEquals(first + k, b.ids()[k]);
            }
          }
        }
      }
      Iterator<TensorBatch> it = d.batches(2, 20, 6);
      int at = 2;
      while (it.hasNext()) {
        TensorBatch b = it.next();
        assertEquals(at, b.firstSample());
        assertSameTensor(rows(t, at, b.size()), b.samples());
        at += b.size();
      }
      assertEquals(22, at);
      assertThrows(IndexOutOfBoundsException.class, () -> d.read(20, 4));
    }
  }

  @Test
  void datasetRejectsMismatchedFiles() throws IOException {
    try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NHWC, 4, 5, 3, DType.FLOAT32).openFile(dir.resolve("a.arrow"), allocator)) {
      w.write(0, batch(DType.FLOAT32, DataFormat.NHWC, 2, 1));
    }
    try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NHWC, 4, 5, 3, DType.FLOAT64).openFile(dir.resolve("b.arrow"), allocator)) {
      w.write(0, batch(DType.FLOAT64, DataFormat.NHWC, 2, 1));
    }
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> TensorDataset.open(dir, allocator));
    assertTrue(e.getMessage().contains("b.arrow") && e.getMessage().contains("double"), e.getMessage());
  }

  @Test
  void rejectsBfloat16AndWrongShapes() throws IOException {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> TensorIpcWriter.builder(DataFormat.NHWC, 1, 1, 1, DType.BFLOAT16));
    assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
    Path f = dir.resolve("w.arrow");
    try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NHWC, 4, 5, 3, DType.FLOAT32).openFile(f, allocator)) {
      assertThrows(InvalidArgumentException.class, () -> w.write(0, batch(DType.FLOAT32, DataFormat.NCHW, 2, 1)));
      assertThrows(InvalidArgumentException.class, () -> w.write(0, batch(DType.FLOAT64, DataFormat.NHWC, 2, 1)));
      w.abort();
    }
    assertFalse(Files.exists(f));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(0, s.count(), "abort leaves no temporary file");
    }
  }
}
