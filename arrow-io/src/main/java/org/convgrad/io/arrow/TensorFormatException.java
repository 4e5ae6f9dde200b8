package org.convgrad.io.arrow;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * An Arrow IPC file or stream that convgrad cannot read as tensors: not Arrow, truncated, no
 * {@code arrow.fixed_shape_tensor} column, bad extension metadata, an unsupported value type. The
 * message names the file (or stream) and the problem.
 */
public final class TensorFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String problem;

  public TensorFormatException(String source, String problem) {
    this(source, problem, null);
  }

  public TensorFormatException(String source, String problem, @Nullable Throwable cause) {
    super(source + ": " + problem, cause);
    this.source = source;
    this.problem = problem;
  }

  public String source() {
    return source;
  }

  public String problem() {
    return problem;
  }
}
