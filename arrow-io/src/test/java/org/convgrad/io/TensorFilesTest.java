package org.convgrad.io;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.arrow.TensorIpcReader;
import org.convgrad.io.arrow.TensorIpcWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TensorFilesTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(DataFormat.class)
  void activationsRoundTripThroughBothFormats(DataFormat layout) throws IOException {
    for (DType dtype : new DType[] {DType.HALF, DType.FLOAT32, DType.FLOAT64}) {
      Tensor t = random(dtype, Shape.of(layout.order(3, 4, 5, 2)), 7);
      for (String name : new String[] {"x.npy", "x.arrow"}) {
        Path f = dir.resolve(name);
        TensorFiles.write(f, t, layout, null);
        TensorFile r = TensorFiles.read(f);
        assertSameTensor(t, r.tensor());
        if (name.endsWith(".arrow")) {
          assertEquals(layout, r.layout());
          assertArrayEquals(new long[] {0, 1, 2}, r.ids());
          r.requireLayout(layout);
          DataFormat other = layout == DataFormat.NHWC ? DataFormat.NCHW : DataFormat.NHWC;
          InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> r.requireLayout(other));
          assertTrue(e.getMessage().contains("x.arrow"), e.getMessage());
        } else {
          assertNull(r.layout());
        }
      }
    }
  }

  @Test
  void filterIsOneRow() throws IOException {
    Tensor w = random(DType.FLOAT32, Shape.of(3, 3, 2, 4), 3);
    for (String name : new String[] {"w.npy", "w.arrow"}) {
      Path f = dir.resolve(name);
      TensorFiles.writeFilter(f, w);
      assertSameTensor(w, TensorFiles.readFilter(f));
    }
    try (BufferAllocator a = new RootAllocator(); TensorIpcReader r = TensorIpcReader.openFile(dir.resolve("w.arrow"), a)) {
      assertEquals(1, r.sampleCount());
      assertEquals(TensorFiles.FILTER_DIM_NAMES, r.column().type().dimNames());
    }
    TensorFiles.write(dir.resolve("two.arrow"), random(DType.FLOAT32, Shape.of(2, 3), 1), null, null);
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> TensorFiles.readFilter(dir.resolve("two.arrow")));
    assertTrue(e.getMessage().contains("2 rows"), e.getMessage());
  }

  @Test
  void carriesIdsAndOtherColumnsIntoTheResult() throws IOException {
    Tensor dy = random(DType.FLOAT32, Shape.of(5, 2, 2, 3), 1);
    Field label = new Field("label", FieldType.nullable(new ArrowType.Utf8()), null);
    Path in = dir.resolve("dy.arrow");
    try (BufferAllocator a = new RootAllocator(); VarCharVector labels = strings("label", "sample-", 5, a)) {
      try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NHWC, 2, 2, 3, DType.FLOAT32)
          .carriedFields(List.of(label)).maxBatchRows(2).openFile(in, a)) {
        w.write(new long[] {40, 41, 42, 43, 44}, dy, List.of(labels));
      }
    }
    TensorFile read = TensorFiles.read(in);
    assertEquals(List.of(label), read.carriedFields());
    Tensor dx = random(DType.FLOAT32, Shape.of(5, 4, 4, 1), 2);
    Path out = dir.resolve("dx.arrow");
    TensorFiles.write(out, dx, DataFormat.NHWC, read);
    TensorFile result = TensorFiles.read(out);
    assertSameTensor(dx, result.tensor());
    assertArrayEquals(new long[] {40, 41, 42, 43, 44}, result.ids());
    try (BufferAllocator a = new RootAllocator(); TensorIpcReader r = TensorIpcReader.openFile(out, a)) {
      int row = 0;
      while (r.loadNextBatch()) {
        for (int i = 0; i < r.batchRowCount(); i++, row++) {
          assertEquals("sample-" + row, r.root().getVector("label").getObject(i).toString());
        }
      }
      assertEquals(5, row);
    }
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> TensorFiles.write(dir.resolve("bad.arrow"), random(DType.FLOAT32, Shape.of(4, 1), 1), null, read));
    assertTrue(e.getMessage().contains("5 rows"), e.getMessage());
  }

  /** dy [2, 2, 2, 3] with a dictionary-encoded label column (pandas categoricals arrive so), in an Arrow file. */
  private Path withDictionaryColumn(Tensor dy, boolean empty) throws IOException {
    return withLabels(dy, empty, false);
  }

  /** As {@link #withDictionaryColumn}; {@code corrupt}: the labels, not encoded, whose middle offset is negative. */
  private Path withLabels(Tensor dy, boolean empty, boolean corrupt) throws IOException {
    try (BufferAllocator a = new RootAllocator();
        VarCharVector values = strings("label", "kind-", 2, a);
        VarCharVector plain = new VarCharVector("label", a)) {
      org.apache.arrow.vector.dictionary.Dictionary dictionary = new org.apache.arrow.vector.dictionary.Dictionary(
          values, new org.apache.arrow.vector.types.pojo.DictionaryEncoding(7, false, null));
      int rows = (int) dy.shape().get(0);
      plain.allocateNew();
      for (int i = 0; i < rows; i++) {
        plain.setSafe(i, ("kind-" + (1 - i)).getBytes(StandardCharsets.UTF_8));
      }
      plain.setValueCount(rows);
      if (corrupt) {
        plain.getOffsetBuffer().setInt(Integer.BYTES, -5);
        return withColumn("corrupt.arrow", dy, plain, null, a);
      }
      try (org.apache.arrow.vector.FieldVector label =
          (org.apache.arrow.vector.FieldVector) org.apache.arrow.vector.dictionary.DictionaryEncoder.encode(plain, dictionary)) {
        return withColumn(empty ? "empty.arrow" : "dict.arrow", dy, label,
            new org.apache.arrow.vector.dictionary.DictionaryProvider.MapDictionaryProvider(dictionary), a);
      }
    }
  }

  @Test
  void aDictionaryEncodedColumnIsCarriedAsItsValues() throws IOException {
    Tensor dy = random(DType.FLOAT32, Shape.of(2, 2, 2, 3), 3);
    TensorFile read = TensorFiles.read(withDictionaryColumn(dy, false));
    assertSameTensor(dy, read.tensor());
    assertEquals(List.of(new Field("label", FieldType.nullable(new ArrowType.Utf8()), List.of())),
        read.carriedFields());
    Path out = dir.resolve("dx.arrow");
    TensorFiles.write(out, random(DType.FLOAT32, Shape.of(2, 3, 3, 1), 4), DataFormat.NHWC, read);
    try (BufferAllocator a = new RootAllocator(); TensorIpcReader r = TensorIpcReader.openFile(out, a)) {
      assertTrue(r.loadNextBatch());
      assertEquals("kind-1", r.root().getVector("label").getObject(0).toString());
      assertEquals("kind-0", r.root().getVector("label").getObject(1).toString());
    }
    // An empty table writes no record batch: the columns' schema alone is carried.
    TensorFile none = TensorFiles.read(withDictionaryColumn(Tensor.zeros(DType.FLOAT32, Shape.of(0, 2, 2, 3)), true));
    Path empty = dir.resolve("dx-empty.arrow");
    TensorFiles.write(empty, Tensor.zeros(DType.FLOAT32, Shape.of(0, 3, 3, 1)), DataFormat.NHWC, none);
    try (BufferAllocator a = new RootAllocator(); TensorIpcReader r = TensorIpcReader.openFile(empty, a)) {
      assertEquals(new ArrowType.Utf8(), r.schema().findField("label").getType());
      assertEquals(0, r.sampleCount());
    }
  }

  /** An Arrow file of dy [n, 2, 2, 3] in column x and {@code column}, whose dictionaries {@code provider} holds. */
  private Path withColumn(String name, Tensor dy, org.apache.arrow.vector.FieldVector column,
      org.apache.arrow.vector.dictionary.@org.jspecify.annotations.Nullable DictionaryProvider provider,
      BufferAllocator a) throws IOException {
    Path in = dir.resolve(name);
    org.convgrad.io.arrow.FixedShapeTensorType type =
        new org.convgrad.io.arrow.FixedShapeTensorType(new long[] {2, 2, 3}, List.of("H", "W", "C"), null);
    try (org.convgrad.io.arrow.FixedShapeTensorVector x = org.convgrad.io.arrow.TensorVectors.toVector("x", dy, type, a);
        org.apache.arrow.vector.VectorSchemaRoot root = new org.apache.arrow.vector.VectorSchemaRoot(
            List.of(org.convgrad.io.arrow.TensorVectors.field("x", type, DType.FLOAT32), column.getField()),
            List.of(x, column), (int) dy.shape().get(0));
        java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(in,
            java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
        org.apache.arrow.vector.ipc.ArrowFileWriter w = new org.apache.arrow.vector.ipc.ArrowFileWriter(root, provider, ch)) {
      w.start();
      if (root.getRowCount() > 0) { // an empty table: no record batch, as pyarrow writes it
        w.writeBatch();
      }
      w.end();
    }
    return in;
  }

  @Test
  void aDictionaryEncodedIdColumnIsCarriedAsItsValuesNotReadAsItsIndices() throws IOException {
    Tensor dy = random(DType.FLOAT32, Shape.of(2, 2, 2, 3), 6);
    Path in;
    try (BufferAllocator a = new RootAllocator();
        org.apache.arrow.vector.BigIntVector values = new org.apache.arrow.vector.BigIntVector("id", a);
        org.apache.arrow.vector.BigIntVector indices = new org.apache.arrow.vector.BigIntVector("id",
            new FieldType(false, new ArrowType.Int(64, true),
                new org.apache.arrow.vector.types.pojo.DictionaryEncoding(3, false, new ArrowType.Int(64, true))), a)) {
      values.allocateNew(2);
      values.set(0, 100);
      values.set(1, 200);
      values.setValueCount(2);
      indices.allocateNew(2);
      indices.set(0, 1);
      indices.set(1, 0);
      indices.setValueCount(2);
      in = withColumn("dict-id.arrow", dy, indices, new org.apache.arrow.vector.dictionary.DictionaryProvider
          .MapDictionaryProvider(new org.apache.arrow.vector.dictionary.Dictionary(values,
              indices.getField().getDictionary())), a);
    }
    TensorFile read = TensorFiles.read(in);
    assertNull(read.ids(), "the indices are not the ids");
    Path out = dir.resolve("dx-id.arrow");
    TensorFiles.write(out, random(DType.FLOAT32, Shape.of(2, 3, 3, 1), 7), DataFormat.NHWC, read);
    assertArrayEquals(new long[] {200, 100}, TensorFiles.read(out).ids(), "the ids are the dictionary's values");
  }

  @Test
  void aDictionaryEncodedFieldInsideACarriedColumnIsRefusedNamingIt() throws IOException {
    Tensor dy = random(DType.FLOAT32, Shape.of(2, 2, 2, 3), 8);
    Path in;
    try (BufferAllocator a = new RootAllocator();
        VarCharVector values = strings("c", "kind-", 2, a);
        org.apache.arrow.vector.complex.StructVector s = org.apache.arrow.vector.complex.StructVector.empty("s", a)) {
      org.apache.arrow.vector.types.pojo.DictionaryEncoding encoding =
          new org.apache.arrow.vector.types.pojo.DictionaryEncoding(5, false, new ArrowType.Int(32, true));
      org.apache.arrow.vector.IntVector c =
          s.addOrGet("c", new FieldType(true, new ArrowType.Int(32, true), encoding), org.apache.arrow.vector.IntVector.class);
      s.allocateNew();
      c.setSafe(0, 1);
      c.setSafe(1, 0);
      s.setIndexDefined(0);
      s.setIndexDefined(1);
      s.setValueCount(2);
      in = withColumn("nested-dict.arrow", dy, s, new org.apache.arrow.vector.dictionary.DictionaryProvider
          .MapDictionaryProvider(new org.apache.arrow.vector.dictionary.Dictionary(values, encoding)), a);
    }
    org.convgrad.io.arrow.TensorFormatException e =
        assertThrows(org.convgrad.io.arrow.TensorFormatException.class, () -> TensorFiles.read(in));
    assertTrue(e.getMessage().startsWith(in + ": column s holds a dictionary-encoded field (c)"), e.getMessage());
  }

  @Test
  void aCarriedColumnWhoseBuffersDoNotHoldTogetherIsCorruptNamingTheFile() throws IOException {
    Path in = withLabels(random(DType.FLOAT32, Shape.of(2, 2, 2, 3), 5), false, true);
    org.convgrad.io.arrow.TensorFormatException e =
        assertThrows(org.convgrad.io.arrow.TensorFormatException.class, () -> TensorFiles.read(in));
    assertTrue(e.getMessage().startsWith(in + ": corrupt: a column beside the tensor does not hold together"),
        e.getMessage());
  }

  @Test
  void rejectsUnknownExtensionsAndBfloat16() {
    Tensor t = random(DType.FLOAT32, Shape.of(2), 1);
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
        () -> TensorFiles.write(dir.resolve("x.csv"), t, null, null));
    assertTrue(e.getMessage().contains(".npy or .arrow"), e.getMessage());
    assertThrows(InvalidArgumentException.class, () -> TensorFiles.read(dir.resolve("x.txt")));
    Tensor b = Tensor.zeros(DType.BFLOAT16, Shape.of(2, 2));
    assertThrows(InvalidArgumentException.class, () -> TensorFiles.write(dir.resolve("b.arrow"), b, null, null));
    assertThrows(InvalidArgumentException.class, () -> TensorFiles.write(dir.resolve("b.npy"), b, null, null));
  }

  @Test
  void anIdColumnOfAnotherTypeIsCarriedOnceWithItsTypeAndValues() throws IOException {
    Tensor dy = random(DType.FLOAT32, Shape.of(3, 2, 2, 3), 1);
    Field id = new Field("id", FieldType.nullable(new ArrowType.Utf8()), null);
    Path in = dir.resolve("dy.arrow");
    try (BufferAllocator a = new RootAllocator(); VarCharVector ids = strings("id", "img-", 3, a)) {
      try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NHWC, 2, 2, 3, DType.FLOAT32)
          .idColumn(false).carriedFields(List.of(id)).openFile(in, a)) {
        w.write(new long[3], dy, List.of(ids));
      }
    }
    Path out = dir.resolve("dx.arrow");
    TensorFiles.write(out, random(DType.FLOAT32, Shape.of(3, 4, 4, 1), 2), DataFormat.NHWC, TensorFiles.read(in));
    try (BufferAllocator a = new RootAllocator(); TensorIpcReader r = TensorIpcReader.openFile(out, a)) {
      assertEquals(1, r.schema().getFields().stream().filter(f -> f.getName().equals("id")).count(), r.schema().toString());
      assertEquals(new ArrowType.Utf8(), r.schema().findField("id").getType());
      r.loadNextBatch();
      assertEquals("img-2", r.root().getVector("id").getObject(2).toString());
    }
    assertEquals(3, TensorFiles.read(out).rows(), "the result reads again");
  }

  @Test
  void aWriteThatFailsLeavesNoFileThoughTheWriterIsClosed() throws IOException {
    Path f = dir.resolve("x.arrow");
    try (BufferAllocator a = new RootAllocator()) {
      assertThrows(InvalidArgumentException.class, () -> {
        try (TensorIpcWriter w = TensorIpcWriter.builder(DataFormat.NHWC, 2, 2, 1, DType.FLOAT32).openFile(f, a)) {
          w.write(0, random(DType.FLOAT32, Shape.of(1, 2, 2, 1), 1));
          w.write(1, random(DType.FLOAT32, Shape.of(1, 3, 3, 1), 1)); // the wrong shape, after a good batch
        }
      });
    }
    try (var files = java.nio.file.Files.list(dir)) {
      assertEquals(List.of(), files.toList(), "no file under the final name, no temporary file");
    }
  }

  @Test
  void metadataConvgradCannotHonourIsRefusedNotIgnored() throws IOException {
    Tensor dy = random(DType.FLOAT32, Shape.of(2, 2, 2, 3), 1);
    org.convgrad.io.arrow.FixedShapeTensorType[] types = {
      new org.convgrad.io.arrow.FixedShapeTensorType(new long[] {2, 2, 3}, List.of("Y", "X", "C"), null),
      new org.convgrad.io.arrow.FixedShapeTensorType(new long[] {2, 2, 3}, null, new int[] {2, 0, 1})};
    for (var type : types) {
      Path in = dir.resolve("odd.arrow");
      java.nio.file.Files.deleteIfExists(in);
      try (BufferAllocator a = new RootAllocator();
          TensorIpcWriter w = TensorIpcWriter.builder(type, DType.FLOAT32).openFile(in, a)) {
        w.write(0, dy);
      }
      org.convgrad.io.arrow.TensorFormatException e =
          assertThrows(org.convgrad.io.arrow.TensorFormatException.class, () -> TensorFiles.read(in));
      assertTrue(e.getMessage().contains(type.dimNames() != null ? "dim_names [Y, X, C]" : "permutation [2, 0, 1]"),
          e.getMessage());
    }
    Path filter = dir.resolve("w.arrow");
    try (BufferAllocator a = new RootAllocator();
        TensorIpcWriter w = TensorIpcWriter.builder(new org.convgrad.io.arrow.FixedShapeTensorType(
            new long[] {3, 3, 2, 4}, List.of("O", "I", "H", "W"), null), DType.FLOAT32).openFile(filter, a)) {
      w.write(0, random(DType.FLOAT32, Shape.of(1, 3, 3, 2, 4), 3));
    }
    assertTrue(assertThrows(org.convgrad.io.arrow.TensorFormatException.class, () -> TensorFiles.readFilter(filter))
        .getMessage().contains("a filter's are H,W,I,O"));
  }

  /** A Utf8 column {@code name} of {@code n} values {@code prefix + row}. */
  private static VarCharVector strings(String name, String prefix, int n, BufferAllocator a) {
    VarCharVector v = new VarCharVector(name, a);
    v.allocateNew();
    for (int i = 0; i < n; i++) {
      v.setSafe(i, (prefix + i).getBytes(StandardCharsets.UTF_8));
    }
    v.setValueCount(n);
    return v;
  }
}
