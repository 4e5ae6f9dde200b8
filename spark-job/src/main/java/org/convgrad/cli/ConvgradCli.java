package org.convgrad.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import org.convgrad.engine.InvalidArgumentException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code convgrad}: TensorFlow's conv2d_backprop_input on the command line.
 *
 * <p>Exit status: 0 on success; 2 for a rejected argument or input (one line on standard error,
 * starting {@code InvalidArgument:}) and for an unreadable or corrupt file (one line naming the
 * file); 1 for anything else.
 */
@Command(
    name = "convgrad",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "TensorFlow's conv2d_backprop_input on the JVM: exact, fast, deterministic.",
    subcommands = {BackpropInputCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class ConvgradCli {
  public static final int EXIT_REJECTED = 2;

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line; returns the exit status. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new ConvgradCli());
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler(
        (e, a) -> {
          err.println("InvalidArgument: " + e.getMessage() + " (see convgrad "
              + e.getCommandLine().getCommandName() + " --help)");
          return EXIT_REJECTED;
        });
    cli.setExecutionExceptionHandler(
        (e, c, parsed) -> {
          err.println(oneLine(e));
          return e instanceof InvalidArgumentException || isIoFailure(e) ? EXIT_REJECTED : 1;
        });
    return cli.execute(args);
  }

  private static boolean isIoFailure(Exception e) {
    return e instanceof IOException || e instanceof UncheckedIOException;
  }

  /** The one line a failure prints: never a stack trace for a rejected input. */
  static String oneLine(Exception e) {
    if (e instanceof InvalidArgumentException) {
      return ((InvalidArgumentException) e).toLine();
    }
    Throwable t = e instanceof UncheckedIOException ? e.getCause() : e;
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    if (t instanceof java.nio.file.NoSuchFileException) {
      message = "no such file: " + message;
    } else if (t instanceof java.nio.file.AccessDeniedException) {
      message = "permission denied: " + message;
    }
    return (isIoFailure(e) ? "Error: " : "Error (" + t.getClass().getSimpleName() + "): ") + message.replace('\n', ' ');
  }
}
