"""The file-to-file job bin/convgrad does, in PyTorch: .npy filter and out_backprop in, .npy result out.

usage: torch_job.py w.npy dy.npy dx.npy HEIGHT WIDTH STRIDE SAME|VALID THREADS
TensorFlow's SAME pads (total - total // 2 after) are asymmetric and PyTorch's are not: the transposed
convolution is computed unpadded and the padded rows and columns are cropped off.
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F


def main(w_path, dy_path, out_path, height, width, stride, padding, threads):
    torch.set_num_threads(int(threads))
    h, w, s = int(height), int(width), int(stride)
    wt = torch.from_numpy(np.load(w_path))  # [kh, kw, in_c, out_c]
    dy = torch.from_numpy(np.load(dy_path))  # [n, oh, ow, out_c]
    kh, kw = wt.shape[0], wt.shape[1]

    def before(size, out, k):
        return 0 if padding == "VALID" else max((out - 1) * s + k - size, 0) // 2

    top, left = before(h, dy.shape[1], kh), before(w, dy.shape[2], kw)
    full = F.conv_transpose2d(dy.permute(0, 3, 1, 2), wt.permute(3, 2, 0, 1), stride=s)
    dx = torch.zeros(dy.shape[0], wt.shape[2], h, w)
    rows, cols = min(h, full.shape[2] - top), min(w, full.shape[3] - left)
    dx[:, :, :rows, :cols] = full[:, :, top:top + rows, left:left + cols]
    np.save(out_path, dx.permute(0, 2, 3, 1).contiguous().numpy())


if __name__ == "__main__":
    main(*sys.argv[1:9])
