package org.convgrad.io.arrow;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.convgrad.engine.DType;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.tensor.Shape;
import org.jspecify.annotations.Nullable;

/**
 * What a schema's tensor column holds, known from the schema alone: the column's name, its
 * extension type (sample shape, dimension names), the element type, and the id column if any.
 *
 * @param name the tensor column's name
 * @param type its {@code arrow.fixed_shape_tensor} type
 * @param dtype its element type
 * @param idColumn the name of the int64 {@code id} column, or null when the schema has none
 * @param otherFields the schema's other fields (neither the tensor column nor the id column)
 */
public record TensorColumnInfo(
    String name, FixedShapeTensorType type, DType dtype, @Nullable String idColumn, List<Field> otherFields) {

  public TensorColumnInfo {
    otherFields = List.copyOf(otherFields);
  }

  /** The shape of one sample (one row). */
  public Shape sampleShape() {
    return type.sampleShape();
  }

  /** The layout its dimension names say ({@code H,W,C}: NHWC, {@code C,H,W}: NCHW), or null. */
  public @Nullable DataFormat dataFormat() {
    return type.dataFormat();
  }

  /**
   * The first {@code arrow.fixed_shape_tensor} column of {@code schema} and its {@code id} column.
   *
   * @throws TensorFormatException when there is none or its value type is not float16/32/64
   */
  public static TensorColumnInfo of(Schema schema, String source) throws TensorFormatException {
    Field tensor = null;
    for (Field f : schema.getFields()) {
      if (f.getType() instanceof FixedShapeTensorType) {
        tensor = f;
        break;
      }
    }
    if (tensor == null) {
      throw new TensorFormatException(source, "no " + FixedShapeTensorType.EXTENSION_NAME + " column among "
          + names(schema) + " (is the extension metadata missing?)");
    }
    if (tensor.getChildren().size() != 1) {
      throw new TensorFormatException(source, "column '" + tensor.getName() + "' has "
          + tensor.getChildren().size() + " storage children, not 1");
    }
    DType dtype = TensorVectors.dtypeOf(tensor.getChildren().get(0).getType());
    if (dtype == null) {
      throw new TensorFormatException(source, "column '" + tensor.getName() + "' stores "
          + tensor.getChildren().get(0).getType() + " values; convgrad reads float16, float32 and float64");
    }
    String id = null;
    List<Field> others = new ArrayList<>();
    for (Field f : schema.getFields()) {
      if (f == tensor) {
        continue;
      }
      if (id == null && f.getName().equals(TensorIpcWriter.ID_COLUMN)
          && f.getType().equals(new ArrowType.Int(64, true))) {
        id = f.getName();
      } else {
        others.add(f);
      }
    }
    return new TensorColumnInfo(tensor.getName(), (FixedShapeTensorType) tensor.getType(), dtype, id, others);
  }

  private static List<String> names(Schema schema) {
    List<String> out = new ArrayList<>();
    for (Field f : schema.getFields()) {
      out.add(f.getName() + ": " + f.getType());
    }
    return out;
  }
}
