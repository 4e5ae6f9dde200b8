package org.convgrad.spark.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Like {@link SparkClusterTest}, but on a Spark standalone cluster that the harness starts as
 * separate JVMs ({@link StandaloneCluster}): a Master on 127.0.0.1 and one Worker (1 core, one
 * executor) per address of {@link #workers()}, each bound to its own loopback address, so that
 * Spark sees distinct hosts (what speculation needs: Spark never runs a speculative copy on a host
 * that already runs the task, and local-cluster puts every executor on one host). The cluster's
 * JVMs, executors included, are killed when the session is stopped (or the test JVM exits). Where
 * an address cannot be bound (127.0.0.2 on macOS without an alias), the class is skipped and
 * says why.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(SparkExtension.class)
@Tag("spark-cluster")
@Order(Integer.MAX_VALUE)
public @interface SparkStandaloneTest {
  /** One Worker per address; loopback addresses only. */
  String[] workers() default {"127.0.0.1", "127.0.0.2"};

  /** Extra SparkContext settings, {@code key=value}. */
  String[] conf() default {};
}
