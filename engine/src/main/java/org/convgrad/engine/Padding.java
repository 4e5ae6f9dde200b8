package org.convgrad.engine;

/** TensorFlow's padding schemes. */
public enum Padding {
  SAME,
  VALID,
  /** Pads given by {@code explicit_paddings}. */
  EXPLICIT;

  public static Padding parse(String name) {
    for (Padding p : values()) {
      if (p.name().equalsIgnoreCase(name.trim())) {
        return p;
      }
    }
    throw new InvalidArgumentException(
        "Invalid padding: '" + name + "', expected SAME, VALID or EXPLICIT");
  }
}
