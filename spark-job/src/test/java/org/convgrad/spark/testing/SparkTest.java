package org.convgrad.spark.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class that gets a shared {@link org.apache.spark.sql.SparkSession} on {@code local[2]}
 * (two task threads, loopback, UI off), injected as a parameter of type {@code SparkSession} or
 * {@code JavaSparkContext}. The session is shared by every class that asks for the same settings
 * and stopped at the end of the run; each test's runtime settings, job group and cache are reset
 * after it.
 *
 * <pre>{@code
 * @SparkTest
 * class MyTest {
 *   @Test void counts(SparkSession spark) { assertEquals(3, spark.range(3).count()); }
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(SparkExtension.class)
@Tag("spark")
public @interface SparkTest {
  /**
   * Extra SparkContext settings, {@code key=value}. Classes with different settings get their own
   * session (the previous one is stopped first: one SparkContext per JVM).
   */
  String[] conf() default {};
}
