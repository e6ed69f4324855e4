"""2-D pooling kernels on NumPy arrays, with PyTorch's exact semantics.

All functions take x / gy in (N, C, H, W) layout and (h, w) int pairs for kernel,
stride, padding and dilation, already validated by the caller.  Window sums and
maxima are computed with one vectorised pass per kernel offset (never per output
pixel); dtypes are preserved.
"""

import numpy as np


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Number of pooling windows along one axis (PyTorch's ``pooling_output_shape``)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    # In ceil mode the last window must still start inside the input or the left padding.
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pad_to_cover(x, padding, out_hw, kernel, stride, dilation, fill):
    """Pad x (N, C, H, W) by ``padding`` on the leading sides and enough on the trailing
    sides for every one of the out_hw windows (ceil mode may hang past the padding)."""
    N, C, H, W = x.shape
    needed = [
        max(size + 2 * p, (out - 1) * s + d * (k - 1) + 1)
        for size, p, out, k, s, d in zip((H, W), padding, out_hw, kernel, stride, dilation)
    ]
    pH, pW = padding
    xp = np.full((N, C, needed[0], needed[1]), fill, dtype=x.dtype)
    xp[:, :, pH:pH + H, pW:pW + W] = x
    return xp


def _offset_slice(offset, stride, count):
    """Slice picking ``count`` window positions, ``stride`` apart, shifted by ``offset``."""
    return slice(offset, offset + stride * (count - 1) + 1, stride)


def _lowest(dtype):
    return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


def _first_valid_start(out, stride, padding, dilation):
    """Per window, the first tap position that falls inside the input (PyTorch starts its scan there)."""
    start = np.arange(out) * stride - padding
    skipped = np.where(start < 0, -(start // dilation), 0)  # ceil(-start / dilation) taps in the padding
    return start + skipped * dilation


def _taps(xp, kernel, stride, dilation, out_hw):
    """The kH*kW views (N, C, Ho, Wo) of padded xp, one per kernel tap, in row-major scan order."""
    (kH, kW), (sH, sW), (dH, dW), (Ho, Wo) = kernel, stride, dilation, out_hw
    return [
        xp[:, :, _offset_slice(i * dH, sH, Ho), _offset_slice(j * dW, sW, Wo)]
        for i in range(kH)
        for j in range(kW)
    ]


def _needs_padding(input_hw, padding, out_hw, kernel, stride, dilation):
    return any(p > 0 or (out - 1) * s + d * (k - 1) + 1 > size
               for size, p, out, k, s, d in zip(input_hw, padding, out_hw, kernel, stride, dilation))


def _tiled_max(x, kernel, out_hw):
    """Window maxima of x (N, C, H, W) when the windows tile it (stride = kernel, no padding or
    dilation, no ceil-mode overhang): a reshape makes each window two axes, reduced row by row
    and then column by column (np.max over both axes at once is ~20x slower)."""
    (kH, kW), (Ho, Wo) = kernel, out_hw
    windows = x[:, :, :Ho * kH, :Wo * kW].reshape(x.shape[:2] + (Ho, kH, Wo, kW))
    rows = windows[:, :, :, 0]
    for i in range(1, kH):
        rows = np.maximum(rows, windows[:, :, :, i])  # propagates NaN, as PyTorch does
    y = rows[..., 0]
    for j in range(1, kW):
        y = np.maximum(y, rows[..., j])
    return np.array(y) if kH == kW == 1 else y


def max_pool2d_forward(x, kernel, stride, padding, dilation, ceil_mode, with_indices=True):
    """Max pooling of x (N, C, H, W) with implicit -inf padding.

    Returns (y, indices), both (N, C, Ho, Wo); indices are int64 flat positions
    h * W + w in the unpadded input plane.  Like PyTorch's CPU kernel: the first
    maximum in scan order wins ties, and any NaN in a window wins (the last one).
    Without ``with_indices`` the argmax search (most of the work) is skipped and
    indices is None.
    """
    N, C, H, W = x.shape
    (kH, kW), (sH, sW), (pH, pW), (dH, dW) = kernel, stride, padding, dilation
    out_hw = (pool_output_size(H, kH, sH, pH, dH, ceil_mode), pool_output_size(W, kW, sW, pW, dW, ceil_mode))
    if not with_indices and (kH, kW) == (sH, sW) and (pH, pW, dH, dW) == (0, 0, 1, 1) \
            and out_hw[0] * kH <= H and out_hw[1] * kW <= W:
        return _tiled_max(x, kernel, out_hw), None
    padded = _needs_padding((H, W), padding, out_hw, kernel, stride, dilation)
    xp = _pad_to_cover(x, padding, out_hw, kernel, stride, dilation, _lowest(x.dtype)) if padded else x
    taps = _taps(xp, kernel, stride, dilation, out_hw)

    y = np.maximum(taps[0], taps[1]) if len(taps) > 1 else np.array(taps[0])
    for tap in taps[2:]:
        np.maximum(y, tap, out=y)  # propagates NaN, as PyTorch does
    if not with_indices:
        return y, None

    # Which tap gave the maximum: the first one (in scan order) equal to it.  Count, per window,
    # the taps before the first match; branch-free uint arithmetic, since np.where and masked
    # copies are slow on unpredictable masks.
    local = np.zeros(y.shape, dtype=np.min_scalar_type(len(taps)))
    not_found = np.ones(y.shape, dtype=bool)
    differs = np.empty(y.shape, dtype=bool)
    for tap in taps[:-1]:
        np.not_equal(tap, y, out=differs)
        not_found &= differs
        np.add(local, not_found, out=local, casting="unsafe")
    if np.issubdtype(x.dtype, np.floating) and np.isnan(y).any():
        # PyTorch keeps the last NaN of a window: blend k in wherever tap k is NaN (modular
        # unsigned arithmetic makes local + nan * (k - local) exact).
        for k, tap in enumerate(taps):
            nan = np.isnan(tap).view(np.uint8).astype(local.dtype, copy=False)
            local += nan * (local.dtype.type(k) - local)

    tap_offsets = np.array([i * dH * W + j * dW for i in range(kH) for j in range(kW)], dtype=np.int64)
    window_origin = (np.arange(out_hw[0]) * sH - pH)[:, None] * W + (np.arange(out_hw[1]) * sW - pW)[None, :]
    indices = np.take(tap_offsets, local)
    indices += window_origin
    if padded:
        # A window whose real taps are all -inf: PyTorch reports its first in-bounds tap,
        # never a padded one (which would also compare equal to -inf).
        first_valid = (_first_valid_start(out_hw[0], sH, pH, dH)[:, None] * W
                       + _first_valid_start(out_hw[1], sW, pW, dW)[None, :])
        empty = y == _lowest(x.dtype)
        if empty.any():
            indices = np.where(empty, first_valid, indices)
    return y, indices


# NumPy >= 1.25 has a fast path for ufunc.at on plain dtypes; there np.add.at beats
# np.bincount (which also round-trips through float64) by ~1.7x on the benchmark shapes.
_FAST_ADD_AT = tuple(int(part) for part in np.__version__.split(".")[:2]) >= (1, 25)


def max_pool2d_backward(gy, indices, input_shape):
    """Scatter-add gy (N, C, Ho, Wo) into a zero (N, C, H, W) gradient at the flat ``indices``.

    Windows may overlap, so indices can repeat and must accumulate.  An index
    past its plane (PyTorch's answer for a window without any in-bounds tap) is
    dropped instead of leaking into the next plane.
    """
    N, C, H, W = input_shape
    plane = H * W
    windows = gy.shape[2] * gy.shape[3]
    flat = indices.reshape(N * C, windows) + (np.arange(N * C, dtype=np.int64) * plane)[:, None]
    values = gy.reshape(N * C, windows)
    if indices.size and (indices.min() < 0 or indices.max() >= plane):
        keep = ((indices >= 0) & (indices < plane)).reshape(N * C, windows)
        flat, values = flat[keep], values[keep]
    if _FAST_ADD_AT:
        gx = np.zeros(N * C * plane, dtype=gy.dtype)
        np.add.at(gx, flat.ravel(), values.ravel())
        return gx.reshape(input_shape)
    summed = np.bincount(flat.ravel(), weights=values.ravel(), minlength=N * C * plane)
    return summed.astype(gy.dtype, copy=False).reshape(input_shape)


def _avg_divisor(in_size, out, kernel, stride, padding, count_include_pad):
    """Per-window element count along one axis, PyTorch style.

    With count_include_pad the padding counts, but not the part of a ceil-mode
    window that hangs past the padded edge.
    """
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, in_size + padding)
    if count_include_pad:
        return end - start
    return np.minimum(end, in_size) - np.maximum(start, 0)


def _avg_pool_divisor(input_hw, out_hw, kernel, stride, padding, count_include_pad, divisor_override, dtype):
    """Divisor of each output window, broadcastable to (Ho, Wo), in ``dtype``."""
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype=dtype)
    rows, cols = (
        _avg_divisor(size, out, k, s, p, count_include_pad)
        for size, out, k, s, p in zip(input_hw, out_hw, kernel, stride, padding)
    )
    return (rows[:, None] * cols[None, :]).astype(dtype)


def _avg_pool_out_hw(input_hw, kernel, stride, padding, ceil_mode):
    return tuple(
        pool_output_size(size, k, s, p, 1, ceil_mode)
        for size, k, s, p in zip(input_hw, kernel, stride, padding)
    )


def avg_pool2d_forward(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Average pooling of x (N, C, H, W) with zero padding; returns y (N, C, Ho, Wo)."""
    N, C, H, W = x.shape
    (kH, kW), (sH, sW) = kernel, stride
    Ho, Wo = _avg_pool_out_hw((H, W), kernel, stride, padding, ceil_mode)
    xp = _pad_to_cover(x, padding, (Ho, Wo), kernel, stride, (1, 1), 0)
    # Separable window sum: kH row passes then kW column passes, instead of kH * kW.
    row_sums = np.zeros((N, C, Ho, xp.shape[3]), dtype=x.dtype)
    for i in range(kH):
        row_sums += xp[:, :, _offset_slice(i, sH, Ho), :]
    y = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for j in range(kW):
        y += row_sums[:, :, :, _offset_slice(j, sW, Wo)]
    y /= _avg_pool_divisor((H, W), (Ho, Wo), kernel, stride, padding, count_include_pad, divisor_override, x.dtype)
    return y


def avg_pool2d_backward(gy, input_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Gradient (N, C, H, W) of avg_pool2d_forward given gy (N, C, Ho, Wo)."""
    N, C, H, W = input_shape
    (kH, kW), (sH, sW), (pH, pW) = kernel, stride, padding
    Ho, Wo = gy.shape[2:]
    divisor = _avg_pool_divisor((H, W), (Ho, Wo), kernel, stride, padding, count_include_pad, divisor_override,
                                gy.dtype)
    g = gy / divisor
    if (kH, kW) == (sH, sW) and (pH, pW) == (0, 0) and (Ho * kH, Wo * kW) == (H, W):
        # Windows tile the input exactly: every input cell gets its window's share, once.  Fill
        # the first row of each window column by column, then copy it to the window's other
        # rows (long strided loops; a broadcasting assignment would loop over kW elements).
        gx = np.empty(input_shape, dtype=gy.dtype)
        windows = gx.reshape(N, C, Ho, kH, W)
        for j in range(kW):
            windows[:, :, :, 0, j::kW] = g
        for i in range(1, kH):
            windows[:, :, :, i, :] = windows[:, :, :, 0, :]
        return gx
    Hp = max(H + 2 * pH, (Ho - 1) * sH + kH)
    Wp = max(W + 2 * pW, (Wo - 1) * sW + kW)
    # Spread each window's share over its columns, then over its rows (separable adjoint of the sum).
    col_spread = np.zeros((N, C, Ho, Wp), dtype=gy.dtype)
    for j in range(kW):
        col_spread[:, :, :, _offset_slice(j, sW, Wo)] += g
    gxp = np.zeros((N, C, Hp, Wp), dtype=gy.dtype)
    for i in range(kH):
        gxp[:, :, _offset_slice(i, sH, Ho), :] += col_spread
    return np.ascontiguousarray(gxp[:, :, pH:pH + H, pW:pW + W])


def _adaptive_pooling_matrix(in_size, out_size, dtype):
    """(out_size, in_size) matrix averaging PyTorch's adaptive windows
    [floor(i * in / out), ceil((i + 1) * in / out))."""
    i = np.arange(out_size)
    start = (i * in_size) // out_size
    end = -((-(i + 1) * in_size) // out_size)
    positions = np.arange(in_size)
    inside = (positions[None, :] >= start[:, None]) & (positions[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d_forward(x, output_hw):
    """Adaptive average pooling of x (N, C, H, W) to (N, C, oH, oW)."""
    N, C, H, W = x.shape
    oH, oW = output_hw
    if H % oH == 0 and W % oW == 0:
        # Equal, non-overlapping windows: a plain reshape-mean.
        return x.reshape(N, C, oH, H // oH, oW, W // oW).mean(axis=(3, 5), dtype=x.dtype)
    # Windows are separable, so pool = P_h @ x @ P_w^T with small averaging matrices.
    pool_h = _adaptive_pooling_matrix(H, oH, x.dtype)
    pool_w = _adaptive_pooling_matrix(W, oW, x.dtype)
    pooled_cols = (x.reshape(N * C * H, W) @ pool_w.T).reshape(N * C, H, oW)
    return np.matmul(pool_h, pooled_cols).reshape(N, C, oH, oW)


def adaptive_avg_pool2d_backward(gy, input_shape):
    """Gradient (N, C, H, W) of adaptive_avg_pool2d_forward given gy (N, C, oH, oW)."""
    N, C, H, W = input_shape
    oH, oW = gy.shape[2:]
    pool_h = _adaptive_pooling_matrix(H, oH, gy.dtype)
    pool_w = _adaptive_pooling_matrix(W, oW, gy.dtype)
    spread_cols = (gy.reshape(N * C * oH, oW) @ pool_w).reshape(N * C, oH, W)
    return np.matmul(pool_h.T, spread_cols).reshape(input_shape)
