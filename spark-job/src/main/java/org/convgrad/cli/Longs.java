package org.convgrad.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * An option's list of integers, written once as one comma-separated value ({@code 2} or {@code
 * 1,2,2,1}). One value, so that picocli refuses a repeated option ({@code --strides 1 --strides 2})
 * as it refuses any other, instead of appending to it.
 */
public record Longs(long[] values) {
  public static Longs of(long... values) {
    return new Longs(values.clone());
  }

  @Override
  public long[] values() {
    return values.clone();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (long v : values) {
      sb.append(sb.length() == 0 ? "" : ",").append(v);
    }
    return sb.toString();
  }

  /** Parses {@code 1,2,2,1}; an empty value is the empty list. */
  public static final class Converter implements ITypeConverter<Longs> {
    @Override
    public Longs convert(String value) {
      String v = value.trim();
      if (v.isEmpty()) {
        return new Longs(new long[0]);
      }
      String[] parts = v.split(",", -1);
      long[] out = new long[parts.length];
      for (int i = 0; i < parts.length; i++) {
        try {
          out[i] = Long.parseLong(parts[i].trim());
        } catch (NumberFormatException e) {
          throw new TypeConversionException("'" + value + "' is not a comma-separated list of integers");
        }
      }
      return new Longs(out);
    }
  }
}
