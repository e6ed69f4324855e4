"""Sliding blocks to columns and back (PyTorch's im2col / col2im, behind ``F.unfold`` / ``F.fold``).

Shapes: images (N, C, H, W), columns (N, C * kH * kW, L); kernel, dilation, padding and stride
are (h, w) int pairs, already validated. Tap by tap: kernel tap (i, j) reads (or adds) one strided
slice of the zero-padded image for all blocks at once, so Python loops over the kH * kW taps only.
(The convolutions have their own, faster layouts in im2col.py and gather.py.)
"""
import numpy as np


def sliding_blocks_hw(hw, kernel, dilation, padding, stride):
    """Number of sliding blocks along each spatial axis (floor division, as PyTorch's div_rtn)."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, d, p, s in zip(hw, kernel, dilation, padding, stride))


def _tap_slices(kernel, dilation, stride, blocks_hw):
    """For each tap (i, j), row-major: the (rows, cols) slices of the padded image its blocks read."""
    (kH, kW), (dH, dW), (sH, sW), (oH, oW) = kernel, dilation, stride, blocks_hw
    for i in range(kH):
        rows = slice(i * dH, i * dH + sH * (oH - 1) + 1, sH)
        for j in range(kW):
            yield i, j, rows, slice(j * dW, j * dW + sW * (oW - 1) + 1, sW)


def im2col(x, kernel, dilation, padding, stride):
    """Columns (N, C * kH * kW, L) of x (N, C, H, W); row c * kH * kW + i * kW + j, column = block index."""
    N, C, H, W = x.shape
    (pH, pW) = padding
    blocks_hw = sliding_blocks_hw((H, W), kernel, dilation, padding, stride)
    if pH or pW:
        padded = np.zeros((N, C, H + 2 * pH, W + 2 * pW), x.dtype)
        padded[:, :, pH:pH + H, pW:pW + W] = x
    else:
        padded = x
    cols = np.empty((N, C, *kernel, *blocks_hw), x.dtype)
    for i, j, rows, columns in _tap_slices(kernel, dilation, stride, blocks_hw):
        cols[:, :, i, j] = padded[:, :, rows, columns]
    return cols.reshape(N, C * kernel[0] * kernel[1], blocks_hw[0] * blocks_hw[1])


def col2im(cols, output_hw, kernel, dilation, padding, stride):
    """Image (N, C, H, W) = output_hw summing the columns cols (N, C * kH * kW, L) at their blocks' places.

    Taps are added in row-major order, the order in which PyTorch accumulates each pixel, so
    float16 and float32 sums round as PyTorch's do.
    """
    N = cols.shape[0]
    (kH, kW), (pH, pW), (H, W) = kernel, padding, output_hw
    blocks_hw = sliding_blocks_hw(output_hw, kernel, dilation, padding, stride)
    C = cols.shape[1] // (kH * kW)
    blocks = cols.reshape(N, C, kH, kW, *blocks_hw)
    padded = np.zeros((N, C, H + 2 * pH, W + 2 * pW), cols.dtype)
    for i, j, rows, columns in _tap_slices(kernel, dilation, stride, blocks_hw):
        padded[:, :, rows, columns] += blocks[:, :, i, j]
    if pH or pW:  # the padding only collected the sums of taps that fell off the image
        return np.ascontiguousarray(padded[:, :, pH:pH + H, pW:pW + W])
    return padded
