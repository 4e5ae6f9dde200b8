package org.convgrad.io.npy;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Shape;

/**
 * The dictionary text of a .npy header ({@code {'descr': '<f4', 'fortran_order': False, 'shape':
 * (2, 3), }}) read as NumPy writes it: a small parser of the Python literals it may hold, and the
 * checks that turn it into an {@link NpyHeader} or a message naming what is wrong.
 */
final class NpyHeaderText {
  private NpyHeaderText() {}

  /** The header of a file whose dictionary text is {@code text}, or why it is not a header convgrad reads. */
  static NpyHeader parse(String text, int major, int minor, long dataOffset, String source)
      throws NpyFormatException {
    Object parsed;
    try {
      HeaderParser p = new HeaderParser(text);
      parsed = p.value();
      p.skipSpace();
      if (!p.atEnd()) {
        throw p.error("unexpected text after the header dictionary");
      }
    } catch (IllegalStateException e) {
      throw new NpyFormatException(source, "malformed header: " + printable(e.getMessage()) + " in " + quote(text));
    }
    if (!(parsed instanceof Map)) {
      throw new NpyFormatException(source, "malformed header: not a dictionary: " + quote(text));
    }
    Map<?, ?> dict = (Map<?, ?>) parsed;
    for (String key : new String[] {"descr", "fortran_order", "shape"}) {
      if (!dict.containsKey(key)) {
        throw new NpyFormatException(source, "header has no '" + key + "' key: " + quote(text));
      }
    }
    if (dict.size() != 3) {
      throw new NpyFormatException(source, "header has keys other than 'descr', 'fortran_order' and 'shape': "
          + quote(text));
    }
    Object descrValue = dict.get("descr");
    if (!(descrValue instanceof String)) {
      throw new NpyFormatException(source, "unsupported dtype " + quote(text)
          + ": structured arrays are not tensors; convgrad reads <f2, <f4 and <f8");
    }
    String descr = (String) descrValue;
    ByteOrder order;
    String kind;
    char first = descr.isEmpty() ? ' ' : descr.charAt(0);
    if (first == '<' || first == '|' || first == '=') {
      order = ByteOrder.LITTLE_ENDIAN;
      kind = descr.substring(1);
    } else if (first == '>') {
      order = ByteOrder.BIG_ENDIAN;
      kind = descr.substring(1);
    } else {
      order = ByteOrder.LITTLE_ENDIAN;
      kind = descr;
    }
    DType dtype;
    switch (kind) {
      case "f2":
        dtype = DType.HALF;
        break;
      case "f4":
        dtype = DType.FLOAT32;
        break;
      case "f8":
        dtype = DType.FLOAT64;
        break;
      default:
        throw new NpyFormatException(source, "unsupported dtype '" + descr
            + "': convgrad reads float16, float32 and float64 ('<f2', '<f4', '<f8', or '>' big-endian)");
    }
    Object fortran = dict.get("fortran_order");
    if (!(fortran instanceof Boolean)) {
      throw new NpyFormatException(source, "header's 'fortran_order' is not True or False: " + quote(text));
    }
    Object shapeValue = dict.get("shape");
    if (!(shapeValue instanceof List)) {
      throw new NpyFormatException(source, "header's 'shape' is not a tuple of integers: " + quote(text));
    }
    List<?> dimsList = (List<?>) shapeValue;
    long[] dims = new long[dimsList.size()];
    for (int i = 0; i < dims.length; i++) {
      Object d = dimsList.get(i);
      if (!(d instanceof Long) || (Long) d < 0) {
        throw new NpyFormatException(source, "header's 'shape' has " + d
            + " where a non-negative integer belongs: " + quote(text));
      }
      dims[i] = (Long) d;
    }
    Shape shape = Shape.of(dims);
    try {
      Math.multiplyExact(shape.elementCount(), (long) dtype.byteSize());
    } catch (ArithmeticException | InvalidArgumentException e) {
      throw new NpyFormatException(source, "shape " + shape + " has more bytes than a long counts");
    }
    return new NpyHeader(major, minor, descr, dtype, order, shape, (Boolean) fortran, dataOffset);
  }

  /** The header as an error line may show it: at most 200 characters, control characters escaped. */
  private static String quote(String text) {
    String t = text.strip();
    return "\"" + printable(t.length() > 200 ? t.substring(0, 200) : t) + (t.length() > 200 ? "...\"" : "\"");
  }

  /** {@code s} with its control characters as {@code \xNN}: a corrupt header's bytes never reach a terminal raw. */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** A parser of the Python literals a .npy header holds: dict, str, bool, int, tuple, list. */
  private static final class HeaderParser {
    /** Deeper nesting is no header NumPy writes; the limit keeps a crafted one from overflowing the stack. */
    private static final int MAX_DEPTH = 32;

    private final String s;
    private int i;

    HeaderParser(String s) {
      this.s = s;
    }

    boolean atEnd() {
      return i >= s.length();
    }

    void skipSpace() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    IllegalStateException error(String what) {
      return new IllegalStateException(what + " at character " + i);
    }

    /** Containers open around the value being read: a header nests two deep (a dictionary, a shape). */
    private int depth;

    Object value() {
      skipSpace();
      if (atEnd()) {
        throw error("unexpected end");
      }
      if (depth >= MAX_DEPTH) {
        throw error("more than " + MAX_DEPTH + " nested containers");
      }
      depth++;
      try {
        return unnested();
      } finally {
        depth--;
      }
    }

    private Object unnested() {
      char c = s.charAt(i);
      if (c == '{') {
        i++;
        Map<Object, Object> map = new LinkedHashMap<>();
        while (true) {
          skipSpace();
          if (peek('}')) {
            i++;
            return map;
          }
          Object key = value();
          skipSpace();
          expect(':');
          Object v = value();
          if (map.put(key, v) != null) {
            throw error("duplicate key " + key);
          }
          skipSpace();
          if (peek(',')) {
            i++;
          } else if (!peek('}')) {
            throw error("expected ',' or '}'");
          }
        }
      }
      if (c == '(' || c == '[') {
        char close = c == '(' ? ')' : ']';
        i++;
        List<Object> list = new ArrayList<>();
        while (true) {
          skipSpace();
          if (peek(close)) {
            i++;
            return list;
          }
          list.add(value());
          skipSpace();
          if (peek(',')) {
            i++;
          } else if (!peek(close)) {
            throw error("expected ',' or '" + close + "'");
          }
        }
      }
      if (c == '\'' || c == '"') {
        int end = s.indexOf(c, i + 1);
        if (end < 0) {
          throw error("unterminated string");
        }
        String str = s.substring(i + 1, end);
        i = end + 1;
        return str;
      }
      if (s.startsWith("True", i)) {
        i += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("False", i)) {
        i += 5;
        return Boolean.FALSE;
      }
      if (Character.isDigit(c) || c == '-' || c == '+') {
        int start = i++;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
          i++;
        }
        String digits = s.substring(start, i);
        if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) {
          i++; // Python 2 long
        }
        try {
          return Long.parseLong(digits);
        } catch (NumberFormatException e) {
          throw error("integer " + digits + " out of range");
        }
      }
      throw error("unexpected '" + c + "'");
    }

    private boolean peek(char c) {
      return i < s.length() && s.charAt(i) == c;
    }

    private void expect(char c) {
      if (!peek(c)) {
        throw error("expected '" + c + "'");
      }
      i++;
    }
  }
}
