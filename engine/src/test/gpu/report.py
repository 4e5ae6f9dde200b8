#!/usr/bin/env python3
"""Joins GpuBenchmark's and torch_bench.py's JSON lines into one table: TFLOP/s per shape and the
ratios convgrad / cuDNN (float32 against IEEE and against TF32 cuDNN; half against half)."""
import json
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def main(convgrad_path, torch_path):
    cg = {(r["shape"], r["dtype"]): r for r in load(convgrad_path)}
    th = {(r["shape"], r["dtype"]): r for r in load(torch_path)}
    head = ("shape", "dtype", "convgrad strategy", "cg kernel TFLOP/s", "cg call TFLOP/s", "cuDNN IEEE", "cuDNN TF32",
            "cg/IEEE", "cg/TF32")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for shape in ("S1", "S2", "S3", "S4", "S5", "S6"):
        for dtype in ("float", "half", "bfloat16", "double"):
            r = cg.get((shape, dtype))
            if r is None:
                continue
            ieee = th.get((shape, "float" if dtype == "float" else dtype))
            tf32 = th.get((shape, "float-tf32")) if dtype == "float" else None

            def ratio(t):
                return "%.2f" % (r["kernel_tflops"] / t["kernel_tflops"]) if t and t["kernel_tflops"] > 0 else "-"

            print("| %s | %s | %s | %.2f | %.2f | %s | %s | %s | %s |" % (
                shape, dtype, r["strategy"], r["kernel_tflops"], r["call_tflops"],
                "%.2f" % ieee["kernel_tflops"] if ieee else "-", "%.2f" % tf32["kernel_tflops"] if tf32 else "-",
                ratio(ieee), ratio(tf32)))
    print()
    print("cuDNN columns for half are cuDNN half. 'call' is convgrad's engine call from host arrays to host arrays "
          "(copies included); every other column has operands resident on the GPU.")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
