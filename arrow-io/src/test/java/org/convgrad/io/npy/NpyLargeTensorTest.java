package org.convgrad.io.npy;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.random;
import static org.convgrad.io.npy.NpyBoxes.assertWrittenAsNpyWriteWrites;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.LargeTensor;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Npy#readLarge} and {@link Npy#write(Path, org.convgrad.engine.tensor.LargeTensor)}: whole arrays beyond one tensor, slab by slab. */
class NpyLargeTensorTest {
  @TempDir Path dir;


  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"HALF", "FLOAT32", "FLOAT64"})
  void aLargeTensorIsReadAndWrittenSlabBySlabAsNpyReadsAndWritesTheWhole(DType dtype) throws IOException {
    Shape[] shapes = {Shape.of(13), Shape.of(5, 7), Shape.of(1, 9, 7, 3), Shape.of(2, 3, 9, 7), Shape.of(2, 0, 3)};
    for (Shape shape : shapes) {
      Tensor whole = random(dtype, shape, shape.rank());
      Path f = dir.resolve("a.npy");
      Npy.write(f, whole);
      for (long slab : new long[] {1, 5, 22, 64, Npy.SLAB_ELEMENTS}) {
        LargeTensor large = Npy.readLarge(f, 7, slab); // chunks of 7: slabs cross chunks
        assertSameTensor(whole, large.toTensor());
        Path target = dir.resolve("large.npy");
        Npy.write(target, large, slab);
        assertWrittenAsNpyWriteWrites(dir, whole, target);
      }
      assertSameTensor(whole, Npy.readLarge(f).toTensor());
    }
  }

  @Test
  void aTruncatedFileIsRefusedBeforeALargeTensorIsAllocated() throws IOException {
    Path f = dir.resolve("t.npy");
    // The header claims 2^33 float32 elements (32 GiB): refused from the file's size, nothing allocated.
    Files.write(f, Npy.headerBytes(DType.FLOAT32, Shape.of(1 << 17, 1 << 16)));
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.readLarge(f));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }
}
