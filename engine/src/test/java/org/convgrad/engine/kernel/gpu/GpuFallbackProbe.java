package org.convgrad.engine.kernel.gpu;

import org.convgrad.engine.Conv2dBackpropInput;
import org.convgrad.engine.Engine;
import org.convgrad.engine.EngineKind;
import org.convgrad.engine.Padding;

/** Run by GpuFallbackTest in a fresh JVM: what AUTO picks, and the probe, on standard output. */
public final class GpuFallbackProbe {
  private GpuFallbackProbe() {}

  public static void main(String[] args) {
    Conv2dBackpropInput op = GpuCase.of(1, 5, 5, 3, 3, 4, 1, Padding.SAME).op();
    try (Engine auto = Engine.create(b -> b.kind(EngineKind.AUTO).threads(1))) {
      System.out.println("auto=" + auto.kernelFor(op).name());
    }
    System.out.println("probe=" + GpuSupport.probe(0));
  }
}
