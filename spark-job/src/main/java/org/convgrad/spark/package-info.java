/**
 * The Spark batch job of convgrad: {@code conv2d_backprop_input} over a dataset of out_backprop
 * samples, sharded over executors, exchanged as Arrow IPC, committed and reassembled.
 *
 * <ul>
 *   <li>{@link org.convgrad.spark.job}: the driver: options, validation, shard planning, the
 *       job's run and summary ({@link org.convgrad.spark.job.ConvgradSparkJob} is the main
 *       class for spark-submit);
 *   <li>{@link org.convgrad.spark.task}: executor work: shard reading, engine batches, parts;
 *   <li>{@link org.convgrad.spark.commit}: the output commit protocol and the manifest;
 *   <li>{@link org.convgrad.spark.io}: Hadoop file system access and the dataset formats;
 *   <li>{@link org.convgrad.spark.frame}: the DataFrame API.
 * </ul>
 */
@NullMarked
package org.convgrad.spark;

import org.jspecify.annotations.NullMarked;
