package org.convgrad.engine.band;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.DataFormat;
import org.convgrad.engine.RowBand;
import org.convgrad.engine.tensor.Tensor;

/** Rows of one sample of an in-memory activation tensor, copied bit for bit: what a banded run reads and writes. */
final class RowSlices {
  private RowSlices() {}

  /** The out_backprop rows {@code band} reads, from the whole out_backprop {@code dy}. */
  static Tensor outRows(Tensor dy, Conv2dBackpropInput band) {
    RowBand at = band.bandOf();
    Tensor rows = Tensor.zeros(dy.dtype(), band.outBackpropShape());
    copy(dy, band.whole().geometry().outHeight(), at.sample(), at.firstOutRow(), rows, band.geometry().outHeight(),
        0, 0, at.outRows(), band.geometry().outWidth(), band.geometry().outDepth(), band.geometry().dataFormat());
    return rows;
  }

  /** Puts the rows of {@code band}'s result into the whole result {@code dx}. */
  static void place(Tensor bandResult, Conv2dBackpropInput band, Tensor dx) {
    RowBand at = band.bandOf();
    copy(bandResult, band.geometry().inHeight(), 0, 0, dx, band.whole().geometry().inHeight(), at.sample(),
        at.firstRow(), at.rows(), band.geometry().inWidth(), band.geometry().inDepth(), band.geometry().dataFormat());
  }

  private static void copy(Tensor src, long srcH, long srcB, long srcRow, Tensor dst, long dstH, long dstB,
      long dstRow, long rows, long w, long c, DataFormat f) {
    if (f == DataFormat.NHWC) {
      arraycopy(src, (int) ((srcB * srcH + srcRow) * w * c), dst, (int) ((dstB * dstH + dstRow) * w * c),
          (int) (rows * w * c));
      return;
    }
    for (long ch = 0; ch < c; ch++) {
      arraycopy(src, (int) (((srcB * c + ch) * srcH + srcRow) * w), dst, (int) (((dstB * c + ch) * dstH + dstRow) * w),
          (int) (rows * w));
    }
  }

  private static void arraycopy(Tensor src, int from, Tensor dst, int to, int n) {
    switch (src.dtype()) {
      case FLOAT32 -> System.arraycopy(src.float32Data(), from, dst.float32Data(), to, n);
      case FLOAT64 -> System.arraycopy(src.float64Data(), from, dst.float64Data(), to, n);
      default -> System.arraycopy(src.bits16Data(), from, dst.bits16Data(), to, n);
    }
  }
}
