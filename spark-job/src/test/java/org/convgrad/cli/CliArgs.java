package org.convgrad.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.convgrad.engine.testing.Problem;

/** A test problem's op as {@code convgrad backprop-input} options. */
final class CliArgs {
  private CliArgs() {}

  static List<String> op(Problem p) {
    List<String> args = new ArrayList<>(List.of(
        "--input-sizes", csv(p.inputSizes), "--strides", csv(p.params.strides()), "--padding",
        p.params.padding().name(), "--dilations", csv(p.params.dilations()), "--data-format",
        p.params.dataFormat().name()));
    if (p.params.explicitPaddings().length > 0) {
      args.addAll(List.of("--explicit-paddings", csv(p.params.explicitPaddings())));
    }
    return args;
  }

  static String csv(long[] values) {
    return LongStream.of(values).mapToObj(Long::toString).collect(Collectors.joining(","));
  }
}
