"""Gaussian blur of image arrays, with torchvision's arithmetic where it decides a rounding: its kernels (v1's
normalised exponential, v2's softmax) and, for pixels whose blur lands near .5, PyTorch's depthwise convolution, so
that uint8 images blur to torchvision's pixels.

Measured against torch 2.13 (random and real uint8 images, kernel sizes 3-71): PyTorch's depthwise convolution sums
the taps of the 2-D kernel in row-major order, each a fused multiply-add from zero (every bit equal); v2's softmax
kernel is reproduced bit for bit (SLEEF's exp, ``vec::reduce_all``, a multiply by the reciprocal); v1's calls
``torch.exp``, which is MKL's, correctly rounded but for about one value in a hundred, so about one v1 kernel in ten
differs from torchvision's in a last bit (the sum is PyTorch's own order, exactly). Float images are blurred
separably (two passes of k taps rather than one of k * k), within a few rounding errors of PyTorch's.
"""
import math

import numpy as np

from ..._creation.ranges import _float_linspace
from ..._kernels import avx_mathfun
from ..._kernels.fma import fused_multiply_add
from ..._kernels.reduce_order import cascade_sum, reduce_all


def gaussian_kernel1d(kernel_size, sigma, dtype):
    """torchvision v1's 1-D Gaussian in float ``dtype``: ``exp(-0.5 * (x / sigma) ** 2)`` over its sum."""
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size, dtype=dtype)  # (exact: multiples of 0.5)
    exponent = dtype(-0.5) * (x / dtype(sigma)) ** 2
    with np.errstate(under="ignore"):
        pdf = np.exp(exponent.astype(np.float64)).astype(dtype) if dtype == np.float32 else np.exp(exponent)
    return pdf / cascade_sum(pdf)


def softmax_gaussian_kernel1d(kernel_size, sigma, dtype):
    """torchvision v2's 1-D Gaussian in float ``dtype``: ``softmax(-(x / sigma) ** 2)`` over x spaced by 1 / sqrt(2)."""
    limit = (kernel_size - 1) / (2.0 * math.sqrt(2.0))
    x = _float_linspace(dtype(-limit), dtype(limit), kernel_size, np.dtype(dtype))
    exponent = -((x / dtype(sigma)) ** 2)
    if dtype != np.float32:
        pdf = np.exp(exponent - exponent.max())
        return pdf / pdf.sum()
    with np.errstate(under="ignore"):
        pdf = avx_mathfun.exp(exponent - reduce_all(exponent, np.maximum))
    return pdf * (np.float32(1) / reduce_all(pdf))


def blur_hw(array, kernel_size, sigma, compute, v2=False, rounded=False):
    """``array`` (..., H, W) padded by reflection and correlated with the 2-D Gaussian of ``kernel_size`` (kx, ky)
    and ``sigma`` in float dtype ``compute``: an array of ``compute``, the shape of ``array``. ``rounded``: the
    result will be rounded to integers, so every value near a rounding midpoint gets PyTorch's exact sum."""
    kernel1d = softmax_gaussian_kernel1d if v2 else gaussian_kernel1d
    kx = kernel1d(kernel_size[0], sigma[0], compute)
    ky = kernel1d(kernel_size[1], sigma[1], compute)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    height, width = array.shape[-2:]
    padded = np.pad(array.astype(compute, copy=False), [(0, 0)] * (array.ndim - 2) + [(py, py), (px, px)],
                    mode="reflect")
    # The 2-D Gaussian is the outer product of two 1-D ones: two passes of k taps instead of one of k * k.
    rows = sum(ky[k] * padded[..., k:k + height, :] for k in range(len(ky)))
    out = sum(kx[k] * rows[..., :, k:k + width] for k in range(len(kx)))
    if rounded and out.size:
        # Both sums add kx * ky terms of one sign per pixel value, so they differ by less than (kx * ky + kx + ky
        # + 2) rounding errors of the largest |pixel| (first order, doubled to be safe).
        taps = len(kx) * len(ky) + len(kx) + len(ky) + 2
        band = 2 * taps * np.finfo(compute).eps * float(np.abs(padded).max())
        near = np.abs(out - np.floor(out) - 0.5) <= band
        if near.any():
            out[near] = _pytorch_correlation_at(padded, ky[:, None] * kx[None, :], np.nonzero(near))
    return out


def _pytorch_correlation_at(padded, kernel, where):
    """The correlation of ``padded`` with ``kernel`` at the output positions ``where`` (np.nonzero's index arrays),
    summed as PyTorch's depthwise convolution does: the taps in row-major order, each a fused multiply-add."""
    *lead, top, left = where
    total = np.zeros(len(top), kernel.dtype)
    for i, row in enumerate(kernel):
        for j, weight in enumerate(row):
            total = fused_multiply_add(padded[(*lead, top + i, left + j)], weight, total)
    return total
