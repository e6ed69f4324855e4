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
from ..._kernels.conv import conv2d_forward
from ..._kernels.fma import fused_multiply_add
from ..._kernels.reduce_order import cascade_sum, reduce_all


def gaussian_kernel1d(kernel_size, sigma, dtype):
    """torchvision v1's 1-D Gaussian in float ``dtype``: ``exp(-0.5 * (x / sigma) ** 2)`` over its sum."""
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size, dtype=dtype)  # (exact: multiples of 0.5)
    if dtype == np.float16:
        pdf = _half(np.exp(_half(-0.5 * _half(_squared_over(x, sigma)))))
        return _half(pdf / _half(pdf.sum(dtype=np.float32)))
    exponent = dtype(-0.5) * (x / dtype(sigma)) ** 2
    with np.errstate(under="ignore"):
        pdf = np.exp(exponent.astype(np.float64)).astype(dtype) if dtype == np.float32 else np.exp(exponent)
    return pdf / cascade_sum(pdf)


def softmax_gaussian_kernel1d(kernel_size, sigma, dtype):
    """torchvision v2's 1-D Gaussian in float ``dtype``: ``softmax(-(x / sigma) ** 2)`` over x spaced by 1 / sqrt(2)."""
    limit = (kernel_size - 1) / (2.0 * math.sqrt(2.0))
    x = _float_linspace(dtype(-limit), dtype(limit), kernel_size, np.dtype(dtype))
    if dtype == np.float16:  # softmax computes in float32
        exponent = -_half(_squared_over(x, sigma)).astype(np.float32)
        pdf = avx_mathfun.exp(exponent - reduce_all(exponent, np.maximum))
        return _half(pdf * (np.float32(1) / reduce_all(pdf)))
    exponent = -((x / dtype(sigma)) ** 2)
    if dtype != np.float32:
        pdf = np.exp(exponent - exponent.max())
        return pdf / pdf.sum()
    with np.errstate(under="ignore"):
        pdf = avx_mathfun.exp(exponent - reduce_all(exponent, np.maximum))
    return pdf * (np.float32(1) / reduce_all(pdf))


def _half(values):
    return np.asarray(values, np.float32).astype(np.float16)


def _squared_over(x, sigma):
    # PyTorch's half arithmetic: each operation in float32 (a Python scalar as float32 too), rounded to half
    ratio = _half(x.astype(np.float32) / np.float32(sigma)).astype(np.float32)
    return ratio * ratio


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
    if compute == np.float16:
        # PyTorch's half convolution on the CPU: the kernel's outer product rounded to half, the depthwise
        # convolution computed in float32 (torchless's kernel sums the taps as PyTorch's does), rounded once
        kernel = _half(ky[:, None].astype(np.float32) * kx[None, :].astype(np.float32)).astype(np.float32)
        channels = array.shape[-3] if array.ndim > 2 else 1
        images = padded.astype(np.float32).reshape(-1, channels, *padded.shape[-2:])
        # torchvision expands one kernel over the channels; a convolution lays that expanded (stride-0) channel axis
        # out innermost, which decides the order the taps are summed in
        weights = np.ascontiguousarray(np.broadcast_to(kernel[None, :, :, None], (1, *kernel.shape, images.shape[1])))
        weights = weights.transpose(3, 0, 1, 2)
        return _half(conv2d_forward(images, weights, (1, 1), ((0, 0), (0, 0)), (1, 1), images.shape[1])).reshape(
            array.shape)
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
