package org.convgrad.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code convgrad}: TensorFlow's conv2d_backprop_input on the command line.
 *
 * <p>Exit status: 0 on success; 2 for a rejected command line, op or file, 1 for anything else,
 * each with one line on standard error ({@link ErrorLine} has the rules).
 */
@Command(
    name = "convgrad",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "TensorFlow's conv2d_backprop_input on the JVM: exact, fast, deterministic.",
    subcommands = {BackpropInputCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class ConvgradCli {
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
          err.println(ErrorLine.of(e));
          return ErrorLine.REJECTED;
        });
    cli.setExecutionExceptionHandler(
        (e, c, parsed) -> {
          err.println(ErrorLine.of(e));
          return ErrorLine.exitCode(e);
        });
    try {
      return cli.execute(args);
    } catch (VirtualMachineError e) { // picocli hands its handlers exceptions only; what the heap held is gone now
      err.println(ErrorLine.of(e));
      return ErrorLine.FAILED;
    }
  }
}
