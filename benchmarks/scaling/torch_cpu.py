#!/usr/bin/env python3
"""PyTorch's CPU anchor for the scaling table: torch.nn.grad.conv2d_input on S1-S6 (the batches of
benchmarks' Shapes.java), float32, channels_last (NHWC) like convgrad's, at each thread count
(torch.set_num_threads). Per shape and thread count the fastest of 15 calls, median of 5 rounds that
alternate the thread counts, like BestOf.java. Prints the same Markdown table as Scaling.java.

usage: torch_cpu.py [--threads 1,2,4,8,16] [--rounds 5] [--shapes S1,S6]
"""
import argparse
import os
import sys
import time

import torch

# torch_bench.py (the GPU benchmark's) lies beside this file in the device bundle, in engine's tests here.
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../engine/src/test/gpu"))
from torch_bench import out_and_pad  # noqa: E402

SHAPES = [  # name, n, h, w, c, fh, fw, oc, stride, padding
    ("S1", 8, 56, 56, 64, 3, 3, 64, 1, "SAME"),
    ("S2", 8, 56, 56, 64, 3, 3, 128, 2, "SAME"),
    ("S3", 4, 224, 224, 3, 7, 7, 64, 2, "SAME"),
    ("S4", 16, 32, 32, 128, 4, 4, 256, 2, "SAME"),
    ("S5", 32, 14, 14, 256, 1, 1, 1024, 1, "VALID"),
    ("S6", 1, 512, 512, 32, 3, 3, 32, 1, "SAME"),
]
CALLS = 15
WARMUP_ROUNDS = 3


def best_of(call):
    best = float("inf")
    for _ in range(CALLS):
        t0 = time.perf_counter_ns()
        call()
        best = min(best, time.perf_counter_ns() - t0)
    return best


def run(shape, threads, rounds):
    name, n, h, w, c, fh, fw, oc, s, padding = shape
    oh, ph = out_and_pad(h, fh, s, padding)
    ow, pw = out_and_pad(w, fw, s, padding)
    weight = torch.randn(oc, c, fh, fw).to(memory_format=torch.channels_last)
    dy = torch.randn(n, oc, oh, ow).to(memory_format=torch.channels_last)

    def call():
        return torch.nn.grad.conv2d_input((n, c, h, w), weight, dy, stride=s, padding=(ph, pw))

    times = {t: [] for t in threads}
    with torch.no_grad():
        for r in range(-WARMUP_ROUNDS, rounds):
            for t in threads:
                torch.set_num_threads(t)
                ns = best_of(call)
                if r >= 0:
                    times[t].append(ns)
    flops = 2.0 * n * oh * ow * oc * fh * fw * c
    median = {t: sorted(v)[len(v) // 2] for t, v in times.items()}
    for t in threads:
        speed_up = median[threads[0]] / median[t]
        print("| %s | torch | %d | %.2f | %.1f | %.2f | %.2f | - |"
              % (name, t, median[t] / 1e6, flops / median[t], speed_up, speed_up / t), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default=",".join(str(1 << i) for i in range(5) if 1 << i <= os.cpu_count()))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--shapes", default="S1,S2,S3,S4,S5,S6")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    if threads[0] != 1:
        raise SystemExit("--threads must start with 1 (the speed-ups are over one thread)")
    print("torch %s, %d cores, rounds %d, %s\n" % (torch.__version__, os.cpu_count(), args.rounds,
                                                   torch.backends.mkldnn.is_available() and "oneDNN" or "no oneDNN"))
    print("| shape | engine | threads | ms | GFLOP/s | speed-up | efficiency | bits |\n|---|---|---|---|---|---|---|---|")
    for shape in SHAPES:
        if shape[0] in args.shapes.split(","):
            run(shape, threads, args.rounds)


if __name__ == "__main__":
    main()
