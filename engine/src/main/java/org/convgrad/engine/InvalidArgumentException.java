package org.convgrad.engine;

/**
 * An argument that TensorFlow would reject, rejected with TensorFlow's meaning and, where it is
 * clear, TensorFlow's wording. The message names the argument, its value and what was expected.
 */
public final class InvalidArgumentException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidArgumentException(String message) {
    super(message);
  }

  /** The one line a command line prints: {@code InvalidArgument: <message>}. */
  public String toLine() {
    return "InvalidArgument: " + getMessage().replace('\n', ' ');
  }
}
