package org.convgrad.io.arrow;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.hash.ArrowBufHasher;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.Field;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * A column of {@code arrow.fixed_shape_tensor} values over its {@link FixedSizeListVector}
 * storage. Move data in and out in bulk with {@link TensorVectors}; {@link #getObject(int)}
 * returns one value as a {@link Tensor} (a copy).
 */
public final class FixedShapeTensorVector extends ExtensionTypeVector<FixedSizeListVector> {
  private final FixedShapeTensorType type;

  /** A vector for {@code field}, whose type must be a {@link FixedShapeTensorType}. */
  public FixedShapeTensorVector(Field field, BufferAllocator allocator, FixedSizeListVector storage) {
    super(field, allocator, storage);
    if (!(field.getType() instanceof FixedShapeTensorType)) {
      throw new IllegalArgumentException("field '" + field.getName() + "' is " + field.getType() + ", not "
          + FixedShapeTensorType.EXTENSION_NAME);
    }
    this.type = (FixedShapeTensorType) field.getType();
  }

  /** A new, empty column named {@code name} of {@code type} values of {@code dtype}. */
  public static FixedShapeTensorVector create(String name, FixedShapeTensorType type, DType dtype,
      BufferAllocator allocator) {
    return (FixedShapeTensorVector) TensorVectors.field(name, type, dtype).createVector(allocator);
  }

  public FixedShapeTensorType type() {
    return type;
  }

  /**
   * The element type, from the storage's child.
   *
   * @throws IllegalStateException when the child is not Float2, Float4 or Float8, naming the field
   */
  public DType dtype() {
    return TensorVectors.dtypeOf(getField().getName(), getUnderlyingVector().getDataVector());
  }

  /** The storage's child vector holding all values' elements back to back. */
  public FieldVector dataVector() {
    return getUnderlyingVector().getDataVector();
  }

  @Override
  public @Nullable Object getObject(int index) {
    if (isNull(index)) {
      return null;
    }
    return TensorVectors.readSample(this, index);
  }

  @Override
  public int hashCode(int index) {
    return getUnderlyingVector().hashCode(index);
  }

  @Override
  public int hashCode(int index, @Nullable ArrowBufHasher hasher) {
    return getUnderlyingVector().hashCode(index, hasher);
  }

  @Override
  public void copyFrom(int fromIndex, int thisIndex, ValueVector from) {
    getUnderlyingVector().copyFrom(fromIndex, thisIndex, ((FixedShapeTensorVector) from).getUnderlyingVector());
  }

  @Override
  public void copyFromSafe(int fromIndex, int thisIndex, ValueVector from) {
    getUnderlyingVector().copyFromSafe(fromIndex, thisIndex,
        ((FixedShapeTensorVector) from).getUnderlyingVector());
  }
}
