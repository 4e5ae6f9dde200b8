package org.convgrad.spark.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Like {@link SparkTest}, but on {@code local-cluster[2,1,1024]}: a standalone master, two
 * workers and two executors, each executor a JVM of its own (one core, 1 GiB), so closures,
 * broadcasts and task results cross a real serialization boundary. Needs {@code SPARK_HOME}
 * with Spark's runtime jars in {@code jars/} (the build assembles it in
 * {@code spark-job/target/spark-home}) and {@code SPARK_SCALA_VERSION=2.13}; the module's test
 * classpath directories are added to the executors' class path.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(SparkExtension.class)
@Tag("spark-cluster")
@Order(Integer.MAX_VALUE) // after the local[2] classes: one session switch per run
public @interface SparkClusterTest {
  /** Extra SparkContext settings, {@code key=value}. */
  String[] conf() default {};
}
