#!/usr/bin/env python3
"""Generates F32Tiles.java, F64Tiles.java and F32PixelTiles.java (the SIMD kernel's register tiles).

Run from anywhere: python3 engine/src/main/scripts/gen_tiles.py

The tiles are written out (one local variable per accumulator) because C2 keeps vectors in
registers only when they live in locals of one method and of one loop level: JDK 17 boxes vectors
carried through nested loops or passed to a method it does not inline (about 40x slower). So the
accumulators go through a small scratch array around the inner loop over out channels.

Stores test their vectors' classes first (stores() below, VCLASS in F32Tiles): intoArray takes the
store's shape from the vector, and without the test C2 can lose it and box the vector.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "java", "org", "convgrad", "engine", "kernel", "simd")


def stores(items, ind="    "):
    """Stores of vectors (name, array, offset), after one test of their classes (see VCLASS in F32Tiles)."""
    L = []
    tests = [f"{v}.getClass() != VCLASS" for v, _, _ in items]
    line = f"{ind}if ("
    for i, t in enumerate(tests):
        piece = t if i == 0 else " || " + t
        if len(line) + len(piece) > 108:
            L.append(line)
            line = f"{ind}    " + piece.lstrip()
        else:
            line += piece
    L.append(line + ") {")
    L.append(f"{ind}  throw new IllegalStateException();")
    L.append(f"{ind}}}")
    for v, arr, off in items:
        L.append(f"{ind}{v}.intoArray({arr}, {off});")
    return L


def tile(rows):
    L = []
    L.append(f"""  /**
   * A register tile of {rows} result pixels x {{@link #NB}} in channels over one tap and {{@code k}}
   * out channels: for each out channel, broadcasts the out_backprop value of each pixel (pixel r at
   * {{@code a[ao[r] + kk]}}: the pixels need not be neighbours, so a tile can gather pixels of
   * several rows) and FMAs it with the packed filter row ({{@code b[bo + kk * NB]}}), adding to the
   * accumulators kept in {{@code acc[accOff ..]}} (row r at {{@code r * NB}}). Pixels at and past
   * {{@code rows}} repeat the last real one.
   */""")
    L.append(f"  static void tile{rows}(float[] a, int[] ao, int rows, int k, float[] b, int bo, float[] acc, int accOff) {{")
    L.append("    int a0 = ao[0];")
    for r in range(1, rows):
        L.append(f"    int a{r} = ao[Math.min({r}, rows - 1)];")
    for r in range(rows):
        for j in range(2):
            L.append(f"    FloatVector c{r}{j} = FloatVector.fromArray(S, acc, accOff + {r * 2 + j} * L);")
    # Two out channels per iteration, the filter rows indexed by kk: C2 then drops the filter's range
    # checks from the loop (with bo advanced in step with kk, JDK 17 checked both loads of every
    # out channel) and pays its loop overhead once per 2 * 2 * rows FMAs. Each accumulator still adds
    # its terms in ascending kk. The loop had 46 instructions per 12 FMAs on JDK 17 (34 on JDK 25);
    # now 63 per 24 (56).
    def step(u):
        k = "kk" if u == 0 else "kk + 1"
        kb = "kk" if u == 0 else "(kk + 1)"
        L.append(f"      {'FloatVector ' if u == 0 else ''}b0 = FloatVector.fromArray(S, b, bo + {kb} * NB);")
        L.append(f"      {'FloatVector ' if u == 0 else ''}b1 = FloatVector.fromArray(S, b, bo + {kb} * NB + L);")
        for r in range(rows):
            v = "FloatVector x" if r == 0 and u == 0 else "x"
            L.append(f"      {v} = FloatVector.broadcast(S, a[a{r} + {k}]);")
            L.append(f"      c{r}0 = x.fma(b0, c{r}0);")
            L.append(f"      c{r}1 = x.fma(b1, c{r}1);")
    L.append("    int kk = 0;")
    L.append("    for (; kk < k - 1; kk += 2) {")
    step(0)
    step(1)
    L.append("    }")
    L.append("    if (kk < k) {")
    step(0)
    L.append("    }")
    L += stores([(f"c{r}{j}", "acc", f"accOff + {r * 2 + j} * L") for r in range(rows) for j in range(2)])
    L.append("  }")
    return "\n".join(L)


def dot(P, C):
    L = []
    L.append(f"""  /**
   * A tile of {P} result pixels x {C} in channels over one tap, for few in channels: vectorizes over
   * the {{@code k}} out channels (the reduction). One accumulator per (pixel p, channel j), kept in
   * {{@code acc[accOff + (p * {C} + j) * L ..]}}, holds lane-wise partial sums over {{@code co mod
   * L}} (the tail included); {{@link #sum}} adds the lanes at the end in a fixed order.
   * Pixel p reads {{@code a[a0 + p * aPix + co]}}, channel j {{@code w[w0 + j * wCi + co]}}. Pixels
   * at and past {{@code rows}} and channels at and past {{@code cis}} repeat the last real one.
   */""")
    L.append(f"  static void dot{P}x{C}(float[] a, int a0, int aPix, int rows, int k, float[] w, int w0, int wCi, int cis,")
    L.append(f"      float[] acc, int accOff) {{")
    for p in range(1, P):
        L.append(f"    int a{p} = a0 + Math.min({p}, rows - 1) * aPix;")
    for j in range(1, C):
        L.append(f"    int w{j} = w0 + Math.min({j}, cis - 1) * wCi;")
    for p in range(P):
        for j in range(C):
            L.append(f"    FloatVector c{p}{j} = FloatVector.fromArray(S, acc, accOff + {p * C + j} * L);")
    L.append("    int kv = S.loopBound(k);")

    def body(masked):
        B = []
        mk = ", m" if masked else ""
        for j in range(C):
            B.append(f"      FloatVector v{j} = FloatVector.fromArray(S, w, w{j} + kk{mk});")
        for p in range(P):
            v = "FloatVector x" if p == 0 else "x"
            B.append(f"      {v} = FloatVector.fromArray(S, a, a{p} + kk{mk});")
            for j in range(C):
                B.append(f"      c{p}{j} = x.fma(v{j}, c{p}{j});")
        return B

    L.append("    for (int kk = 0; kk < kv; kk += L) {")
    L += body(False)
    L.append("    }")
    L += stores([(f"c{p}{j}", "acc", f"accOff + {p * C + j} * L") for p in range(P) for j in range(C)])
    L.append("    if (kv < k) {")
    L.append(f"      dotTail{P}x{C}(a, a0, aPix, rows, k, w, w0, wCi, cis, acc, accOff);")
    L.append("    }")
    L.append("  }")
    L.append("")
    L.append(f"""  /**
   * The last {{@code k mod L}} out channels of {{@link #dot{P}x{C}}}, in scalar code on the
   * accumulators in {{@code acc}}: out channel {{@code kv + i}} goes to lane i, with the same fused
   * multiply-add a masked vector lane would do. (Masked loads are not compiled to vector code on
   * every JDK 17 target; a method that holds them makes C2 box all its vectors.)
   */""")
    L.append(f"  static void dotTail{P}x{C}(float[] a, int a0, int aPix, int rows, int k, float[] w, int w0, int wCi, int cis,")
    L.append("      float[] acc, int accOff) {")
    L.append("    int kv = S.loopBound(k);")
    L.append(f"    for (int p = 0; p < {P}; p++) {{")
    L.append("      int ap = a0 + Math.min(p, rows - 1) * aPix;")
    L.append(f"      for (int j = 0; j < {C}; j++) {{")
    L.append("        int wj = w0 + Math.min(j, cis - 1) * wCi;")
    L.append(f"        int lane = accOff + (p * {C} + j) * L - kv;")
    L.append("        for (int kk = kv; kk < k; kk++) {")
    L.append("          acc[lane + kk] = Math.fma(a[ap + kk], w[wj + kk], acc[lane + kk]);")
    L.append("        }")
    L.append("      }")
    L.append("    }")
    L.append("  }")
    return "\n".join(L)


# Pixel vectors per pixel tile by in-channel count: C * V accumulators, C broadcasts and the
# pixel vectors C2 loads ahead must fit 16 registers with one to spare (C * V <= 13 - C): with
# 12 accumulators and 3 broadcasts C2 spilled an accumulator to the stack in every iteration.
PIXEL_VECTORS = {1: 12, 2: 5, 3: 3, 4: 2}
# Narrow tiles for a run's last span when it is at most this many vectors (half, rounded up): S3's
# phases of 112 pixels are 4 spans of 24 and one of 16, which a 2-vector tile fills.
NARROW_VECTORS = {c: (v + 1) // 2 for c, v in PIXEL_VECTORS.items()}


def pixel_dispatch():
    L = []
    vec = ", ".join(str(PIXEL_VECTORS[c]) for c in (1, 2, 3, 4))
    narrow = ", ".join(str(NARROW_VECTORS[c]) for c in (1, 2, 3, 4))
    L.append("  /** Pixel vectors of the tile for {@code c} = 1..4 in channels (index c). */")
    L.append(f"  static final int[] VECTORS = {{0, {vec}}};")
    L.append("  /** Pixel vectors of the narrow tile for {@code c} in channels: for a run's last span when it has at most this many. */")
    L.append(f"  static final int[] NARROW = {{0, {narrow}}};")
    L.append("")
    L.append("  /**")
    L.append("   * The tile for {@code c} in channels and {@code taps} (1-4) neighbouring taps, {@link #VECTORS}")
    L.append("   * or, if {@code narrow}, {@link #NARROW} pixel vectors wide.")
    L.append("   */")
    L.append("  static void tile(int c, int taps, boolean narrow, float[] a, int a0, int aStride, int k, float[] w, int w0, int wTap,")
    L.append("      float[] acc) {")
    L.append("    switch ((narrow ? 16 : 0) + c * 4 + taps) {")
    cases = [(n, c, t) for n in (False, True) for c in (1, 2, 3, 4) for t in (1, 2, 3, 4)]
    for n, c, t in cases:
        v = NARROW_VECTORS[c] if n else PIXEL_VECTORS[c]
        label = "default" if (n, c, t) == cases[-1] else f"case {(16 if n else 0) + c * 4 + t}"
        L.append(f"      {label} -> px{v}x{c}t{t}(a, a0, aStride, k, w, w0, wTap, acc);")
    L.append("    }")
    L.append("  }")
    return "\n".join(L)


def px(V, C, T):
    L = []
    L.append(f"""  /**
   * A tile of {V} pixel vectors ({V} x L consecutive result pixels of a run) x {C} in channels over
   * {T} neighbouring tap(s) of one filter row, for at most 4 in channels: vectorizes over pixels,
   * reading out_backprop channel-major (tap j's pixel vector v of out channel kk at {{@code a[a0 + j
   * + kk * aStride + v * L]}}) and broadcasting the filter ({{@code w[w0 + j * wTap + kk * {C} +
   * c]}}): tap after tap, out channels ascending, one loop per tap at the same level (C2 keeps the
   * accumulators in registers across them; calls per tap cost their loads and stores). The loop
   * counts the filter index, so that JDK 17's C2 hoists its bounds checks (a third faster there).
   * Accumulator (c, v) is kept in {{@code acc[(c * {V} + v) * L ..]}}.
   */""")
    L.append(f"  static void px{V}x{C}t{T}(float[] a, int a0, int aStride, int k, float[] w, int w0, int wTap, float[] acc) {{")
    for c in range(C):
        for v in range(V):
            L.append(f"    FloatVector c{c}_{v} = FloatVector.fromArray(S, acc, {(c * V + v)} * L);")
    for t in range(T):
        L.append(f"    for (int wi = w0 + {t} * wTap, wEnd = wi + {C} * k, ai = a0 + {t}; wi < wEnd; wi += {C}, ai += aStride) {{")
        for c in range(C):
            L.append(f"      FloatVector y{c} = FloatVector.broadcast(S, w[wi + {c}]);")
        for v in range(V):
            L.append(f"      FloatVector x{v} = FloatVector.fromArray(S, a, ai + {v} * L);")
            for c in range(C):
                L.append(f"      c{c}_{v} = x{v}.fma(y{c}, c{c}_{v});")
        L.append("    }")
    L += stores([(f"c{c}_{v}", "acc", f"{(c * V + v)} * L") for c in range(C) for v in range(V)])
    L.append("  }")
    return "\n".join(L)


PIXEL_HEAD = '''package org.convgrad.engine.kernel.simd;

import static org.convgrad.engine.kernel.simd.F32Tiles.L;
import static org.convgrad.engine.kernel.simd.F32Tiles.S;
import static org.convgrad.engine.kernel.simd.F32Tiles.VCLASS;

import jdk.incubator.vector.FloatVector;

/**
 * float32 pixel tiles, for problems with at most 4 in channels per group: vectorized over result
 * pixels, one tile per in-channel count C (1-4) and count T of neighbouring taps (1-4), named
 * {@code px<V>x<C>t<T>} with V pixel vectors, and a narrow one (about half as many vectors) for
 * the last span of a run. Generated by engine/src/main/scripts/gen_tiles.py:
 * edit the script, not this file.
 */
final class F32PixelTiles {
  private F32PixelTiles() {}

'''

HEAD = '''package org.convgrad.engine.kernel.simd;

import jdk.incubator.vector.FloatVector;
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
  /**
   * The class of S's vectors. The tiles test each vector they store against it first ({@code if
   * (v.getClass() != VCLASS) throw}), so that C2 knows the vector's exact class at its store.
   * {@code intoArray} takes the store's species (its shape, which must be a compile-time constant
   * for the store to become a vector instruction) from a virtual call on the vector. C2 binds that
   * call from the type profile behind an uncommon trap, unless the methods the compilation has
   * inlined so far carry {@code PerMethodTrapLimit} (100) class_check traps in their profiles:
   * then behind a real virtual call, the species is no constant, the store stays a call and the
   * vector is boxed, in every iteration for a loop's accumulator. Every lanewise operation inlines
   * Vector API helpers shared by all code in the JVM ({@code VectorOperators.opCode}, {@code
   * ImplCache.find}) whose profiles often carry 4 such traps, left by standalone compilations of
   * them: a method with more than 25 operations then boxed the vectors it stored last, in some JVMs
   * and not others (JDK 17; SimdBoxingTest). The test costs nothing once compiled: the stored
   * vector's class is then known. The other calls that C2 may bind that way and then box: an
   * operation on a loop-carried receiver ({@code x.fma(y, acc)}, never {@code acc.add(x)}) and
   * one with a scalar operand, which broadcasts it through the vector ({@code v.mul(half)} with
   * {@code half} from the species, not {@code v.mul(0.5f)}).
   */
  static final Class<?> VCLASS = S.vectorType();
  static final int L = S.length();
  /** In channels per packed panel: two vectors. */
  static final int NB = 2 * L;
  /**
   * Accumulator elements of one tile: 12 vectors. A tile works on one tap (and a chunk of out
   * channels) at a time and keeps its accumulators in scratch between calls (exactly: stores are
   * exact): JDK 17's C2 boxes vectors carried through nested loops (about 2 GFLOP/s instead of 70),
   * and the caller can run every tile of a run over one chunk of packed filter while it is in L1.
   */
  static final int ACC = 12 * L;

  private F32Tiles() {}

'''

TAIL = '''
  /**
   * Copies NB elements (one tile row of accumulators) with two vector moves: a result pixel's
   * block is written this way once per batch, and System.arraycopy's call costs more than the copy.
   */
  static void copyBlock(float[] src, int from, float[] dst, int to) {
    FloatVector v0 = FloatVector.fromArray(S, src, from);
    FloatVector v1 = FloatVector.fromArray(S, src, from + L);
    if (v0.getClass() != VCLASS || v1.getClass() != VCLASS) {
      throw new IllegalStateException();
    }
    v0.intoArray(dst, to);
    v1.intoArray(dst, to + L);
  }

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
    # The pixel tiles are float32 only: float64 problems with few in channels use the dot tiles.
    with open(os.path.join(OUT, "F32PixelTiles.java"), "w") as f:
        f.write(PIXEL_HEAD + pixel_dispatch() + "\n\n"
                + "\n\n".join(px(v[c], c, t) for v in (PIXEL_VECTORS, NARROW_VECTORS) for c in (1, 2, 3, 4)
                                for t in (1, 2, 3, 4)) + "\n}\n")
    d = (src.replace("FloatVector", "DoubleVector")
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
