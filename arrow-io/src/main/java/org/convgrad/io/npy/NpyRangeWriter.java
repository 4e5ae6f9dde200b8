package org.convgrad.io.npy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.convgrad.engine.DType;
import org.convgrad.engine.InvalidArgumentException;
import org.convgrad.engine.tensor.Box;
import org.convgrad.engine.tensor.Shape;
import org.convgrad.engine.tensor.Tensor;
import org.convgrad.io.AtomicFile;

/**
 * Writes one {@code .npy} array box by box, for arrays larger than one tensor: the header (as
 * {@link Npy#write} writes it) goes first into a temporary file sized to the whole array, each
 * {@link #write} puts a box's elements at their C-order places with positioned writes (one per
 * contiguous run, through a buffer of a few MiB), and {@link #commit} renames the file onto the
 * target once every element has been written ({@link AtomicFile}). Closed without a commit, the
 * temporary file is removed and the target left as it was. A committed file is byte for byte the
 * file {@link Npy#write} writes for the whole array.
 *
 * <pre>{@code
 * try (NpyRangeWriter out = NpyRangeWriter.begin(target, DType.FLOAT32, Shape.of(1, h, w, c))) {
 *   for (long r = 0; r < h; r += band) {
 *     out.write(new long[] {0, r, 0, 0}, bandOfRows(r));
 *   }
 *   out.commit();
 * }
 * }</pre>
 *
 * <p>The writer counts the elements written, it does not track which: the boxes must be disjoint
 * (a box that would take the count past the array's size is refused), and together cover the
 * array. Thread-safe: {@link #write} may be called from several threads, on disjoint boxes in any
 * order; the calls take turns (they share one buffer and the disk is the limit anyway).
 */
public final class NpyRangeWriter implements AutoCloseable {
  private final Path target;
  private final DType dtype;
  private final Shape shape;
  private final long dataOffset;
  private final long elements;
  private final AtomicFile file;
  private final ByteBuffer buf;
  private long written;
  private boolean finished;

  private NpyRangeWriter(Path target, DType dtype, Shape shape, long dataOffset, long elements, AtomicFile file) {
    this.target = target;
    this.dtype = dtype;
    this.shape = shape;
    this.dataOffset = dataOffset;
    this.elements = elements;
    this.file = file;
    this.buf = NpyData.buffer(dtype, elements);
  }

  /**
   * Starts writing an array of {@code dtype} and {@code shape} to {@code target}: a temporary file
   * beside it holds the header and room for all the data (a sparse file until written).
   *
   * @throws InvalidArgumentException for bfloat16, which has no NumPy type, or a shape whose byte
   *     count overflows a long
   */
  public static NpyRangeWriter begin(Path target, DType dtype, Shape shape) throws IOException {
    byte[] header = Npy.headerBytes(dtype, shape);
    long elements = shape.elementCount();
    long end;
    try {
      end = Math.addExact(header.length, Math.multiplyExact(elements, (long) dtype.byteSize()));
    } catch (ArithmeticException e) {
      throw new InvalidArgumentException("shape " + shape + " of " + dtype + " has more bytes than a long counts");
    }
    AtomicFile file = AtomicFile.begin(target);
    try {
      FileChannel ch = file.channel();
      NpyData.writeFully(ch, ByteBuffer.wrap(header), 0);
      if (end > header.length) {
        // One byte at the very end sizes the file, so every box lands inside it in any order.
        NpyData.writeFully(ch, ByteBuffer.allocate(1), end - 1);
      }
      return new NpyRangeWriter(target, dtype, shape, header.length, elements, file);
    } catch (IOException e) {
      file.abort();
      throw file.failed(e);
    } catch (RuntimeException e) {
      file.abort();
      throw e;
    }
  }

  /** The array's shape. */
  public Shape shape() {
    return shape;
  }

  /** The elements written so far. */
  public synchronized long writtenElements() {
    return written;
  }

  /**
   * Writes {@code box} at {@code start}: element {@code i} of the box goes to {@code start + i} of
   * the array, for every axis.
   *
   * @throws InvalidArgumentException when the box's dtype or rank is not the array's
   * @throws IndexOutOfBoundsException when the box leaves an axis (the message names the axis)
   * @throws IllegalStateException after a commit or close, or when the box would take the count of
   *     written elements past the array's size (boxes that overlap)
   */
  public synchronized void write(long[] start, Tensor box) throws IOException {
    requireOpen();
    if (box.dtype() != dtype) {
      throw new InvalidArgumentException(target + ": a box of " + box.dtype() + " for an array of " + dtype);
    }
    Box placed = Box.of(target.toString(), shape, start, box.shape().toArray());
    if (box.size() > elements - written) {
      throw new IllegalStateException(target + ": a box of " + box.size() + " elements after " + written
          + " of the array's " + elements + " were written: boxes overlap");
    }
    int width = dtype.byteSize();
    FileChannel ch = file.channel();
    try {
      placed.forEachRun((element, at, length) -> {
        long position = dataOffset + element * width;
        NpyData.write(box, at, length, buf, (chunk, offset) -> NpyData.writeFully(ch, chunk, position + offset));
      });
    } catch (IOException e) {
      throw file.failed(e);
    }
    written += box.size();
  }

  /**
   * Forces the file to disk and renames it onto the target.
   *
   * @throws IllegalStateException when fewer elements than the array's were written (nothing is
   *     committed; the writer stays open for the missing boxes), or after a commit or close
   */
  public synchronized void commit() throws IOException {
    requireOpen();
    if (written != elements) {
      throw new IllegalStateException(target + ": " + (elements - written) + " of the array's " + elements
          + " elements (shape " + shape + ") were never written; not committed");
    }
    finished = true;
    file.commit();
  }

  /** Discards the temporary file unless committed; the target is left as it was. Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    finished = true;
    file.close();
  }

  private void requireOpen() {
    if (finished) {
      throw new IllegalStateException(target + ": the writer is already committed or closed");
    }
  }
}
