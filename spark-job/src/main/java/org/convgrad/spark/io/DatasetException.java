package org.convgrad.spark.io;

/** A dataset (or filter) that cannot be used as it is: missing, empty, mixed, corrupt. */
public final class DatasetException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DatasetException(String message) {
    super(message);
  }

  public DatasetException(String message, Throwable cause) {
    super(message, cause);
  }
}
