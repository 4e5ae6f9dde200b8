package org.convgrad.io.arrow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.jspecify.annotations.Nullable;

/**
 * The canonical Arrow extension type {@code arrow.fixed_shape_tensor}: each value is one tensor
 * of a fixed {@code shape}, stored row-major as a {@code FixedSizeList<T>[product(shape)]}, with
 * JSON metadata {@code {"shape":[...],"dim_names":[...],"permutation":[...]}} (the last two
 * optional). The value type {@code T} lives in the storage field's child, not in this type; see
 * {@link TensorVectors#field}.
 *
 * <p>{@code dim_names} name the physical (row-major) dimensions; {@code ["H","W","C"]} and {@code
 * ["C","H","W"]} give a sample's {@link #dataFormat()}. convgrad reads and writes the physical
 * row-major data; readers refuse a non-identity {@code permutation} and dimension names they do not
 * know rather than ignore them ({@link TensorColumnInfo#requireHonouredMetadata}).
 *
 * <p>Call {@link #ensureRegistered()} (idempotent; done by every class of this package that
 * reads) so that Arrow's IPC readers produce this type instead of the bare storage type.
 */
public final class FixedShapeTensorType extends ArrowType.ExtensionType {
  public static final String EXTENSION_NAME = "arrow.fixed_shape_tensor";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static volatile boolean registered;

  private final long[] shape;
  private final java.util.@Nullable List<String> dimNames;
  private final int @Nullable [] permutation;
  private final int listSize;

  /**
   * A tensor type of the given physical shape, dimension names (null: none) and permutation
   * (null: none, the identity).
   *
   * @throws IllegalArgumentException for a negative dimension, a product over {@code
   *     Integer.MAX_VALUE} (a FixedSizeList's size is an int), names or a permutation whose length
   *     is not the rank, or a permutation that is not one of {@code 0..rank-1}
   */
  public FixedShapeTensorType(long[] shape, java.util.@Nullable List<String> dimNames, int @Nullable [] permutation) {
    this.shape = shape.clone();
    this.dimNames = dimNames == null ? null : Collections.unmodifiableList(new ArrayList<>(dimNames));
    this.permutation = permutation == null ? null : permutation.clone();
    this.listSize = validate(this.shape, this.dimNames, this.permutation);
  }

  /** A type of the given shape, without dimension names or permutation. */
  public static FixedShapeTensorType of(long... shape) {
    return new FixedShapeTensorType(shape, null, null);
  }

  /**
   * The type of one sample of an activation batch in {@code format}: {@code [h, w, c]} named
   * {@code H, W, C} for NHWC, {@code [c, h, w]} named {@code C, H, W} for NCHW.
   */
  public static FixedShapeTensorType sample(DataFormat format, long h, long w, long c) {
    return format == DataFormat.NHWC
        ? new FixedShapeTensorType(new long[] {h, w, c}, java.util.List.of("H", "W", "C"), null)
        : new FixedShapeTensorType(new long[] {c, h, w}, java.util.List.of("C", "H", "W"), null);
  }

  /** Registers this type with Arrow's {@link ExtensionTypeRegistry}; safe to call often. */
  public static void ensureRegistered() {
    if (!registered) {
      synchronized (FixedShapeTensorType.class) {
        if (!registered) {
          ExtensionTypeRegistry.register(of(0));
          registered = true;
        }
      }
    }
  }

  private static int validate(long[] shape, java.util.@Nullable List<String> dimNames, int @Nullable [] permutation) {
    boolean empty = Arrays.stream(shape).anyMatch(d -> d == 0);
    long product = empty ? 0 : 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(EXTENSION_NAME + " shape " + Arrays.toString(shape)
            + " has a negative dimension");
      }
      if (!empty) {
        product = d > Integer.MAX_VALUE / product ? Long.MAX_VALUE : product * d; // checked first: a long can wrap
      }
      if (product > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(EXTENSION_NAME + " shape " + Arrays.toString(shape)
            + " has more than " + Integer.MAX_VALUE + " elements, more than a FixedSizeList holds");
      }
    }
    if (dimNames != null) {
      if (dimNames.size() != shape.length) {
        throw new IllegalArgumentException(EXTENSION_NAME + " dim_names " + dimNames + " has "
            + dimNames.size() + " names but shape " + Arrays.toString(shape) + " has rank " + shape.length);
      }
      for (String n : dimNames) {
        Objects.requireNonNull(n, "dim_names entry");
      }
    }
    if (permutation != null) {
      if (permutation.length != shape.length) {
        throw new IllegalArgumentException(EXTENSION_NAME + " permutation " + Arrays.toString(permutation)
            + " has " + permutation.length + " entries but shape " + Arrays.toString(shape) + " has rank "
            + shape.length);
      }
      boolean[] seen = new boolean[shape.length];
      for (int p : permutation) {
        if (p < 0 || p >= shape.length || seen[p]) {
          throw new IllegalArgumentException(EXTENSION_NAME + " permutation " + Arrays.toString(permutation)
              + " is not a permutation of 0.." + (shape.length - 1));
        }
        seen[p] = true;
      }
    }
    return (int) product;
  }

  /** The physical shape of one value. */
  public long[] shape() {
    return shape.clone();
  }

  /** The physical shape of one value as an engine shape. */
  public Shape sampleShape() {
    return Shape.of(shape);
  }

  /** The number of dimensions of one value. */
  public int rank() {
    return shape.length;
  }

  /** The dimension names, or null when the metadata has none. */
  public java.util.@Nullable List<String> dimNames() {
    return dimNames;
  }

  /** The permutation, or null when the metadata has none. */
  public int @Nullable [] permutation() {
    return permutation == null ? null : permutation.clone();
  }

  /** The number of elements of one value: the storage list's size. */
  public int listSize() {
    return listSize;
  }

  /**
   * The layout of a batch of these values: NHWC for dimension names {@code H, W, C}, NCHW for
   * {@code C, H, W} (case-insensitive), null otherwise.
   */
  public @Nullable DataFormat dataFormat() {
    if (dimNames == null || dimNames.size() != 3) {
      return null;
    }
    String joined = String.join(",", dimNames).toUpperCase(java.util.Locale.ROOT);
    if (joined.equals("H,W,C")) {
      return DataFormat.NHWC;
    }
    if (joined.equals("C,H,W")) {
      return DataFormat.NCHW;
    }
    return null;
  }

  @Override
  public ArrowType storageType() {
    return new ArrowType.FixedSizeList(listSize);
  }

  @Override
  public String extensionName() {
    return EXTENSION_NAME;
  }

  @Override
  public boolean extensionEquals(ExtensionType other) {
    if (!(other instanceof FixedShapeTensorType)) {
      return false;
    }
    FixedShapeTensorType o = (FixedShapeTensorType) other;
    return Arrays.equals(shape, o.shape) && Objects.equals(dimNames, o.dimNames)
        && Arrays.equals(permutation, o.permutation);
  }

  @Override
  public String serialize() {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode s = root.putArray("shape");
    for (long d : shape) {
      s.add(d);
    }
    if (dimNames != null) {
      ArrayNode n = root.putArray("dim_names");
      dimNames.forEach(n::add);
    }
    if (permutation != null) {
      ArrayNode p = root.putArray("permutation");
      for (int i : permutation) {
        p.add(i);
      }
    }
    return root.toString();
  }

  /**
   * The type that {@code metadata} describes over {@code storageType}.
   *
   * @throws IllegalArgumentException for metadata that is not the JSON this type defines, a
   *     storage type that is not a FixedSizeList, or a list size that is not the shape's product
   */
  @Override
  public ArrowType deserialize(ArrowType storageType, String metadata) {
    return parse(storageType, metadata);
  }

  /** {@link #deserialize}, typed. */
  public static FixedShapeTensorType parse(ArrowType storageType, String metadata) {
    String what = EXTENSION_NAME + " metadata '" + metadata + "'";
    JsonNode root;
    try {
      root = JSON.readTree(metadata);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(what + " is not JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(what + " is not a JSON object");
    }
    JsonNode s = root.get("shape");
    if (s == null || !s.isArray()) {
      throw new IllegalArgumentException(what + " has no \"shape\" array");
    }
    long[] shape = new long[s.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = s.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
        throw new IllegalArgumentException(what + ": shape entry " + d + " is not a non-negative integer");
      }
      shape[i] = d.asLong();
    }
    java.util.List<String> names = null;
    JsonNode n = root.get("dim_names");
    if (n != null && !n.isNull()) {
      if (!n.isArray()) {
        throw new IllegalArgumentException(what + ": \"dim_names\" is not an array");
      }
      names = new ArrayList<>();
      for (JsonNode e : n) {
        if (!e.isTextual()) {
          throw new IllegalArgumentException(what + ": dim_names entry " + e + " is not a string");
        }
        names.add(e.asText());
      }
    }
    int[] perm = null;
    JsonNode p = root.get("permutation");
    if (p != null && !p.isNull()) {
      if (!p.isArray()) {
        throw new IllegalArgumentException(what + ": \"permutation\" is not an array");
      }
      perm = new int[p.size()];
      for (int i = 0; i < perm.length; i++) {
        JsonNode e = p.get(i);
        if (!e.isIntegralNumber() || !e.canConvertToInt()) {
          throw new IllegalArgumentException(what + ": permutation entry " + e + " is not an integer");
        }
        perm[i] = e.asInt();
      }
    }
    FixedShapeTensorType type;
    try {
      type = new FixedShapeTensorType(shape, names, perm);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
    if (!(storageType instanceof ArrowType.FixedSizeList)) {
      throw new IllegalArgumentException(EXTENSION_NAME + " needs FixedSizeList storage, not " + storageType);
    }
    int size = ((ArrowType.FixedSizeList) storageType).getListSize();
    if (size != type.listSize) {
      throw new IllegalArgumentException(EXTENSION_NAME + " storage list size " + size
          + " is not the product " + type.listSize + " of shape " + Arrays.toString(shape));
    }
    return type;
  }

  @Override
  public FieldVector getNewVector(String name, FieldType fieldType, BufferAllocator allocator) {
    Field field = new Field(name, fieldType, Collections.emptyList());
    FixedSizeListVector storage =
        new FixedSizeListVector(name, allocator, new FieldType(fieldType.isNullable(), storageType(), null), null);
    return new FixedShapeTensorVector(field, allocator, storage);
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), Arrays.hashCode(shape), dimNames, Arrays.hashCode(permutation));
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof FixedShapeTensorType && extensionEquals((FixedShapeTensorType) o);
  }

  @Override
  public String toString() {
    return "FixedShapeTensorType" + serialize();
  }
}
