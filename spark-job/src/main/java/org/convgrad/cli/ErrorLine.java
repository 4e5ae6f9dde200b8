package org.convgrad.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.convgrad.engine.EngineUnavailableException;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.io.OutputWriteException;
import org.convgrad.spark.io.DatasetException;
import org.convgrad.spark.job.AssemblyException;
import org.convgrad.spark.job.CommitFailedException;
import org.convgrad.spark.job.TaskRejectionException;
import picocli.CommandLine;

/**
 * The one line and the exit status every failure gets, in {@code convgrad} and {@code
 * convgrad-spark-submit} alike (the README's "Reading errors"):
 *
 * <ul>
 *   <li>{@code Usage error: ... (see CMD --help)}, exit 2: the command line itself (an unknown,
 *       repeated or missing option, a value that is not a number or out of range);
 *   <li>{@code InvalidArgument: ...}, exit 2: the op's arguments, as TensorFlow would reject them;
 *   <li>{@code Error: ...}, exit 2: an input or output convgrad refuses (missing, unreadable,
 *       corrupt, not a regular file, an output that would overwrite an input) or an engine that
 *       cannot run here;
 *   <li>{@code Error: out of memory ...}, exit 1: the JVM's heap (or another of its memories), or a
 *       Spark task's, was too small, with the heap's size and where to set it;
 *   <li>{@code Error: FILE: could not be written: ...}, exit 1: the storage failed an output (a full
 *       disk, a file-size limit); nothing of it was kept;
 *   <li>{@code Error: ...}, exit 1: anything else (a failed Spark job, a bug, a stack overflow),
 *       without its stack trace, which goes to the log at debug level.
 * </ul>
 */
public final class ErrorLine {
  public static final int FAILED = 1;
  public static final int REJECTED = 2;

  /** How the line of an OutOfMemoryError begins, the launcher's or a Spark task's. */
  private static final String OUT_OF_MEMORY = "Error: out of memory";

  private static final String OUT_OF_MEMORY_IN_A_TASK = OUT_OF_MEMORY + " in a task (";

  private ErrorLine() {}

  /** The exit status for {@code e}: {@link #REJECTED} when the user can fix the input, else {@link #FAILED}. */
  public static int exitCode(Throwable e) {
    Throwable t = unwrap(e);
    if (t instanceof AssemblyException || t instanceof CommitFailedException || t instanceof OutputWriteException) {
      return FAILED;
    }
    return t instanceof CommandLine.ParameterException || t instanceof InvalidArgumentException
        || t instanceof TaskRejectionException || t instanceof DatasetException || t instanceof IOException
        || t instanceof EngineUnavailableException ? REJECTED : FAILED;
  }

  /** The line to print for {@code e}. */
  public static String of(Throwable e) {
    Throwable t = unwrap(e);
    if (t instanceof CommandLine.ParameterException) {
      CommandLine.ParameterException p = (CommandLine.ParameterException) t;
      return "Usage error: " + flat(p.getMessage()) + " (see " + p.getCommandLine().getCommandSpec().qualifiedName()
          + " --help)";
    }
    if (t instanceof InvalidArgumentException) {
      return ((InvalidArgumentException) t).toLine();
    }
    if (t instanceof TaskRejectionException) {
      return ((TaskRejectionException) t).line();
    }
    if (t instanceof OutOfMemoryError) {
      return OUT_OF_MEMORY + " (" + t.getMessage() + ", in a heap of " + heapMiB() + " MiB): give the JVM more,"
          + " CONVGRAD_JAVA_OPTS=-Xmx8g for bin/convgrad or --driver-memory 8g for bin/convgrad-spark-submit (a large"
          + " image: --band-rows computes it in bands)";
    }
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    int oom = message.indexOf(OUT_OF_MEMORY_IN_A_TASK); // a failed Spark job's message holds its last task's
    if (oom >= 0) {
      return firstLine(message.substring(oom));
    }
    if (t instanceof NoSuchFileException) {
      message = "no such file: " + message;
    } else if (t instanceof AccessDeniedException) {
      message = "permission denied: " + message;
    }
    if (exitCode(t) == REJECTED || t instanceof AssemblyException || t instanceof CommitFailedException
        || t instanceof OutputWriteException) {
      return "Error: " + flat(message);
    }
    return "Error: convgrad failed: " + firstLine(message) + " (" + t.getClass().getName() + ")";
  }

  /**
   * The line of an OutOfMemoryError in a Spark task, which the task throws on inside an ordinary
   * exception (Spark takes an Error for the end of the JVM); the job's failure then prints it.
   */
  public static String outOfMemoryInTask(OutOfMemoryError e) {
    return OUT_OF_MEMORY_IN_A_TASK + e.getMessage() + ", in a heap of " + heapMiB() + " MiB): lower"
        + " spark.convgrad.batch.maxBytes, or give the executors more memory (--executor-memory; on a local master,"
        + " --driver-memory)";
  }

  private static long heapMiB() {
    return Runtime.getRuntime().maxMemory() >> 20;
  }

  private static Throwable unwrap(Throwable e) {
    // A writer's storage failure, however a library wrapped it (Arrow's writer in a RuntimeException);
    // not inside the job's own failures, whose lines say what of the job is left.
    Throwable c = e;
    for (int depth = 0; c != null && depth < 16; c = c.getCause(), depth++) {
      if (c instanceof AssemblyException || c instanceof CommitFailedException) {
        break;
      }
      if (c instanceof OutputWriteException) {
        return c;
      }
    }
    Throwable t = e;
    while ((t instanceof UncheckedIOException || t instanceof CommandLine.ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String flat(String s) {
    return s.replace('\n', ' ');
  }

  /** A Spark job's failure message holds the task's stack trace after its first line. */
  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
