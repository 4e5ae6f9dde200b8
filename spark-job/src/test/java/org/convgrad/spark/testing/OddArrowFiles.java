package org.convgrad.spark.testing;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.Field;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.arrow.FixedShapeTensorType;
import org.convgrad.io.arrow.FixedShapeTensorVector;
import org.convgrad.io.arrow.TensorVectors;

/**
 * Arrow IPC files of samples the way other tools write them, with Arrow's own writer: an id column
 * of another type than int64, a second tensor column, dimension names or a permutation convgrad
 * does not know, a null sample. What users bring, and what convgrad must carry or refuse in one line.
 */
public final class OddArrowFiles {
  private OddArrowFiles() {}

  /** The kind of {@code id} column to write. */
  public enum Ids {
    UTF8,
    INT32,
    FLOAT64,
    NONE
  }

  /**
   * Writes {@code samples} ({@code [n, h, w, c]}) as one record batch: an {@code id} column of
   * {@code ids} (values "s0", "s1"... / 100, 101... / 0.5, 1.5...), the tensor column {@code dy}
   * of {@code type}, and when {@code second} is non-null a second tensor column {@code dy2}.
   * {@code nullRow} >= 0 makes that row's sample null.
   */
  public static Path write(Path file, Tensor samples, FixedShapeTensorType type, Ids ids, Tensor second,
      int nullRow) throws IOException {
    try (BufferAllocator a = new RootAllocator()) {
      int n = (int) samples.shape().get(0);
      List<FieldVector> vectors = new ArrayList<>();
      List<Field> fields = new ArrayList<>();
      if (ids != Ids.NONE) {
        vectors.add(idVector(ids, n, a));
        fields.add(vectors.get(0).getField());
      }
      FixedShapeTensorVector dy = TensorVectors.toVector("dy", samples, type, a);
      if (nullRow >= 0) {
        dy.getUnderlyingVector().setNull(nullRow);
      }
      vectors.add(dy);
      fields.add(TensorVectors.field("dy", type, samples.dtype()));
      if (second != null) {
        vectors.add(TensorVectors.toVector("dy2", second, type, a));
        fields.add(TensorVectors.field("dy2", type, second.dtype()));
      }
      try (VectorSchemaRoot root = new VectorSchemaRoot(fields, vectors);
          FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
        root.setRowCount(n);
        w.start();
        w.writeBatch();
        w.end();
      }
    }
    return file;
  }

  /** {@link #write} without a second column or a null row. */
  public static Path write(Path file, Tensor samples, FixedShapeTensorType type, Ids ids) throws IOException {
    return write(file, samples, type, ids, null, -1);
  }

  private static FieldVector idVector(Ids ids, int n, BufferAllocator a) {
    switch (ids) {
      case UTF8: {
        VarCharVector v = new VarCharVector("id", a);
        v.allocateNew(n);
        for (int i = 0; i < n; i++) {
          v.setSafe(i, ("s" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        v.setValueCount(n);
        return v;
      }
      case INT32: {
        IntVector v = new IntVector("id", a);
        v.allocateNew(n);
        for (int i = 0; i < n; i++) {
          v.set(i, 100 + i);
        }
        v.setValueCount(n);
        return v;
      }
      default: {
        Float8Vector v = new Float8Vector("id", a);
        v.allocateNew(n);
        for (int i = 0; i < n; i++) {
          v.set(i, i + 0.5);
        }
        v.setValueCount(n);
        return v;
      }
    }
  }
}
