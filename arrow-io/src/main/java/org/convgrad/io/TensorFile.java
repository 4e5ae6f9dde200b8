package org.convgrad.io;

import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Field;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * A tensor read by {@link TensorFiles#read}: the tensor, the layout the file states (an Arrow
 * column's dimension names; a {@code .npy} file states none), and, for an Arrow file, the columns
 * that {@link TensorFiles#write} can carry into a result file (the {@code id} column and any
 * others).
 */
public final class TensorFile {
  private final Path path;
  private final TensorFiles.Format format;
  private final Tensor tensor;
  private final @Nullable DataFormat layout;
  private final long @Nullable [] ids;
  private final List<Field> carriedFields;
  private final byte @Nullable [] carriedColumns;

  TensorFile(Path path, TensorFiles.Format format, Tensor tensor, @Nullable DataFormat layout, long @Nullable [] ids,
      List<Field> carriedFields, byte @Nullable [] carriedColumns) {
    this.path = path;
    this.format = format;
    this.tensor = tensor;
    this.layout = layout;
    this.ids = ids;
    this.carriedFields = List.copyOf(carriedFields);
    this.carriedColumns = carriedColumns;
  }

  public Path path() {
    return path;
  }

  public TensorFiles.Format format() {
    return format;
  }

  /**
   * The tensor. For an Arrow file it is the batch of all rows, {@code [rows, ...sample shape]};
   * for a {@code .npy} file, the array as stored.
   */
  public Tensor tensor() {
    return tensor;
  }

  /** The layout the file states, or null when it states none. */
  public @Nullable DataFormat layout() {
    return layout;
  }

  /**
   * Checks the file's stated layout (if any) against {@code expected}.
   *
   * @throws InvalidArgumentException naming the file when they differ
   */
  public void requireLayout(DataFormat expected) {
    if (layout != null && layout != expected) {
      throw new InvalidArgumentException(path + " holds " + layout + " samples (dim_names) but data_format is "
          + expected);
    }
  }

  /** The rows' {@code id} column values, or null when the file has none. */
  public long @Nullable [] ids() {
    return ids == null ? null : ids.clone();
  }

  /** The file's columns other than the tensor and id columns, which a result file can carry. */
  public List<Field> carriedFields() {
    return carriedFields;
  }

  /** The carried columns' data as an Arrow IPC stream, or null when there are none. */
  byte @Nullable [] carriedColumns() {
    return carriedColumns;
  }

  /** The number of rows (axis 0 of the tensor; 1 for a scalar). */
  public long rows() {
    return tensor.shape().rank() == 0 ? 1 : tensor.shape().get(0);
  }

  @Override
  public String toString() {
    return "TensorFile(" + path + ", " + tensor + (layout == null ? "" : ", " + layout) + ")";
  }
}
