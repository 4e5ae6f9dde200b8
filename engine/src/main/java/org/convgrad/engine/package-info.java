/**
 * convgrad's engine: TensorFlow's {@code conv2d_backprop_input} on the JVM.
 *
 * <p>Start from {@link org.convgrad.engine.ConvGrad#backpropInput}. The layers are those of
 * oneDNN: {@link org.convgrad.engine.Conv2dBackpropInput} validates the arguments and computes
 * the geometry once; {@link org.convgrad.engine.kernel} holds the reference kernel (the oracle)
 * and the optimized kernels; {@link org.convgrad.engine.Engine} picks one and says which.
 */
@NullMarked
package org.convgrad.engine;

import org.jspecify.annotations.NullMarked;
