package org.convgrad.spark

import java.nio.file.Files
import java.nio.file.Path
import org.apache.spark.sql.RowFactory
import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.types.DataTypes
import org.apache.spark.sql.types.StructType
import org.convgrad.engine.DType
import org.convgrad.engine.DataFormat
import org.convgrad.engine.Padding.SAME
import org.convgrad.engine.conv2dBackpropInput
import org.convgrad.io.npy.Npy
import org.convgrad.spark.job.EngineChoice
import org.convgrad.spark.testing.JobFixture
import org.convgrad.spark.testing.SparkTest
import org.convgrad.spark.testing.TestData
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** The README's Kotlin examples, run on local[2]: the job as a block, the DataFrame API as an extension. */
@SparkTest
class KotlinJobApiTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `a job block runs the job and gives the command line's bits`(spark: SparkSession) {
        val f = JobFixture(dir, DataFormat.NHWC, DType.FLOAT32)
        val data = f.dataset.toString()
        val out = dir.resolve("dx").toString()
        // README: the job block
        val result = spark.convgradJob {
            outBackprop(data)
            filter(f.filterFile.toString())
            op {
                inputSizes(11, 11)
                strides(2)
                padding = SAME
            }
            output(out)
            assemble("$out.npy")
            engine = EngineChoice.CPU
            samplesPerTask = 5
        }
        println(result.summary())
        // end README
        assertArrayEquals(Files.readAllBytes(f.expectedNpy()), Files.readAllBytes(dir.resolve("dx.npy")))
        assertEquals(12L, result.samples())
        assertEquals(3, result.parts().size)
    }

    @Test
    fun `a setting set back to null is the default, and bands come from the block too`(spark: SparkSession) {
        val f = JobFixture(dir, DataFormat.NHWC, DType.FLOAT32)
        val op = conv2dBackpropInput { inputSizes(11, 11); strides(2); padding = SAME }
        fun JobScope.problem(data: String, out: String) {
            outBackprop(data)
            filter(f.filterFile.toString())
            op(op)
            output(dir.resolve(out).toString())
            assemble(dir.resolve("$out.npy").toString())
        }
        val byDefault = spark.convgradJob { problem(f.dataset.toString(), "default") }
        val reset = spark.convgradJob {
            problem(f.dataset.toString(), "reset")
            samplesPerTask = 1
            samplesPerTask = null
        }
        assertEquals(byDefault.parts().size, reset.parts().size)
        val npy = TestData.npy(dir.resolve("dy.npy"), f.dy)
        val banded = spark.convgradJob {
            problem(npy.toString(), "banded")
            bandRows = 4
        }
        // A 3x3 filter at stride 2 runs blocks of eight rows: bands of 4 become 8, two a sample of 11 rows.
        assertEquals(12 * 2, banded.parts().size, "11 rows in bands of 8: two a sample")
        assertArrayEquals(Files.readAllBytes(f.expectedNpy()), Files.readAllBytes(dir.resolve("banded.npy")))
    }

    @Test
    fun `a DataFrame gets its input gradient column from an op block`(spark: SparkSession) {
        val f = JobFixture(dir, DataFormat.NHWC, DType.FLOAT32)
        val per = 6 * 6 * 3
        val samples = f.dy.float32Data()
        val rows = (0 until 12).map { i -> RowFactory.create(i.toLong(), (0 until per).map { samples[i * per + it] }.toTypedArray()) }
        val schema = StructType().add("id", DataTypes.LongType).add("dy", DataTypes.createArrayType(DataTypes.FloatType, false))
        val df = spark.createDataFrame(rows, schema)
        val filter = Npy.read(f.filterFile)
        // README: the DataFrame extension
        val withDx = df.backpropInput("dy", "dx", filter) {
            inputSizes(11, 11)
            strides(2)
            padding = SAME
        }
        // end README
        val expected = f.expected().float32Data()
        val got = withDx.orderBy("id").collectAsList()
        assertEquals(12, got.size)
        val outPer = 11 * 11 * 2
        for (i in 0 until 12) {
            val dx = got[i].getList<Float>(2).toFloatArray()
            assertArrayEquals(expected.copyOfRange(i * outPer, (i + 1) * outPer), dx, "row $i")
        }
    }
}
