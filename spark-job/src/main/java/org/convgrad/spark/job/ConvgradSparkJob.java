package org.convgrad.spark.job;

import java.io.PrintWriter;
import org.apache.spark.sql.SparkSession;
import org.convgrad.cli.ErrorLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The main class for spark-submit: {@code conv2d_backprop_input} over a dataset of samples.
 *
 * <pre>
 * spark-submit --class org.convgrad.spark.job.ConvgradSparkJob convgrad-spark-job-app.jar \
 *   --out-backprop s3a://bucket/dy/ --filter s3a://bucket/w.npy \
 *   --input-sizes 56,56 --strides 1 --padding SAME \
 *   --output s3a://bucket/dx/ [--assemble s3a://bucket/dx.npy] [--samples-per-task 64]
 * </pre>
 *
 * A thin shell over {@link ConvgradJob}: parses {@link JobOptions}, runs the job on the active
 * (or a new) session and prints its summary. No master is set here: spark-submit (or
 * bin/convgrad-spark-submit, which defaults to {@code local[*]}) decides where the job runs. Exit
 * status and messages follow {@link ErrorLine}.
 */
public final class ConvgradSparkJob {
  private static final Logger LOG = LoggerFactory.getLogger(ConvgradSparkJob.class);

  private ConvgradSparkJob() {}

  /** When a main method of the job (or the demo) was entered: the end of the JVM's own start-up. */
  static long mainEnteredMillis;

  public static void main(String[] args) {
    mainEntered();
    int code = run(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  static void mainEntered() {
    if (mainEnteredMillis == 0) {
      mainEnteredMillis = System.currentTimeMillis();
    }
  }

  /** Parses {@code args}, runs the job, prints the summary; returns the exit status. */
  public static int run(String[] args) {
    JobOptions options = new JobOptions();
    CommandLine cli = new CommandLine(options);
    PrintWriter out = new PrintWriter(System.out, true);
    cli.setOut(out);
    ConvgradJob job;
    try {
      CommandLine.ParseResult parsed = cli.parseArgs(args);
      if (CommandLine.printHelpIfRequested(parsed)) {
        return 0;
      }
      job = options.toJob(); // every check that needs no data and no Spark: before a SparkContext starts
    } catch (RuntimeException e) {
      System.err.println(ErrorLine.of(e));
      return ErrorLine.exitCode(e);
    }
    SparkSession spark = null;
    boolean created = false;
    try {
      created = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
      long sessionStart = System.currentTimeMillis();
      spark = SparkSession.builder().appName("convgrad conv2d_backprop_input").getOrCreate();
      long jvmStart = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
      String startUp = String.format(java.util.Locale.ROOT, "start-up: %.2f s from the JVM's start to main, %.2f s"
          + " to start Spark", ((mainEnteredMillis > 0 ? mainEnteredMillis : sessionStart) - jvmStart) / 1e3,
          (System.currentTimeMillis() - sessionStart) / 1e3);
      JobResult result = job.run(spark);
      out.println(result.summary());
      if (created) {
        out.println(startUp);
      }
      out.println(result.timeProfile());
      return 0;
    } catch (Exception | VirtualMachineError e) {
      LOG.debug("convgrad job failed", e); // the stack trace, for whoever turns the log level up
      System.err.println(ErrorLine.of(e));
      return ErrorLine.exitCode(e);
    } finally {
      if (spark != null && created) {
        spark.stop();
      }
    }
  }
}
