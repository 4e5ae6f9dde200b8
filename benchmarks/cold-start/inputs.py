"""Writes the filter and out_backprop of shapes S1-S6 (float32 NHWC) as .npy files into a folder."""
import sys

import numpy as np

# name: batch, height, width, in_c, kernel height, kernel width, out_c, stride, padding (as Shapes.java)
SHAPES = {
    "S1": (8, 56, 56, 64, 3, 3, 64, 1, "SAME"),
    "S2": (8, 56, 56, 64, 3, 3, 128, 2, "SAME"),
    "S3": (4, 224, 224, 3, 7, 7, 64, 2, "SAME"),
    "S4": (16, 32, 32, 128, 4, 4, 256, 2, "SAME"),
    "S5": (32, 14, 14, 256, 1, 1, 1024, 1, "VALID"),
    "S6": (1, 512, 512, 32, 3, 3, 32, 1, "SAME"),
}


def out_size(size, k, s, padding):
    return (size + s - 1) // s if padding == "SAME" else (size - k + s) // s


def main(folder):
    rng = np.random.default_rng(0)
    for name, (n, h, w, c, kh, kw, oc, s, padding) in SHAPES.items():
        oh, ow = out_size(h, kh, s, padding), out_size(w, kw, s, padding)
        np.save(f"{folder}/{name}-w.npy", rng.standard_normal((kh, kw, c, oc), dtype=np.float32))
        np.save(f"{folder}/{name}-dy.npy", rng.standard_normal((n, oh, ow, oc), dtype=np.float32))
        print(f"{name} {n},{h},{w},{c} {s} {padding}")


if __name__ == "__main__":
    main(sys.argv[1])
