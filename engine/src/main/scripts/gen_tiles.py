#!/usr/bin/env python3
"""Generates F32Tiles.java and F64Tiles.java (the SIMD kernel's register tiles).

Run from anywhere: python3 engine/src/main/scripts/gen_tiles.py

The tiles are written out (one local variable per accumulator) because C2 keeps vectors in
registers only when they live in locals of one method and of one loop level: JDK 17 boxes vectors
carried through nested loops or passed to a method it does not inline (about 40x slower). So the
accumulators go through a small scratch array around the inner loop over out channels.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "java", "org", "convgrad", "engine", "kernel", "simd")


def tile(rows):
    L = []
    L.append(f"""  /**
   * A register tile of {rows} result pixels x {{@link #NB}} in channels: for each tap, for each out
   * channel, broadcasts the out_backprop value of each pixel and FMAs it with the packed filter row.
   * Pixels at and past {{@code rows}} repeat the last real one and are not stored; channels at and
   * past {{@code width}} are computed with zero filter rows and not stored. The accumulators go
   * through {{@code acc}} ({{@link #ACC}} elements) between taps.
   */""")
    L.append(f"  static void tile{rows}(float[] a, int[] tA, int aShift, int aPix, int nt, int k, float[] b, int[] tB,")
    L.append(f"      float[] c, int cOff, int cPix, int rows, int width, float[] acc) {{")
    L.append(f"    Arrays.fill(acc, 0, {rows * 2} * L, 0f);")
    for r in range(1, rows):
        L.append(f"    int s{r} = Math.min({r}, rows - 1) * aPix;")
    L.append("    for (int t = 0; t < nt; t++) {")
    for r in range(rows):
        for j in range(2):
            L.append(f"      FloatVector c{r}{j} = FloatVector.fromArray(S, acc, {r * 2 + j} * L);")
    L.append("      int a0 = tA[t] + aShift;")
    for r in range(1, rows):
        L.append(f"      int a{r} = a0 + s{r};")
    L.append("      int bo = tB[t];")
    L.append("      for (int kk = 0; kk < k; kk++, bo += NB) {")
    L.append("        FloatVector b0 = FloatVector.fromArray(S, b, bo);")
    L.append("        FloatVector b1 = FloatVector.fromArray(S, b, bo + L);")
    for r in range(rows):
        v = "FloatVector x" if r == 0 else "x"
        L.append(f"        {v} = FloatVector.broadcast(S, a[a{r} + kk]);")
        L.append(f"        c{r}0 = x.fma(b0, c{r}0);")
        L.append(f"        c{r}1 = x.fma(b1, c{r}1);")
    L.append("      }")
    for r in range(rows):
        for j in range(2):
            L.append(f"      c{r}{j}.intoArray(acc, {r * 2 + j} * L);")
    L.append("    }")
    L.append("    for (int r = 0; r < rows; r++) {")
    L.append("      System.arraycopy(acc, r * NB, c, cOff + r * cPix, width);")
    L.append("    }")
    L.append("  }")
    return "\n".join(L)


def dot(P, C):
    L = []
    L.append(f"""  /**
   * A tile of {P} result pixels x {C} in channels for few in channels: vectorizes over the out
   * channels (the reduction), one accumulator per (pixel, channel) holding lane-wise partial sums
   * over {{@code co mod L}}, whose lanes are then added in a fixed order. Pixels at and past {{@code
   * rows}} and channels at and past {{@code cis}} repeat the last real one and are not stored. The
   * accumulators go through {{@code acc}} ({{@link #ACC}} elements) between taps.
   */""")
    L.append(f"  static void dot{P}x{C}(float[] a, int[] tA, int aShift, int aPix, int nt, int k, float[] w, int[] tW,")
    L.append(f"      int wCi, int cis, int rows, float[] c, int cOff, int cPix, float[] acc) {{")
    L.append(f"    Arrays.fill(acc, 0, {P * C} * L, 0f);")
    for p in range(1, P):
        L.append(f"    int s{p} = Math.min({p}, rows - 1) * aPix;")
    for j in range(1, C):
        L.append(f"    int u{j} = Math.min({j}, cis - 1) * wCi;")
    L.append("    int kv = S.loopBound(k);")
    L.append("    for (int t = 0; t < nt; t++) {")
    for p in range(P):
        for j in range(C):
            L.append(f"      FloatVector c{p}{j} = FloatVector.fromArray(S, acc, {p * C + j} * L);")
    L.append("      int a0 = tA[t] + aShift;")
    for p in range(1, P):
        L.append(f"      int a{p} = a0 + s{p};")
    L.append("      int w0 = tW[t];")
    for j in range(1, C):
        L.append(f"      int w{j} = w0 + u{j};")

    def body(masked):
        B = []
        mk = ", m" if masked else ""
        for j in range(C):
            B.append(f"        FloatVector v{j} = FloatVector.fromArray(S, w, w{j} + kk{mk});")
        for p in range(P):
            v = "FloatVector x" if p == 0 else "x"
            B.append(f"        {v} = FloatVector.fromArray(S, a, a{p} + kk{mk});")
            for j in range(C):
                B.append(f"        c{p}{j} = x.fma(v{j}, c{p}{j});")
        return B

    L.append("      for (int kk = 0; kk < kv; kk += L) {")
    L += body(False)
    L.append("      }")
    L.append("      if (kv < k) {")
    L.append("        int kk = kv;")
    L.append("        VectorMask<Float> m = S.indexInRange(kv, k);")
    L += body(True)
    L.append("      }")
    for p in range(P):
        for j in range(C):
            L.append(f"      c{p}{j}.intoArray(acc, {p * C + j} * L);")
    L.append("    }")
    L.append(f"    for (int p = 0; p < rows; p++) {{")
    L.append(f"      for (int j = 0; j < cis; j++) {{")
    L.append(f"        c[cOff + p * cPix + j] = sum(acc, (p * {C} + j) * L);")
    L.append("      }")
    L.append("    }")
    L.append("  }")
    return "\n".join(L)


HEAD = '''package org.convgrad.engine.kernel.simd;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 register tiles. Generated by engine/src/main/scripts/gen_tiles.py, with F64Tiles (the
 * same code for float64): edit the script, not this file.
 *
 * <p>Every tile computes each result element as {@code acc = fma(dy, w, acc)} over the run's taps
 * in order and, per tap, the out channels in ascending order (the dot tiles: lane {@code l}
 * accumulates the out channels {@code co = l mod L} in that order, and the lanes are then added
 * from lane 0 up). Tiles of different sizes give the same bits for the same element.
 */
final class F32Tiles {
  /** The species is a constant: passed as an argument it would not compile to vector code. */
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  /** In channels per packed panel: two vectors. */
  static final int NB = 2 * L;
  /**
   * Accumulator scratch a tile needs: 12 vectors. The accumulators are stored and reloaded around
   * each tap's loop (exactly: float stores are exact) because JDK 17's C2 boxes vectors carried
   * through nested loops (about 2 GFLOP/s instead of 70); one loop level keeps them in registers.
   */
  static final int ACC = 12 * L;

  private F32Tiles() {}

'''

TAIL = '''
  /** The L elements of tmp from off, added from the first up: a fixed order (reduceLanes has none). */
  static float sum(float[] tmp, int off) {
    float s = tmp[off];
    for (int i = 1; i < L; i++) {
      s += tmp[off + i];
    }
    return s;
  }
}
'''


def main():
    src = HEAD + tile(6) + "\n\n" + tile(3) + "\n\n" + dot(4, 3) + "\n" + TAIL
    with open(os.path.join(OUT, "F32Tiles.java"), "w") as f:
        f.write(src)
    d = (src.replace("FloatVector", "DoubleVector")
         .replace("VectorMask<Float>", "VectorMask<Double>")
         .replace("VectorSpecies<Float>", "VectorSpecies<Double>")
         .replace("float[]", "double[]")
         .replace("static float sum", "static double sum")
         .replace("float s =", "double s =")
         .replace("F32Tiles", "F64Tiles")
         .replace("float32 register tiles", "float64 register tiles")
         .replace("with F64Tiles (the\n * same code for float64)", "with F32Tiles (the\n * same code for float32)"))
    with open(os.path.join(OUT, "F64Tiles.java"), "w") as f:
        f.write(d)


if __name__ == "__main__":
    main()
