/**
 * Tensors as Apache Arrow columnar data: the canonical {@code arrow.fixed_shape_tensor} extension
 * type ({@link org.convgrad.io.arrow.FixedShapeTensorType}, {@link
 * org.convgrad.io.arrow.FixedShapeTensorVector}), bulk conversion between engine tensors and
 * vectors ({@link org.convgrad.io.arrow.TensorVectors}), Arrow IPC files and streams of tensor
 * batches ({@link org.convgrad.io.arrow.TensorIpcWriter}, {@link
 * org.convgrad.io.arrow.TensorIpcReader}) and a directory of IPC files read as one dataset of
 * samples ({@link org.convgrad.io.arrow.TensorDataset}).
 *
 * <p>One row is one sample: a column of {@code [h, w, c]} tensors is an NHWC batch, a column of
 * {@code [c, h, w]} tensors an NCHW batch; the dimension names {@code ["H","W","C"]} or {@code
 * ["C","H","W"]} say which. Value types are float16 (Arrow {@code Float2}), float32 and float64.
 * Arrow has no bfloat16 value type: bfloat16 tensors are rejected (widen them to float32 first).
 */
@NullMarked
package org.convgrad.io.arrow;

import org.jspecify.annotations.NullMarked;
