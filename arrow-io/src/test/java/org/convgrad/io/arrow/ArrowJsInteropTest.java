package org.convgrad.io.arrow;

import static org.convgrad.io.TestTensors.assertSameTensor;
import static org.convgrad.io.TestTensors.interopTensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.Processes;
import org.convgrad.io.TensorFile;
import org.convgrad.io.TensorFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The npm package apache-arrow (an independent Arrow implementation) reads the files convgrad
 * writes and convgrad reads the files it writes. Needs {@code node} and {@code npm ci --prefix
 * arrow-io/src/test/js}; skipped with a reason otherwise.
 */
class ArrowJsInteropTest extends ArrowMemoryTest {
  static final Path JS = Path.of("src/test/js").toAbsolutePath();

  @TempDir Path dir;

  @BeforeAll
  static void needNode() {
    Assumptions.assumeTrue(Processes.works(List.of("node", "--version")), "skipped: node is not installed");
    Assumptions.assumeTrue(Files.isDirectory(JS.resolve("node_modules/apache-arrow")),
        "skipped: apache-arrow is not installed; run: npm ci --prefix arrow-io/src/test/js");
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (DType d : new DType[] {DType.HALF, DType.FLOAT32, DType.FLOAT64}) {
      for (String layout : new String[] {"NHWC", "NCHW", "none"}) {
        for (String format : new String[] {"file", "stream"}) {
          out.add(Arguments.of(d, layout, format));
        }
      }
    }
    return out.stream();
  }

  static String jsType(DType d) {
    return d == DType.HALF ? "float16" : d == DType.FLOAT32 ? "float32" : "float64";
  }

  private Processes.Result node(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("node", JS.resolve("interop.mjs").toString()));
    cmd.addAll(List.of(args));
    return Processes.run(JS, cmd);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void apacheArrowJsReadsConvgradFiles(DType dtype, String layout, String format) throws Exception {
    int rows = 5;
    FixedShapeTensorType type = layout.equals("none") ? FixedShapeTensorType.of(2, 3, 4)
        : FixedShapeTensorType.sample(DataFormat.valueOf(layout), 2, 3, 4);
    Tensor t = interopTensor(dtype, TensorVectors.batchShape(type, rows));
    Path f = dir.resolve("j.arrow");
    TensorIpcWriter.Builder b = TensorIpcWriter.builder(type, dtype).maxBatchRows(2);
    try (TensorIpcWriter w = format.equals("file") ? b.openFile(f, allocator) : b.openStream(f, allocator)) {
      w.write(0, t);
    }
    String names = type.dimNames() == null ? "null"
        : "[\"" + String.join("\",\"", type.dimNames()) + "\"]";
    String shape = java.util.Arrays.toString(type.shape()).replace(" ", "");
    Processes.Result r = node("check", f.toString(), jsType(dtype), "" + rows, shape, names, format);
    assertTrue(r.ok(), r.output());
  }

  @ParameterizedTest
  @MethodSource("cases")
  void convgradReadsApacheArrowJsFiles(DType dtype, String layout, String format) throws Exception {
    int rows = 3;
    long[] shape = layout.equals("NCHW") ? new long[] {4, 2, 3} : new long[] {2, 3, 4};
    String names = layout.equals("none") ? "null" : layout.equals("NHWC") ? "[\"H\",\"W\",\"C\"]" : "[\"C\",\"H\",\"W\"]";
    Path f = dir.resolve("js.arrow");
    Processes.Result r = node("write", f.toString(), jsType(dtype), "" + rows,
        java.util.Arrays.toString(shape).replace(" ", ""), names, format);
    assertTrue(r.ok(), r.output());
    Tensor want = interopTensor(dtype, Shape.of(rows, shape[0], shape[1], shape[2]));
    try (TensorIpcReader reader = format.equals("file") ? TensorIpcReader.openFile(f, allocator)
        : TensorIpcReader.openStream(f, allocator)) {
      assertEquals(dtype, reader.column().dtype());
      assertEquals(layout.equals("none") ? null : DataFormat.valueOf(layout), reader.column().dataFormat());
      TensorBatch all = reader.readAll();
      assertSameTensor(want, all.samples());
      assertArrayEquals(new long[] {1000, 1001, 1002}, all.ids());
    }
    TensorFile tf = TensorFiles.read(f);
    assertSameTensor(want, tf.tensor());
  }
}
