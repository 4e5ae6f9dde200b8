package org.convgrad.io;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ValueVectorUtility;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.arrow.FixedShapeTensorType;
import org.convgrad.io.arrow.TensorBatch;
import org.convgrad.io.arrow.TensorColumnInfo;
import org.convgrad.io.arrow.TensorFormatException;
import org.convgrad.io.arrow.TensorIpcReader;
import org.convgrad.io.arrow.TensorIpcWriter;
import org.convgrad.io.npy.Npy;
import org.jspecify.annotations.Nullable;

/**
 * Reads and writes one tensor from a file whose extension says the format: {@code .npy} (NumPy,
 * {@link Npy}) or {@code .arrow} (Arrow IPC file, or an IPC stream, recognized by its first
 * bytes).
 *
 * <p>In an {@code .arrow} file the first {@code arrow.fixed_shape_tensor} column is the tensor and
 * each row is one sample: an activation batch is {@code n} rows of {@code [h, w, c]} (NHWC, dim
 * names {@code H,W,C}) or {@code [c, h, w]} (NCHW, {@code C,H,W}); a filter is one row holding the
 * whole {@code [fh, fw, in_c, out_c]} tensor (dim names {@code H,W,I,O}).
 */
public final class TensorFiles {
  /** A file format, from the file's extension. */
  public enum Format {
    NPY,
    ARROW;

    /**
     * The format of {@code file}'s extension.
     *
     * @throws InvalidArgumentException for any extension other than {@code .npy} and {@code .arrow}
     */
    public static Format of(Path file) {
      String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
      if (name.endsWith(".npy")) {
        return NPY;
      }
      if (name.endsWith(".arrow")) {
        return ARROW;
      }
      throw new InvalidArgumentException("Unsupported file type for " + file + ": expected a .npy or .arrow file");
    }
  }

  /** The dimension names of a filter sample: TensorFlow's HWIO. */
  public static final List<String> FILTER_DIM_NAMES = List.of("H", "W", "I", "O");

  private static final byte[] ARROW_MAGIC = {'A', 'R', 'R', 'O', 'W', '1'};

  private TensorFiles() {}

  /** Reads {@code file} (see the class comment), with a private Arrow allocator. */
  public static TensorFile read(Path file) throws IOException {
    if (Format.of(file) == Format.NPY) {
      return readNpy(file); // no allocator: a .npy run loads nothing of Arrow (start-up time)
    }
    try (BufferAllocator allocator = new RootAllocator()) {
      return read(file, allocator, false);
    }
  }

  /** Reads {@code file} (see the class comment); Arrow memory comes from {@code allocator}. */
  public static TensorFile read(Path file, BufferAllocator allocator) throws IOException {
    return read(file, allocator, false);
  }

  private static TensorFile read(Path file, BufferAllocator allocator, boolean filter) throws IOException {
    if (Format.of(file) == Format.NPY) {
      return readNpy(file);
    }
    try (TensorIpcReader r = isArrowFile(file) ? TensorIpcReader.openFile(file, allocator)
        : TensorIpcReader.openStream(file, allocator)) {
      TensorColumnInfo c = r.column();
      c.requireHonouredMetadata(file.toString(), filter);
      if (c.otherFields().isEmpty()) {
        TensorBatch all = r.readAll();
        return new TensorFile(file, Format.ARROW, all.samples(), c.dataFormat(), all.ids(), List.of(), null);
      }
      return readCarrying(file, r, c, allocator);
    }
  }

  private static TensorFile readNpy(Path file) throws IOException {
    return new TensorFile(file, Format.NPY, Npy.read(file), null, null, List.of(), null);
  }

  /**
   * Reads a filter: from {@code .arrow}, the one row's tensor (rejecting a file of other than one
   * row); from {@code .npy}, the array.
   */
  public static Tensor readFilter(Path file) throws IOException {
    if (Format.of(file) == Format.NPY) {
      return Npy.read(file);
    }
    TensorFile f;
    try (BufferAllocator allocator = new RootAllocator()) {
      f = read(file, allocator, true);
    }
    if (f.rows() != 1) {
      throw new InvalidArgumentException("filter file " + file + " has " + f.rows()
          + " rows; an Arrow filter file holds the whole [fh, fw, in_c, out_c] filter in one row");
    }
    return withShape(f.tensor(), Shape.of(dropFirst(f.tensor().shape().toArray())));
  }

  /**
   * Writes {@code tensor} to {@code file} in the format its extension says, under a temporary
   * name renamed into place when complete.
   *
   * <p>For {@code .arrow}, {@code tensor} is a batch {@code [n, ...sample]}: one row per sample,
   * with dim names from {@code layout} when the samples are 3-D (null: none); the {@code id} column
   * and the other columns of {@code carriedFrom} are carried over when it has {@code n} rows (an
   * {@code id} column of any type keeps its type and values; ids are {@code 0..n-1} when it has
   * none). A failure while writing leaves nothing under {@code file}'s name. For {@code .npy}, {@code layout} and {@code
   * carriedFrom} are ignored.
   *
   * @throws InvalidArgumentException for an unknown extension, bfloat16 into either format, or
   *     {@code carriedFrom} with another row count
   */
  public static void write(Path file, Tensor tensor, @Nullable DataFormat layout, @Nullable TensorFile carriedFrom)
      throws IOException {
    if (Format.of(file) == Format.NPY) {
      Npy.write(file, tensor);
      return;
    }
    if (tensor.shape().rank() == 0) {
      throw new InvalidArgumentException("a scalar cannot be written as rows of an .arrow file: " + file);
    }
    long[] dims = tensor.shape().toArray();
    long[] sample = dropFirst(dims);
    List<String> names = null;
    if (layout != null && sample.length == 3) {
      names = layout == DataFormat.NHWC ? List.of("H", "W", "C") : List.of("C", "H", "W");
    }
    FixedShapeTensorType type = new FixedShapeTensorType(sample, names, null);
    int n = Math.toIntExact(dims[0]);
    long[] ids = null;
    if (carriedFrom != null) {
      if (carriedFrom.rows() != n) {
        throw new InvalidArgumentException("cannot carry the columns of " + carriedFrom.path() + " ("
            + carriedFrom.rows() + " rows) into " + file + " (" + n + " rows)");
      }
      ids = carriedFrom.ids();
    }
    if (ids == null) {
      ids = new long[n];
      for (int i = 0; i < n; i++) {
        ids[i] = i;
      }
    }
    List<org.apache.arrow.vector.types.pojo.Field> carriedFields =
        carriedFrom == null ? List.of() : carriedFrom.carriedFields();
    // An id column of another type than int64 is carried as it is, in place of the written one.
    boolean carriesIds = carriedFields.stream().anyMatch(f -> f.getName().equals(TensorIpcWriter.ID_COLUMN));
    try (BufferAllocator allocator = new RootAllocator()) {
      TensorIpcWriter w = TensorIpcWriter.builder(type, tensor.dtype()).carriedFields(carriedFields)
          .idColumn(!carriesIds).openFile(file, allocator);
      boolean written = false;
      try {
        writeRows(w, ids, tensor, carriedFrom == null ? null : carriedFrom.carriedColumns(), allocator);
        written = true;
      } finally {
        if (written) {
          w.close();
        } else {
          w.abort(); // whatever failed, nothing appears under the file's name
        }
      }
    }
  }

  private static void writeRows(TensorIpcWriter w, long[] ids, Tensor tensor, byte @Nullable [] carried,
      BufferAllocator allocator) throws IOException {
    if (carried == null) {
      w.write(ids, tensor);
      return;
    }
    try (ArrowStreamReader cr = new ArrowStreamReader(new ByteArrayInputStream(carried), allocator)) {
      VectorSchemaRoot root = cr.getVectorSchemaRoot();
      int at = 0;
      while (cr.loadNextBatch()) {
        int rows = root.getRowCount();
        long[] part = new long[rows];
        System.arraycopy(ids, at, part, 0, rows);
        w.write(part, tensor, at, rows, root.getFieldVectors());
        at += rows;
      }
      if (at != ids.length) {
        throw new IllegalStateException("carried columns have " + at + " rows, expected " + ids.length);
      }
    }
  }

  /** Writes a filter {@code [fh, fw, in_c, out_c]}: as is to {@code .npy}, as one row (dim names H,W,I,O) to {@code .arrow}. */
  public static void writeFilter(Path file, Tensor filter) throws IOException {
    if (Format.of(file) == Format.NPY) {
      Npy.write(file, filter);
      return;
    }
    long[] dims = filter.shape().toArray();
    FixedShapeTensorType type = new FixedShapeTensorType(dims, dims.length == 4 ? FILTER_DIM_NAMES : null, null);
    long[] batch = new long[dims.length + 1];
    batch[0] = 1;
    System.arraycopy(dims, 0, batch, 1, dims.length);
    try (BufferAllocator allocator = new RootAllocator();
        TensorIpcWriter w = TensorIpcWriter.builder(type, filter.dtype()).openFile(file, allocator)) {
      w.write(0, withShape(filter, Shape.of(batch)));
    }
  }

  /**
   * Reads a file whose tensor column has other columns beside it, which the result carries: they
   * are kept as an Arrow stream of their own. A dictionary-encoded column (a pandas categorical)
   * is carried decoded, as its values; a column whose buffers do not hold together is refused as
   * corrupt, naming the file.
   */
  private static TensorFile readCarrying(Path file, TensorIpcReader r, TensorColumnInfo c, BufferAllocator allocator)
      throws IOException {
    for (Field f : c.otherFields()) {
      refuseNestedDictionary(file, f.getName(), f.getChildren());
    }
    List<Tensor> parts = new ArrayList<>();
    List<long[]> idParts = new ArrayList<>();
    ByteArrayOutputStream carried = new ByteArrayOutputStream();
    List<Field> fields = c.otherFields();
    List<FieldVector> decodedColumns = new ArrayList<>(); // this reader's own vectors, closed here
    ArrowStreamWriter cw = null;
    VectorSchemaRoot view = null;
    long rows = 0;
    try {
      while (r.loadNextBatch()) {
        VectorSchemaRoot root = r.root();
        if (cw == null) {
          List<FieldVector> columns = new ArrayList<>();
          List<Field> asCarried = new ArrayList<>();
          for (Field f : fields) {
            FieldVector v = root.getVector(f.getName());
            if (f.getDictionary() != null) {
              v = decodedField(file, f, r).createVector(allocator);
              decodedColumns.add(v);
            }
            columns.add(v);
            asCarried.add(v.getField());
          }
          fields = asCarried;
          view = new VectorSchemaRoot(columns);
          cw = new ArrowStreamWriter(view, null, carried);
          cw.start(); // the reader reuses its vectors for every batch, so the view stays valid
        }
        int k = 0;
        for (Field f : c.otherFields()) {
          if (f.getDictionary() != null) {
            FieldVector encoded = root.getVector(f.getName());
            try (ValueVector values = DictionaryEncoder.decode(encoded, r.dictionary(f.getDictionary().getId()))) {
              values.makeTransferPair(decodedColumns.get(k++)).transfer();
            } catch (RuntimeException e) {
              throw new TensorFormatException(file.toString(), "corrupt: column " + f.getName()
                  + " (dictionary-encoded) cannot be decoded (" + e.getMessage() + ")", e);
            }
          }
        }
        view.setRowCount(root.getRowCount());
        try {
          ValueVectorUtility.validateFull(view);
        } catch (RuntimeException e) {
          throw new TensorFormatException(file.toString(),
              "corrupt: a column beside the tensor does not hold together (" + e.getMessage() + ")", e);
        }
        cw.writeBatch();
        parts.add(r.batchTensor());
        long[] ids = r.batchIds();
        if (ids != null) {
          idParts.add(ids);
        }
        rows += root.getRowCount();
      }
      if (cw == null) { // no record batch (an empty table): the columns' schema alone travels
        fields = new ArrayList<>();
        for (Field f : c.otherFields()) {
          fields.add(f.getDictionary() != null ? decodedField(file, f, r) : f);
        }
        try (VectorSchemaRoot empty = VectorSchemaRoot.create(new Schema(fields), allocator);
            ArrowStreamWriter w = new ArrowStreamWriter(empty, null, carried)) {
          w.start();
          w.end();
        }
      } else {
        cw.end();
      }
    } finally {
      if (cw != null) {
        cw.close();
      }
      for (FieldVector v : decodedColumns) {
        v.close();
      }
    }
    Tensor all = concat(parts, c, rows);
    long[] ids = null;
    if (c.idColumn() != null) {
      ids = new long[(int) rows];
      int k = 0;
      for (long[] p : idParts) {
        System.arraycopy(p, 0, ids, k, p.length);
        k += p.length;
      }
    }
    return new TensorFile(file, Format.ARROW, all, c.dataFormat(), ids, fields, carried.toByteArray());
  }

  /** Refuses a column with a dictionary-encoded field inside it (a struct's, a list's): it is decoded at the top only. */
  private static void refuseNestedDictionary(Path file, String column, List<Field> children) throws IOException {
    for (Field child : children) {
      if (child.getDictionary() != null) {
        throw new TensorFormatException(file.toString(), "column " + column + " holds a dictionary-encoded field ("
            + child.getName() + "); convgrad carries a column beside the tensor that is dictionary-encoded itself, not"
            + " one with such a field inside: decode it, or leave the column out");
      }
      refuseNestedDictionary(file, column, child.getChildren());
    }
  }

  /** A dictionary-encoded column's field as its values are: the dictionary's type, under the column's name. */
  private static Field decodedField(Path file, Field encoded, TensorIpcReader r) throws IOException {
    Dictionary d = r.dictionary(encoded.getDictionary().getId());
    if (d == null) {
      throw new TensorFormatException(file.toString(), "corrupt: column " + encoded.getName()
          + " is dictionary-encoded, but the file holds no dictionary " + encoded.getDictionary().getId());
    }
    Field values = d.getVector().getField();
    return new Field(encoded.getName(), new FieldType(encoded.isNullable(), values.getType(), null,
        encoded.getMetadata()), values.getChildren());
  }

  private static Tensor concat(List<Tensor> parts, TensorColumnInfo c, long rows) {
    Tensor all = Tensor.zeros(c.dtype(), org.convgrad.io.arrow.TensorVectors.batchShape(c.type(), rows));
    int at = 0;
    for (Tensor p : parts) {
      copy(p, all, at);
      at += p.size();
    }
    return all;
  }

  private static void copy(Tensor src, Tensor dst, int at) {
    switch (src.dtype()) {
      case FLOAT32:
        System.arraycopy(src.float32Data(), 0, dst.float32Data(), at, src.size());
        break;
      case FLOAT64:
        System.arraycopy(src.float64Data(), 0, dst.float64Data(), at, src.size());
        break;
      default:
        System.arraycopy(src.bits16Data(), 0, dst.bits16Data(), at, src.size());
    }
  }

  /** The same data under another shape of the same element count (shares the array). */
  private static Tensor withShape(Tensor t, Shape shape) {
    switch (t.dtype()) {
      case FLOAT32:
        return Tensor.ofFloat32(shape, t.float32Data());
      case FLOAT64:
        return Tensor.ofFloat64(shape, t.float64Data());
      default:
        return Tensor.ofBits16(t.dtype(), shape, t.bits16Data());
    }
  }

  private static long[] dropFirst(long[] dims) {
    long[] out = new long[dims.length - 1];
    System.arraycopy(dims, 1, out, 0, out.length);
    return out;
  }

  private static boolean isArrowFile(Path file) throws IOException {
    try (FileChannel ch = InputFiles.open(file)) {
      ByteBuffer b = ByteBuffer.allocate(ARROW_MAGIC.length);
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // read the magic
      }
      return b.position() == ARROW_MAGIC.length && java.util.Arrays.equals(b.array(), ARROW_MAGIC);
    }
  }
}
