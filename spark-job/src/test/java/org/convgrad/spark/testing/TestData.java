package org.convgrad.spark.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.npy.Npy;

/** Random tensors and small datasets for the Spark tests. */
public final class TestData {
  private TestData() {}

  public static Tensor random(DType dtype, long seed, long... shape) {
    Shape s = Shape.of(shape);
    Random r = new Random(seed);
    double[] v = new double[s.checkedArrayLength("test tensor")];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextInt(17) / 8.0 - 1.0 + r.nextGaussian() * 0.01;
    }
    return Tensor.fromDoubles(dtype, s, v);
  }

  public static Path npy(Path file, Tensor t) throws IOException {
    Npy.write(file, t);
    return file;
  }
}
