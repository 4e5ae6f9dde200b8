package org.convgrad.io.arrow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.jspecify.annotations.Nullable;
import org.convgrad.io.InputFiles;

/**
 * A directory (or list) of Arrow IPC files of tensor samples read as one sequence of samples, in
 * a stable order: file name order, then row order. Opening reads only each file's footer and its
 * record batches' metadata, so the schema ({@link #column()}) and {@link #sampleCount()} are
 * known before any data is read; every file must have the same tensor type, element type and id
 * column. {@link #read(long, int)} reads any range of samples, touching only the record batches
 * that hold them, one at a time: the samples' bytes go straight from the file into the result
 * (see {@link TensorIpcReader#readRecordBatchRows}), so memory is the result plus a small buffer
 * (plus one record batch, for batches that must be loaded: compressed, or with nulls).
 *
 * <p>Files are read through {@link Source}s, so a Spark job can read a Hadoop file system through
 * an adapter that returns a {@link SeekableByteChannel} (see {@link
 * org.convgrad.io.PositionedChannel}).
 *
 * <p>Not thread-safe: it keeps the file being read open between calls. Use one per thread (or per
 * Spark task); {@link #close()} closes that file.
 */
public final class TensorDataset implements AutoCloseable {
  /** One file of the dataset. */
  public interface Source {
    /** The file's name (for errors). */
    String name();

    /** A new channel over the file's bytes; the dataset closes it. */
    SeekableByteChannel open() throws IOException;
  }

  private static final class FileEntry {
    final Source source;
    final long first;
    final long[] batchFirst; // dataset position of each record batch's first row
    final long[] batchRows;

    FileEntry(Source source, long first, long[] batchRows) {
      this.source = source;
      this.first = first;
      this.batchRows = batchRows;
      this.batchFirst = new long[batchRows.length];
      long at = first;
      for (int i = 0; i < batchRows.length; i++) {
        batchFirst[i] = at;
        at += batchRows[i];
      }
    }
  }

  private final BufferAllocator allocator;
  private final List<FileEntry> files;
  private final long[] fileFirst;
  private final TensorColumnInfo column;
  private final long sampleCount;
  private @Nullable TensorIpcReader open;
  private int openFile = -1;
  private int checkedBatch = -1;

  private TensorDataset(BufferAllocator allocator, List<FileEntry> files, TensorColumnInfo column, long count) {
    this.allocator = allocator;
    this.files = files;
    this.column = column;
    this.sampleCount = count;
    this.fileFirst = new long[files.size()];
    for (int i = 0; i < fileFirst.length; i++) {
      fileFirst[i] = files.get(i).first;
    }
  }

  /** A source over a local file. */
  public static Source source(Path file) {
    return new Source() {
      @Override
      public String name() {
        return file.toString();
      }

      @Override
      public SeekableByteChannel open() throws IOException {
        return InputFiles.open(file);
      }
    };
  }

  /**
   * The {@code .arrow} files of {@code directory} in file name order (names starting with
   * {@code .} or {@code _}, such as temporary files and {@code _SUCCESS}, are skipped).
   */
  public static TensorDataset open(Path directory, BufferAllocator allocator) throws IOException {
    List<Path> paths;
    try (Stream<Path> s = Files.list(directory)) {
      paths = s.filter(p -> {
        String n = p.getFileName().toString();
        return n.toLowerCase(java.util.Locale.ROOT).endsWith(".arrow") && !n.startsWith(".") && !n.startsWith("_")
            && Files.isRegularFile(p); // part-1.ARROW too, as a single file's name is read
      }).sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
    }
    if (paths.isEmpty()) {
      throw new TensorFormatException(directory.toString(), "no .arrow files in the directory");
    }
    List<Source> sources = new ArrayList<>();
    for (Path p : paths) {
      sources.add(source(p));
    }
    return open(sources, allocator);
  }

  /** The files {@code sources}, in the order given. */
  public static TensorDataset open(List<? extends Source> sources, BufferAllocator allocator) throws IOException {
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("a dataset needs at least one file");
    }
    List<FileEntry> entries = new ArrayList<>();
    TensorColumnInfo first = null;
    String firstName = null;
    long at = 0;
    for (Source s : sources) {
      try (TensorIpcReader r = TensorIpcReader.openFile(s.open(), s.name(), allocator)) {
        TensorColumnInfo c = r.column();
        if (first == null) {
          first = c;
          firstName = s.name();
        } else {
          checkSame(first, firstName, c, s.name());
        }
        long[] rows = r.recordBatchRowCounts();
        entries.add(new FileEntry(s, at, rows));
        for (long n : rows) {
          at += n;
        }
      }
    }
    return new TensorDataset(allocator, entries, first, at);
  }

  private static void checkSame(TensorColumnInfo a, String aName, TensorColumnInfo b, String bName)
      throws TensorFormatException {
    String problem = null;
    if (!a.type().equals(b.type())) {
      problem = "its tensor column is " + b.type().serialize() + " but " + aName + "'s is " + a.type().serialize();
    } else if (a.dtype() != b.dtype()) {
      problem = "it holds " + b.dtype().tfName() + " but " + aName + " holds " + a.dtype().tfName();
    } else if ((a.idColumn() == null) != (b.idColumn() == null)) {
      problem = (b.idColumn() == null ? "it has no id column but " : "it has an id column but ") + aName
          + (a.idColumn() == null ? " has none" : " has one");
    } else if (!a.name().equals(b.name())) {
      problem = "its tensor column is named '" + b.name() + "' but " + aName + "'s '" + a.name() + "'";
    }
    if (problem != null) {
      throw new TensorFormatException(bName, "does not match the rest of the dataset: " + problem);
    }
  }

  /** The tensor column: sample shape, dtype, layout, id column. */
  public TensorColumnInfo column() {
    return column;
  }

  /** The number of samples in all files. */
  public long sampleCount() {
    return sampleCount;
  }

  /** The files' names, in dataset order. */
  public List<String> files() {
    List<String> out = new ArrayList<>();
    for (FileEntry f : files) {
      out.add(f.source.name());
    }
    return out;
  }

  /** The number of samples in each file, in dataset order. */
  public long[] fileSampleCounts() {
    long[] out = new long[files.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Arrays.stream(files.get(i).batchRows).sum();
    }
    return out;
  }

  /**
   * Samples {@code [firstSample, firstSample + count)} as one batch.
   *
   * @throws IndexOutOfBoundsException when the range is not inside {@code [0, sampleCount())}
   */
  public TensorBatch read(long firstSample, int count) throws IOException {
    if (firstSample < 0 || count < 0 || firstSample > sampleCount || count > sampleCount - firstSample) {
      throw new IndexOutOfBoundsException("samples [" + firstSample + ", " + firstSample + " + " + count
          + ") are outside the dataset's " + sampleCount + " samples");
    }
    long elements = (long) count * column.type().listSize();
    if (elements > Shape.MAX_ELEMENTS) {
      throw new IllegalArgumentException(count + " samples of shape " + column.sampleShape()
          + " are more than one tensor holds; read fewer at a time");
    }
    Tensor out = Tensor.zeros(column.dtype(), TensorVectors.batchShape(column.type(), count));
    long[] ids = column.idColumn() == null ? null : new long[count];
    long pos = firstSample;
    int done = 0;
    while (done < count) {
      int f = locate(fileFirst, pos);
      FileEntry file = files.get(f);
      int b = locate(file.batchFirst, pos);
      while (file.batchRows[b] == 0) {
        b++; // empty record batches share their position with the next one
      }
      TensorIpcReader r = reader(f);
      if (checkedBatch != b) {
        long rows = r.recordBatchRowCounts()[b];
        if (rows != file.batchRows[b]) {
          throw new TensorFormatException(file.source.name(), "record batch " + b + " has " + rows
              + " rows but its metadata said " + file.batchRows[b] + " (the file changed?)");
        }
        checkedBatch = b;
      }
      int offset = (int) (pos - file.batchFirst[b]);
      int n = (int) Math.min(count - done, file.batchRows[b] - offset);
      // straight from the file into the result (or through Arrow memory where that is not possible)
      long[] got = r.readRecordBatchRows(b, offset, n, out, done);
      if (ids != null) {
        System.arraycopy(got, 0, ids, done, n);
      }
      done += n;
      pos += n;
    }
    return new TensorBatch(firstSample, ids, out);
  }

  /**
   * The samples {@code [firstSample, firstSample + count)} in batches of at most {@code maxRows},
   * read as the iteration goes (an I/O failure surfaces as {@link UncheckedIOException}).
   */
  public Iterator<TensorBatch> batches(long firstSample, long count, int maxRows) {
    if (firstSample < 0 || count < 0 || firstSample > sampleCount || count > sampleCount - firstSample) {
      throw new IndexOutOfBoundsException("samples [" + firstSample + ", " + firstSample + " + " + count
          + ") are outside the dataset's " + sampleCount + " samples");
    }
    if (maxRows < 1) {
      throw new IllegalArgumentException("maxRows must be at least 1, not " + maxRows);
    }
    return new Iterator<>() {
      private long next = firstSample;
      private final long end = firstSample + count;

      @Override
      public boolean hasNext() {
        return next < end;
      }

      @Override
      public TensorBatch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int n = (int) Math.min(maxRows, end - next);
        try {
          TensorBatch b = read(next, n);
          next += n;
          return b;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  /** The last index i with starts[i] <= pos. */
  private static int locate(long[] starts, long pos) {
    int i = Arrays.binarySearch(starts, pos);
    if (i < 0) {
      return -i - 2;
    }
    while (i > 0 && starts[i - 1] == pos) {
      i--; // several empty files (or batches) start at the same position; take the first
    }
    while (i + 1 < starts.length && starts[i + 1] == pos) {
      i++; // ... then the last one starting there, which holds the row
    }
    return i;
  }

  private TensorIpcReader reader(int f) throws IOException {
    if (openFile != f || open == null) {
      closeOpen();
      Source s = files.get(f).source;
      open = TensorIpcReader.openFile(s.open(), s.name(), allocator);
      openFile = f;
      checkedBatch = -1;
    }
    return open;
  }

  private void closeOpen() throws IOException {
    if (open != null) {
      TensorIpcReader r = open;
      open = null;
      openFile = -1;
      checkedBatch = -1;
      r.close();
    }
  }

  /** Closes the file being read, if any. */
  @Override
  public void close() throws IOException {
    closeOpen();
  }
}
