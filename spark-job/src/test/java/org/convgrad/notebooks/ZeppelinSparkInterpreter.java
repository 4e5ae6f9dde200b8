package org.convgrad.notebooks;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;
import scala.tools.nsc.interpreter.shell.ReplReporterImpl;

/**
 * Runs {@code %spark} paragraphs the way Zeppelin 0.12's Spark interpreter does
 * ({@code SparkScala213Interpreter}): a Scala 2.13 REPL with class-based wrappers that writes its
 * classes to the directory Spark serves to executors ({@code spark.repl.class.outputDir}), {@code
 * spark} and {@code sc} bound to a real session, Zeppelin's imports, and each paragraph one {@code
 * interpret} call whose output (the REPL's echo and what the code prints) is captured.
 */
final class ZeppelinSparkInterpreter implements AutoCloseable {
  /** What one paragraph did. */
  record Outcome(String code, String output) {
    boolean succeeded() {
      return "Success".equals(code);
    }
  }

  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
  private final IMain repl;

  /** A REPL over {@code spark}, writing classes to {@code classDir} (the session's {@code spark.repl.class.outputDir}). */
  ZeppelinSparkInterpreter(SparkSession spark, Path classDir) {
    Settings settings = new Settings();
    settings.processArgumentString("-Yrepl-class-based -Yrepl-outdir " + classDir.toAbsolutePath() + " -usejavacp");
    repl = new IMain(settings, new ReplReporterImpl(settings, new PrintWriter(out, true)));
    repl.initializeCompiler();
    // As Zeppelin binds them: @transient, so that closures never drag the session into a task.
    scala.collection.immutable.List<String> transientVal =
        scala.jdk.javaapi.CollectionConverters.asScala(List.of("@transient")).toList();
    require(repl.bind("spark", SparkSession.class.getName(), spark, transientVal), "bind spark");
    require(repl.bind("sc", org.apache.spark.SparkContext.class.getName(), spark.sparkContext(), transientVal),
        "bind sc");
    for (String imports : List.of("import org.apache.spark.SparkContext._", "import spark.implicits._",
        "import spark.sql", "import org.apache.spark.sql.functions._")) {
      require(run(imports).succeeded(), imports);
    }
  }

  /**
   * Interprets one paragraph. As Zeppelin does, code that the REPL finds incomplete because it
   * ends in a comment is run again with {@code print("")} after it.
   */
  Outcome run(String paragraph) {
    buffer.reset();
    Results.Result result = interpret(paragraph);
    if (result == Results.Incomplete$.MODULE$) {
      buffer.reset();
      result = interpret(paragraph + "\nprint(\"\")");
    }
    String code = result == Results.Success$.MODULE$ ? "Success" : result == Results.Error$.MODULE$ ? "Error"
        : "Incomplete";
    return new Outcome(code, buffer.toString(StandardCharsets.UTF_8));
  }

  private Results.Result interpret(String code) {
    return scala.Console$.MODULE$.withOut(out, (scala.Function0<Results.Result>) () -> repl.interpret(code));
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("the REPL could not " + what);
    }
  }

  private static void require(Results.Result r, String what) {
    require(r == Results.Success$.MODULE$, what);
  }

  @Override
  public void close() {
    repl.close();
  }
}
