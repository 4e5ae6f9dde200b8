package org.convgrad.engine.tf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.nn.Conv2dBackpropInput;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TNumber;

/**
 * TensorFlow's own {@code Conv2DBackpropInput} (TensorFlow Java 1.1.0, TF 2.18's CPU kernel) on raw
 * little-endian bytes: the specification the differential tests compare with. One cached Graph and
 * Session per attribute set; placeholders of unknown shape, so every check runs in the kernel.
 *
 * <p>Grappler is off: with it on, a zero stride kills the JVM with SIGFPE in its cost estimator.
 * Never pass 2-value input_sizes with a filter of rank below 3: TF aborts the process.
 */
public final class TensorFlowOracle {
  private static final ConfigProto CONFIG =
      ConfigProto.newBuilder()
          .setGraphOptions(
              GraphOptions.newBuilder()
                  .setRewriteOptions(RewriterConfig.newBuilder().setDisableMetaOptimizer(true))
                  .setOptimizerOptions(
                      OptimizerOptions.newBuilder()
                          .setOptLevel(OptimizerOptions.Level.L0)
                          .setDoConstantFolding(false)))
          .setIntraOpParallelismThreads(1)
          .setInterOpParallelismThreads(1)
          .build();

  private static final Map<String, Compiled> CACHE = new HashMap<>();

  private TensorFlowOracle() {}

  /**
   * Runs TF's op. Throws TF's own exception ({@code org.tensorflow.exceptions.TensorFlowException})
   * when TF rejects the arguments.
   *
   * @return the result's bytes, little-endian, and its shape
   */
  public static synchronized Output run(
      DType dtype, long[] inputSizes, byte[] filter, Shape filterShape, byte[] dy, Shape dyShape,
      long[] strides, String padding, long[] explicitPaddings, long[] dilations, DataFormat format) {
    Class<? extends TNumber> type = tfType(dtype);
    String key = type.getSimpleName() + "|" + List.of(box(strides)) + "|" + padding + "|"
        + List.of(box(explicitPaddings)) + "|" + List.of(box(dilations)) + "|" + format;
    Compiled c = CACHE.computeIfAbsent(key, k -> new Compiled(type, strides, padding, explicitPaddings, dilations, format));
    int[] sizes = new int[inputSizes.length];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = Math.toIntExact(inputSizes[i]);
    }
    try (TInt32 sz = TInt32.vectorOf(sizes);
        org.tensorflow.Tensor f = tensor(type, filterShape, filter);
        org.tensorflow.Tensor d = tensor(type, dyShape, dy);
        Result r = c.session.runner().feed(c.sizes, sz).feed(c.filter, f).feed(c.dy, d).fetch(c.out).run()) {
      org.tensorflow.Tensor out = r.get(0);
      ByteDataBuffer raw = out.asRawTensor().data();
      byte[] bytes = new byte[(int) raw.size()];
      raw.read(bytes);
      return new Output(bytes, Shape.of(out.shape().asArray()));
    }
  }

  /** TF's result: little-endian bytes and shape. */
  public static final class Output {
    public final byte[] bytes;
    public final Shape shape;

    Output(byte[] bytes, Shape shape) {
      this.bytes = bytes;
      this.shape = shape;
    }

    public ByteBuffer buffer() {
      return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static org.tensorflow.Tensor tensor(Class<? extends TNumber> type, Shape shape, byte[] bytes) {
    ByteBuffer b = ByteBuffer.allocate(bytes.length).order(ByteOrder.LITTLE_ENDIAN).put(bytes);
    b.rewind();
    return org.tensorflow.Tensor.of((Class) type, org.tensorflow.ndarray.Shape.of(shape.toArray()), DataBuffers.of(b));
  }

  private static Class<? extends TNumber> tfType(DType dtype) {
    switch (dtype) {
      case HALF:
        return TFloat16.class;
      case BFLOAT16:
        return TBfloat16.class;
      case FLOAT32:
        return TFloat32.class;
      default:
        return TFloat64.class;
    }
  }

  private static Long[] box(long[] a) {
    Long[] out = new Long[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }

  private static final class Compiled {
    final Graph graph;
    final Session session;
    final Placeholder<TInt32> sizes;
    final Placeholder<?> filter;
    final Placeholder<?> dy;
    final Conv2dBackpropInput<?> out;

    @SuppressWarnings({"unchecked", "rawtypes"})
    Compiled(Class<? extends TNumber> type, long[] strides, String padding, long[] explicit, long[] dilations, DataFormat format) {
      graph = new Graph();
      try {
        Ops tf = Ops.create(graph);
        sizes = tf.placeholder(TInt32.class);
        filter = tf.placeholder((Class) type);
        dy = tf.placeholder((Class) type);
        List<Conv2dBackpropInput.Options> options = new ArrayList<>();
        if (explicit.length > 0) {
          options.add(Conv2dBackpropInput.explicitPaddings(List.of(box(explicit))));
        }
        options.add(Conv2dBackpropInput.dilations(List.of(box(dilations))));
        options.add(Conv2dBackpropInput.dataFormat(format.name()));
        out = tf.nn.conv2dBackpropInput(
            sizes, (Operand) filter, (Operand) dy, List.of(box(strides)), padding,
            options.toArray(new Conv2dBackpropInput.Options[0]));
      } catch (RuntimeException e) {
        graph.close();
        throw e;
      }
      session = new Session(graph, CONFIG);
    }
  }
}
