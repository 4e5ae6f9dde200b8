package org.convgrad.io.npy;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.interopTensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.Processes;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NumPy reads every .npy file convgrad writes, and convgrad reads what NumPy writes (headers 1.0,
 * 2.0 and 3.0, big-endian, and rejects Fortran order). Needs {@code python3} with NumPy ({@code
 * apt-get install python3-numpy}); skipped with a reason otherwise.
 */
class NumpyInteropTest {
  static final String PYTHON = System.getenv().getOrDefault("CONVGRAD_PYTHON", "python3");

  @TempDir Path dir;

  @BeforeAll
  static void needNumpy() {
    Assumptions.assumeTrue(Processes.works(List.of(PYTHON, "-c", "import numpy")),
        "skipped: " + PYTHON + " with NumPy is not installed (apt-get install python3-numpy)");
  }

  static final String VALUES = "import numpy as np, sys\n"
      + "def values(shape, dt):\n"
      + "    n = int(np.prod(shape, dtype=np.int64))\n"
      + "    return ((((np.arange(n, dtype=np.int64) * 7) % 97) * 0.25) - 12).astype(dt).reshape(shape)\n";

  static final long[][] SHAPES = {{}, {0}, {7}, {3, 4}, {2, 3, 4, 5}, {4, 0, 2}};

  static String pyShape(long[] s) {
    StringBuilder b = new StringBuilder("(");
    for (long d : s) {
      b.append(d).append(',');
    }
    return b.append(')').toString();
  }

  static String npType(DType d) {
    return d == DType.HALF ? "<f2" : d == DType.FLOAT32 ? "<f4" : "<f8";
  }

  private void python(String script) throws IOException, InterruptedException {
    Processes.Result r = Processes.run(dir, List.of(PYTHON, "-c", VALUES + script));
    assertTrue(r.ok(), "python failed:\n" + r.output());
  }

  @Test
  void numpyReadsWhatConvgradWrites() throws Exception {
    StringBuilder checks = new StringBuilder();
    for (DType d : new DType[] {DType.HALF, DType.FLOAT32, DType.FLOAT64}) {
      for (int i = 0; i < SHAPES.length; i++) {
        String name = "j_" + d + "_" + i + ".npy";
        Npy.write(dir.resolve(name), interopTensor(d, Shape.of(SHAPES[i])));
        checks.append("a = np.load('").append(name).append("')\n")
            .append("assert a.dtype == np.dtype('").append(npType(d)).append("'), ('").append(name).append("', a.dtype)\n")
            .append("assert a.shape == ").append(pyShape(SHAPES[i])).append(", ('").append(name).append("', a.shape)\n")
            .append("assert a.flags['C_CONTIGUOUS']\n")
            .append("assert np.array_equal(a, values(").append(pyShape(SHAPES[i])).append(", '").append(npType(d))
            .append("')), '").append(name).append("'\n")
            .append("raw = open('").append(name).append("', 'rb').read()\n")
            .append("assert raw[6:8] == b'\\x01\\x00' and (10 + int.from_bytes(raw[8:10], 'little')) % 64 == 0\n");
      }
    }
    python(checks.toString());
  }

  @Test
  void convgradReadsWhatNumpyWrites() throws Exception {
    StringBuilder writes = new StringBuilder();
    List<Object[]> expected = new ArrayList<>();
    int k = 0;
    for (DType d : new DType[] {DType.HALF, DType.FLOAT32, DType.FLOAT64}) {
      for (long[] shape : SHAPES) {
        String t = npType(d);
        String base = "p" + k++;
        writes.append("a = values(").append(pyShape(shape)).append(", '").append(t).append("')\n")
            .append("np.save('").append(base).append("_v1.npy', a)\n")
            .append("np.save('").append(base).append("_be.npy', a.astype('").append(t.replace('<', '>')).append("'))\n")
            .append("with open('").append(base).append("_v2.npy', 'wb') as f: np.lib.format.write_array(f, a, version=(2, 0))\n")
            .append("with open('").append(base).append("_v3.npy', 'wb') as f: np.lib.format.write_array(f, a, version=(3, 0))\n");
        expected.add(new Object[] {base, d, shape});
      }
    }
    writes.append("np.save('fortran.npy', np.asfortranarray(values((3, 4), '<f4')))\n")
        .append("np.save('ints.npy', np.arange(6, dtype='<i4'))\n");
    python(writes.toString());
    for (Object[] e : expected) {
      Tensor want = interopTensor((DType) e[1], Shape.of((long[]) e[2]));
      for (String suffix : new String[] {"_v1", "_be", "_v2", "_v3"}) {
        Path f = dir.resolve(e[0] + suffix + ".npy");
        assertSameTensor(want, Npy.read(f));
        NpyHeader h = Npy.readHeader(f);
        if (suffix.equals("_v2")) {
          assertEquals(2, h.majorVersion());
        } else if (suffix.equals("_v3")) {
          assertEquals(3, h.majorVersion());
        }
        long[] shape = (long[]) e[2];
        if (shape.length > 0 && shape[0] > 1) {
          Tensor part = Npy.readRange(f, 1, (int) shape[0] - 1);
          long[] dims = shape.clone();
          dims[0] = shape[0] - 1;
          assertEquals(Shape.of(dims), part.shape(), Arrays.toString(shape));
        }
      }
    }
    NpyFormatException fortran = assertThrows(NpyFormatException.class, () -> Npy.read(dir.resolve("fortran.npy")));
    assertTrue(fortran.getMessage().contains("fortran_order is True"), fortran.getMessage());
    assertTrue(Npy.readHeader(dir.resolve("fortran.npy")).fortranOrder());
    NpyFormatException ints = assertThrows(NpyFormatException.class, () -> Npy.read(dir.resolve("ints.npy")));
    assertTrue(ints.getMessage().contains("'<i4'"), ints.getMessage());
    assertTrue(Files.size(dir.resolve("p0_v1.npy")) > 0);
  }
}
