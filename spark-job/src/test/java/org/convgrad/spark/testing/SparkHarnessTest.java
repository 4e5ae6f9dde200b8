package org.convgrad.spark.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@SparkTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkHarnessTest {

  @Test
  @Order(1)
  void sessionIsLocalLoopbackWithoutUi(SparkSession spark, JavaSparkContext jsc) {
    assertEquals(SparkExtension.LOCAL_MASTER, spark.sparkContext().master());
    assertEquals("127.0.0.1", spark.conf().get("spark.driver.host"));
    assertFalse(spark.sparkContext().uiWebUrl().isDefined());
    assertSame(spark.sparkContext(), jsc.sc());
    assertEquals(10, jsc.parallelize(Arrays.asList(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 2).count());
    spark.conf().set("spark.convgrad.test.leftOver", "x");
  }

  @Test
  @Order(2)
  void runtimeSettingsOfAnEarlierTestAreGone(SparkSession spark) {
    assertNull(spark.conf().getOption("spark.convgrad.test.leftOver").getOrElse(() -> null));
  }
}
