package org.convgrad.spark.commit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.convgrad.spark.task.TaskCommit;
import org.jspecify.annotations.Nullable;

/**
 * {@code manifest.json} of a job's output: what was computed and the parts in sample order, with
 * their sample counts, id ranges, sizes and CRC-32C checksums. Readers take the parts in the
 * listed order to get the whole input gradient.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class Manifest {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public String format = "convgrad-spark-output";
  public int version = 1;
  public String op = "Conv2DBackpropInput";
  public String arguments = "";
  public String outBackprop = "";
  public String filter = "";
  /** TensorFlow's dtype name: half, bfloat16, float, double. */
  public String dtype = "";
  public String dataFormat = "";
  /** The whole input gradient's shape, [n, ...] in data_format order. */
  public long[] shape = new long[0];
  public long samples;
  /** For a job sharded into bands of result rows, their height (the last band of a sample may be lower). */
  public @Nullable Long bandRows;
  public String engine = "";
  public String sparkApplicationId = "";
  public String jobId = "";
  public List<Part> parts = new ArrayList<>();

  /** One committed part. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static final class Part {
    public String file = "";
    public int shard;
    public long firstSample;
    public long samples;
    /** For a band of one sample's result rows, the first of them; absent for whole samples. */
    public @Nullable Long firstRow;
    /** For a band, how many result rows it holds. */
    public @Nullable Long rows;
    public long firstId;
    public long lastId;
    public long bytes;
    public String crc32c = "";
    /** Where the part was computed: {@code cpu}, or {@code gpu N}. */
    public String device = "";
    /** The kernel that computed it, as it describes itself. */
    public String kernel = "";

    public Part() {}

    static Part of(TaskCommit c) {
      Part p = new Part();
      p.file = JobCommitter.partName(c.shard);
      p.shard = c.shard;
      p.firstSample = c.firstSample;
      p.samples = c.samples;
      if (c.endRow > c.firstRow) {
        p.firstRow = c.firstRow;
        p.rows = c.endRow - c.firstRow;
      }
      p.firstId = c.firstId;
      p.lastId = c.lastId;
      p.bytes = c.bytes;
      p.crc32c = c.crc32c;
      p.device = c.device;
      p.kernel = c.kernelDescription;
      return p;
    }
  }

  public Manifest() {}

  /** Lists {@code commits} (in sample order) as the parts. */
  public Manifest withParts(List<TaskCommit> commits) {
    parts.clear();
    for (TaskCommit c : commits) {
      parts.add(Part.of(c));
    }
    return this;
  }

  void write(FileSystem fs, Path target, Path temp) throws IOException {
    try (OutputStream out = fs.create(temp, true)) {
      JSON.writeValue(out, this);
    }
    fs.delete(target, false);
    if (!fs.rename(temp, target)) {
      throw new IOException("cannot rename " + temp + " to " + target);
    }
  }

  public static Manifest read(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return JSON.readValue(in, Manifest.class);
    }
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
