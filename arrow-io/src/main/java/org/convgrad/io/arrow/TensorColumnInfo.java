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
    List<String> tensorColumns = new ArrayList<>();
    for (Field f : schema.getFields()) {
      if (f.getType() instanceof FixedShapeTensorType) {
        tensor = tensor == null ? f : tensor;
        tensorColumns.add(f.getName());
      }
    }
    if (tensorColumns.size() > 1) {
      // Which one is the data is the user's to say; computing the first and dropping the others is not.
      throw new TensorFormatException(source, "has " + tensorColumns.size() + " " + FixedShapeTensorType.EXTENSION_NAME
          + " columns " + tensorColumns + "; convgrad reads files with one tensor column: write each to a file of its"
          + " own");
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
      // A dictionary-encoded id's in-memory type is its indices': it is carried (decoded), not read as ids.
      if (id == null && f.getName().equals(TensorIpcWriter.ID_COLUMN) && f.getDictionary() == null
          && f.getType().equals(new ArrowType.Int(64, true))) {
        id = f.getName();
      } else {
        others.add(f);
      }
    }
    return new TensorColumnInfo(tensor.getName(), (FixedShapeTensorType) tensor.getType(), dtype, id, others);
  }

  /**
   * Refuses metadata convgrad would otherwise ignore (never silently): a permutation other than
   * the identity, and dimension names other than {@code H,W,C} or {@code C,H,W} for samples and
   * {@code H,W,I,O} for a filter (case-insensitive; no names at all is fine).
   *
   * @param filter whether the column holds a filter (one row, {@code [fh, fw, in_c, out_c]})
   */
  public void requireHonouredMetadata(String source, boolean filter) throws TensorFormatException {
    int[] permutation = type.permutation();
    if (permutation != null) {
      for (int i = 0; i < permutation.length; i++) {
        if (permutation[i] != i) {
          throw new TensorFormatException(source, "column '" + name + "' has permutation "
              + java.util.Arrays.toString(permutation) + "; convgrad reads tensors in their stored (row-major) order"
              + " only: write them in the logical order, without a permutation");
        }
      }
    }
    List<String> dimNames = type.dimNames();
    if (dimNames == null) {
      return;
    }
    List<String> upper = new ArrayList<>();
    for (String n : dimNames) {
      upper.add(n.toUpperCase(java.util.Locale.ROOT));
    }
    if (filter && !upper.equals(List.of("H", "W", "I", "O"))) {
      throw new TensorFormatException(source, "column '" + name + "' has dim_names " + dimNames
          + "; a filter's are H,W,I,O ([fh, fw, in_c, out_c], TensorFlow's HWIO) or none");
    }
    if (!filter && type.dataFormat() == null) {
      throw new TensorFormatException(source, "column '" + name + "' has dim_names " + dimNames
          + "; convgrad knows H,W,C (NHWC samples) and C,H,W (NCHW samples): rename them, or write no dim_names");
    }
  }

  private static List<String> names(Schema schema) {
    List<String> out = new ArrayList<>();
    for (Field f : schema.getFields()) {
      out.add(f.getName() + ": " + f.getType());
    }
    return out;
  }
}
