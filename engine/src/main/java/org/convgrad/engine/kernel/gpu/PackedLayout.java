package org.convgrad.engine.kernel.gpu;

import java.nio.ByteBuffer;
import org.convgrad.engine.ConvGeometry;
import org.convgrad.engine.DType;
import org.convgrad.engine.tensor.Tensor;

/**
 * The filter layout every GPU kernel reads: {@code [groups][fh][fw][out channels of the
 * group][in channels of the group]}, so that for one tap and group the filter is a row-major K x N
 * matrix (the GEMM's B) and neighbouring threads of the direct kernel (neighbouring in channels)
 * read neighbouring addresses. From TensorFlow's HWIO {@code [fh][fw][in / groups][out]}.
 */
final class PackedLayout {
  private PackedLayout() {}

  static long bytes(ConvGeometry g, DType dtype) {
    return g.filterHeight() * g.filterWidth() * g.filterInDepth() * g.outDepth() * dtype.byteSize();
  }

  /**
   * Writes the packed filter into {@code out} (little-endian, from position 0) and returns whether
   * every value is finite.
   */
  static boolean pack(ConvGeometry g, Tensor filter, ByteBuffer out) {
    int fh = (int) g.filterHeight();
    int fw = (int) g.filterWidth();
    int cg = (int) g.filterInDepth();
    int k = (int) g.outDepth();
    int kg = (int) g.outDepthPerGroup();
    int groups = (int) g.groups();
    DType t = filter.dtype();
    if (bytes(g, t) > out.capacity()) {
      throw new IllegalArgumentException("a buffer of " + out.capacity() + " bytes cannot hold the packed filter");
    }
    boolean finite = true;
    int dst = 0;
    for (int grp = 0; grp < groups; grp++) {
      for (int ky = 0; ky < fh; ky++) {
        for (int kx = 0; kx < fw; kx++) {
          int tap = (ky * fw + kx) * cg * k + grp * kg;
          for (int co = 0; co < kg; co++) {
            for (int ci = 0; ci < cg; ci++, dst++) {
              int src = tap + ci * k + co;
              switch (t) {
                case FLOAT32: {
                  float v = filter.float32Data()[src];
                  finite &= Float.isFinite(v);
                  out.putFloat(dst * 4, v);
                  break;
                }
                case FLOAT64: {
                  double v = filter.float64Data()[src];
                  finite &= Double.isFinite(v);
                  out.putDouble(dst * 8, v);
                  break;
                }
                default: {
                  short bits = filter.bits16Data()[src];
                  // half: exponent 0x7c00 all ones; bfloat16: 0x7f80 all ones.
                  int exp = t == DType.HALF ? 0x7c00 : 0x7f80;
                  finite &= (bits & exp) != exp;
                  out.putShort(dst * 2, bits);
                }
              }
            }
          }
        }
      }
    }
    return finite;
  }
}
