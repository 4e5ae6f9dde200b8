@file:JvmName("ConvgradSparkDslKt")

package org.convgrad.spark

import org.apache.spark.sql.Dataset
import org.apache.spark.sql.Row
import org.apache.spark.sql.SparkSession
import org.convgrad.engine.BackpropInputOp
import org.convgrad.engine.ConvgradDsl
import org.convgrad.engine.OpScope
import org.convgrad.engine.conv2dBackpropInput
import org.convgrad.engine.tensor.Tensor
import org.convgrad.spark.frame.ConvgradFrames
import org.convgrad.spark.job.ConvgradJob
import org.convgrad.spark.job.EngineChoice
import org.convgrad.spark.job.JobResult

/**
 * The receiver of [convgradJob]: Kotlin's view of [ConvgradJob.Builder], one call per builder
 * method. The op is described in a nested [op] block.
 */
@ConvgradDsl
class JobScope internal constructor() {
    internal val builder: ConvgradJob.Builder = ConvgradJob.builder()

    /** The op, described as [conv2dBackpropInput] describes it. */
    fun op(block: OpScope.() -> Unit) {
        builder.op(conv2dBackpropInput(block))
    }

    /** The op, described elsewhere. */
    fun op(op: BackpropInputOp) {
        builder.op(op)
    }

    /** The samples: a directory of Arrow IPC files, one `.arrow` or one `.npy`, on any Hadoop file system. */
    fun outBackprop(path: String) {
        builder.outBackprop(path)
    }

    /** The filter, from a `.npy` or `.arrow` file. */
    fun filter(path: String) {
        builder.filter(path)
    }

    /** The filter, as a tensor the program holds. */
    fun filter(tensor: Tensor) {
        builder.filter(tensor)
    }

    /** The output directory (new, or empty). */
    fun output(dir: String) {
        builder.output(dir)
    }

    /** Also writes the whole input gradient as one `.npy` or `.arrow` file. */
    fun assemble(path: String) {
        builder.assemble(path)
    }

    /** Samples per task, at least 1; null (the default): about three tasks per core. */
    var samplesPerTask: Long? = null

    /** Engine threads per task, at least 1; null (the default): the executor's cores / its tasks at once. */
    var threads: Int? = null

    /**
     * Result rows per band of a `.npy` dataset's samples, a task each ([ConvgradJob.Builder.bandRows]);
     * null (the default): bands only for samples larger than a task's batch.
     */
    var bandRows: Long? = null

    /** Which engine the tasks run. Default [EngineChoice.AUTO]. */
    var engine: EngineChoice = EngineChoice.AUTO
        set(value) {
            field = value
            builder.engine(value)
        }

    /** The job, with the settings as the block left them (a setting set back to null is the default). */
    internal fun build(): ConvgradJob {
        samplesPerTask?.let { builder.samplesPerTask(it) }
        threads?.let { builder.threads(it) }
        bandRows?.let { builder.bandRows(it) }
        return builder.build()
    }
}

/**
 * Runs the convgrad job described in [block] on this session and returns what it did:
 *
 * ```
 * val result = spark.convgradJob {
 *     outBackprop("data/dy/")
 *     filter("data/w.npy")
 *     op {
 *         inputSizes(11, 11)
 *         strides(2)
 *         padding = SAME
 *     }
 *     output("out/dx/")
 * }
 * println(result.summary())
 * ```
 *
 * A thin layer over [ConvgradJob.Builder] and [ConvgradJob.run].
 */
fun SparkSession.convgradJob(block: JobScope.() -> Unit): JobResult =
    JobScope().apply(block).build().run(this)

/**
 * This DataFrame with the input gradient of each row's sample in [inputColumn] added as
 * [outputColumn] ([ConvgradFrames.backpropInput]).
 */
fun Dataset<Row>.backpropInput(inputColumn: String, outputColumn: String, filter: Tensor, op: BackpropInputOp): Dataset<Row> =
    ConvgradFrames.backpropInput(this, inputColumn, outputColumn, filter, op)

/** As above, with the op described in a block. */
fun Dataset<Row>.backpropInput(
    inputColumn: String,
    outputColumn: String,
    filter: Tensor,
    op: OpScope.() -> Unit,
): Dataset<Row> = ConvgradFrames.backpropInput(this, inputColumn, outputColumn, filter, conv2dBackpropInput(op))
