package org.convgrad.engine;

/** TensorFlow's padding schemes. */
public enum Padding {
  SAME,
  VALID,
  /** Pads given by {@code explicit_paddings}. */
  EXPLICIT;

  /** TensorFlow's spelling only, as its op checks the attribute: {@code "same"} is refused there too. */
  public static Padding parse(String name) {
    for (Padding p : values()) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    throw new InvalidArgumentException(
        "Invalid padding: '" + name + "', expected SAME, VALID or EXPLICIT (TensorFlow's spelling, upper case)");
  }
}
