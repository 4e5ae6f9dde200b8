package org.convgrad.spark.io;

import java.io.IOException;
import java.io.Serializable;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.convgrad.engine.DType;
import org.convgrad.io.npy.Npy;
import org.convgrad.io.npy.NpyHeader;
import org.jspecify.annotations.Nullable;

/**
 * An out_backprop dataset, inspected on the driver without reading its data: either one
 * {@code .npy} file of shape {@code [n, ...]} (sample ids are row numbers) or a directory of Arrow
 * IPC files whose rows are samples (an {@code id} column and an {@code arrow.fixed_shape_tensor}
 * column). Files are taken in name order; files whose names start with {@code _} or {@code .} are
 * ignored, as Hadoop does.
 */
public final class SampleDataset implements Serializable {
  private static final long serialVersionUID = 1L;

  public enum Format {
    NPY,
    ARROW
  }

  /** One file of the dataset, its row count and its first sample's position in the dataset. */
  public static final class DataFile implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String path;
    private final long rows;
    private final long firstSample;

    public DataFile(String path, long rows, long firstSample) {
      this.path = path;
      this.rows = rows;
      this.firstSample = firstSample;
    }

    public String path() {
      return path;
    }

    public long rows() {
      return rows;
    }

    public long firstSample() {
      return firstSample;
    }
  }

  private final String location;
  private final Format format;
  private final List<DataFile> files;
  private final long[] sampleShape;
  private final DType dtype;
  private final long samples;
  private final @Nullable String layout;

  public SampleDataset(String location, Format format, List<DataFile> files, long[] sampleShape, DType dtype) {
    this(location, format, files, sampleShape, dtype, null);
  }

  /** {@code layout}: NHWC or NCHW when the files' dimension names say so, else null. */
  public SampleDataset(
      String location, Format format, List<DataFile> files, long[] sampleShape, DType dtype, @Nullable String layout) {
    this.layout = layout;
    this.location = location;
    this.format = format;
    this.files = new ArrayList<>(files);
    this.sampleShape = sampleShape.clone();
    this.dtype = dtype;
    long n = 0;
    for (DataFile f : files) {
      n += f.rows();
    }
    this.samples = n;
  }

  /** Inspects the dataset at {@code location} (any Hadoop file system path). */
  public static SampleDataset inspect(String location, Configuration conf) {
    Path path = new Path(location);
    try {
      FileSystem fs = path.getFileSystem(conf);
      if (!fs.exists(path)) {
        throw new DatasetException("out_backprop dataset " + location + " does not exist");
      }
      FileStatus status = fs.getFileStatus(path);
      SampleDataset ds;
      String lower = location.toLowerCase(java.util.Locale.ROOT); // extensions as bin/convgrad reads them
      if (status.isFile() && lower.endsWith(".npy")) {
        ds = inspectNpy(location, fs.makeQualified(path), conf);
      } else if (status.isFile() && lower.endsWith(".arrow")) {
        ds = ArrowSamples.inspect(location, List.of(fs.makeQualified(path)), conf);
      } else if (status.isDirectory()) {
        List<Path> parts = new ArrayList<>();
        for (FileStatus s : fs.listStatus(path)) {
          String name = s.getPath().getName().toLowerCase(java.util.Locale.ROOT);
          if (s.isFile() && !name.startsWith("_") && !name.startsWith(".")
              && (name.endsWith(".arrow") || name.endsWith(".arrows") || name.endsWith(".ipc"))) {
            parts.add(s.getPath());
          }
        }
        Collections.sort(parts);
        if (parts.isEmpty()) {
          throw new DatasetException(
              "out_backprop dataset " + location + " holds no Arrow IPC files (*.arrow): an empty dataset");
        }
        ds = ArrowSamples.inspect(location, parts, conf);
      } else {
        throw new DatasetException(
            "out_backprop " + location + " is neither a .npy file, an .arrow file nor a directory of .arrow files");
      }
      if (ds.samples() == 0) {
        throw new DatasetException("out_backprop dataset " + location + " has no samples");
      }
      return ds;
    } catch (IOException e) {
      throw new DatasetException("cannot read out_backprop dataset " + location + ": " + e.getMessage(), e);
    }
  }

  private static SampleDataset inspectNpy(String location, Path file, Configuration conf) throws IOException {
    try (SeekableByteChannel ch = HadoopChannels.openRead(file, conf)) {
      NpyHeader h = Npy.readHeader(ch, file.toString());
      long[] shape = h.shape().toArray();
      if (shape.length < 1) {
        throw new DatasetException("out_backprop " + location + " is a scalar; expected an array of samples [n, ...]");
      }
      long[] sample = Arrays.copyOfRange(shape, 1, shape.length);
      return new SampleDataset(
          location, Format.NPY, List.of(new DataFile(file.toString(), shape[0], 0)), sample, h.dtype());
    }
  }

  public String location() {
    return location;
  }

  public Format format() {
    return format;
  }

  public List<DataFile> files() {
    return files;
  }

  /** One sample's shape (out_backprop's shape without the batch dimension). */
  public long[] sampleShape() {
    return sampleShape.clone();
  }

  /** NHWC or NCHW when the dataset's dimension names say so, else null. */
  public @Nullable String layout() {
    return layout;
  }

  public DType dtype() {
    return dtype;
  }

  public long samples() {
    return samples;
  }

  /** Elements of one sample. */
  public long sampleElements() {
    long n = 1;
    for (long d : sampleShape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** A reader of one file of this dataset, for a task. */
  public SampleReader open(String file, Configuration conf) throws IOException {
    return format == Format.NPY ? new NpySampleReader(new Path(file), conf) : ArrowSamples.open(this, file, conf);
  }

  @Override
  public String toString() {
    return location + " (" + samples + " samples of " + Arrays.toString(sampleShape) + " " + dtype.tfName() + ", "
        + files.size() + " file" + (files.size() == 1 ? "" : "s") + ", " + format.name().toLowerCase() + ")";
  }
}
