package org.convgrad.bench;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.nn.Conv2dBackpropInput;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TNumber;

/**
 * TensorFlow's own CPU kernel ({@code Conv2DBackpropInput} through a Graph and one reused Session,
 * intra-op parallelism = the thread count), float32 or float64, NHWC.
 */
final class TfAnchor implements AutoCloseable {
  private final Graph graph = new Graph();
  private final Session session;
  private final org.tensorflow.Tensor filter;
  private final org.tensorflow.Tensor dy;
  private final Placeholder<?> filterIn;
  private final Placeholder<?> dyIn;
  private final Conv2dBackpropInput<?> out;

  TfAnchor(Shapes s, int threads, float[] w, float[] dyValues) {
    this(s, threads, TFloat32.tensorOf(Shape.of(s.fh(), s.fw(), s.ic(), s.oc()), DataBuffers.of(w, true, false)),
        TFloat32.tensorOf(Shape.of(s.n(), s.outH(), s.outW(), s.oc()), DataBuffers.of(dyValues, true, false)),
        TFloat32.class);
  }

  TfAnchor(Shapes s, int threads, double[] w, double[] dyValues) {
    this(s, threads, TFloat64.tensorOf(Shape.of(s.fh(), s.fw(), s.ic(), s.oc()), DataBuffers.of(w, true, false)),
        TFloat64.tensorOf(Shape.of(s.n(), s.outH(), s.outW(), s.oc()), DataBuffers.of(dyValues, true, false)),
        TFloat64.class);
  }

  private <T extends TNumber> TfAnchor(
      Shapes s, int threads, org.tensorflow.Tensor w, org.tensorflow.Tensor dyValues, Class<T> type) {
    this.filter = w;
    this.dy = dyValues;
    Ops tf = Ops.create(graph);
    Placeholder<T> f = tf.placeholder(type);
    Placeholder<T> d = tf.placeholder(type);
    Operand<org.tensorflow.types.TInt32> sizes = tf.constant(new int[] {s.n(), s.h(), s.w(), s.ic()});
    filterIn = f;
    dyIn = d;
    out = tf.nn.conv2dBackpropInput(
        sizes, f, d, List.of(1L, (long) s.stride(), (long) s.stride(), 1L), s.padding().name());
    ConfigProto config =
        ConfigProto.newBuilder().setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(1).build();
    session = new Session(graph, config);
  }

  /** One call; the result tensor is closed. */
  void run() {
    try (Result r = session.runner().feed(filterIn, filter).feed(dyIn, dy).fetch(out).run()) {
      r.get(0);
    }
  }

  /** One call, its result as floats (NHWC). */
  float[] resultFloats(int size) {
    try (Result r = session.runner().feed(filterIn, filter).feed(dyIn, dy).fetch(out).run()) {
      float[] v = new float[size];
      ((TFloat32) r.get(0)).copyTo(DataBuffers.of(v, false, false));
      return v;
    }
  }

  @Override
  public void close() {
    session.close();
    graph.close();
    filter.close();
    dy.close();
  }
}
