#!/usr/bin/env python3
"""PyTorch's cuDNN anchor for S1-S6: torch.nn.grad.conv2d_input on the GPU, operands resident,
channels_last (NHWC) like convgrad's. One JSON object per line: float32 with TF32 off (IEEE),
float32 with TF32 on, and half. Same shapes and batches as GpuBenchmark.java."""
import argparse
import json
import math

import torch

SHAPES = [  # name, n, h, w, c, fh, fw, oc, stride, padding
    ("S1", 64, 56, 56, 64, 3, 3, 64, 1, "SAME"),
    ("S2", 64, 56, 56, 64, 3, 3, 128, 2, "SAME"),
    ("S3", 32, 224, 224, 3, 7, 7, 64, 2, "SAME"),
    ("S4", 64, 32, 32, 128, 4, 4, 256, 2, "SAME"),
    ("S5", 256, 14, 14, 256, 1, 1, 1024, 1, "VALID"),
    ("S6", 8, 512, 512, 32, 3, 3, 32, 1, "SAME"),
]


def out_and_pad(i, k, s, padding):
    if padding == "VALID":
        return (i - k + s) // s, 0
    o = (i + s - 1) // s
    total = max((o - 1) * s + k - i, 0)
    # PyTorch pads symmetrically: the smallest pad that gives TensorFlow's output size (the same
    # multiply-adds up to the odd pad pixel).
    for p in range(0, total + 1):
        if (i + 2 * p - k) // s + 1 == o:
            return o, p
    raise ValueError("no symmetric padding for %s" % ((i, k, s),))


def set_precision(mode):
    tf32 = mode == "tf32"
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    try:  # torch 2.9+: the new switch, said explicitly
        torch.backends.cudnn.conv.fp32_precision = "tf32" if tf32 else "ieee"
    except AttributeError:
        pass


def bench(shape, mode, seconds, batch):
    name, n, h, w, c, fh, fw, oc, s, padding = shape
    n = batch or n
    dtype = torch.float16 if mode == "half" else torch.float32
    set_precision(mode)
    oh, ph = out_and_pad(h, fh, s, padding)
    ow, pw = out_and_pad(w, fw, s, padding)
    dev = torch.device("cuda")
    weight = torch.randn(oc, c, fh, fw, device=dev, dtype=dtype)  # OIHW of TensorFlow's HWIO
    dy = torch.randn(n, oc, oh, ow, device=dev, dtype=dtype).to(memory_format=torch.channels_last)
    weight = weight.to(memory_format=torch.channels_last)
    torch.backends.cudnn.benchmark = True  # let cuDNN pick its best algorithm

    def rep():
        return torch.nn.grad.conv2d_input((n, c, h, w), weight, dy, stride=s, padding=(ph, pw))

    for _ in range(3):
        rep()
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    rep()
    stop.record()
    torch.cuda.synchronize()
    one = max(start.elapsed_time(stop) / 1e3, 1e-6)
    per_round = int(max(1, min(1000, 0.1 / one)))
    rounds = []
    deadline = seconds
    spent = 0.0
    while spent < deadline or len(rounds) < 3:
        start.record()
        for _ in range(per_round):
            rep()
        stop.record()
        torch.cuda.synchronize()
        t = start.elapsed_time(stop) / 1e3
        spent += t
        rounds.append(t / per_round)
    rounds.sort()
    t = rounds[len(rounds) // 2]
    flops = 2.0 * n * oh * ow * oc * fh * fw * c
    return {"engine": "torch", "shape": name, "dtype": {"ieee": "float", "tf32": "float-tf32", "half": "half"}[mode],
            "batch": n, "kernel_ms": round(t * 1e3, 4), "kernel_tflops": round(flops / t / 1e12, 3),
            "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "padding": [ph, pw]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--modes", default="ieee,tf32,half")
    args = ap.parse_args()
    for shape in SHAPES:
        for mode in args.modes.split(","):
            print(json.dumps(bench(shape, mode, args.seconds, args.batch)), flush=True)


if __name__ == "__main__":
    main()
