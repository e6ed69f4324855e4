"""uint8 bilinear and bicubic interpolation (antialiased or not), and antialiased lanczos, as PyTorch's CPU
kernels compute it after Pillow's ImagingResample: per axis, weights computed in double, scaled to int16 with the
most bits of precision their largest one allows, each output the sum of weight * pixel in integers, rounded (half
up) by a shift and clamped to [0, 255]; the width is resampled first, the result rounded to uint8, then the
height."""
import numpy as np

from ... import _cpu_features, _memory_format

_INTERP_SIZE = {"bilinear": 2, "bicubic": 4, "lanczos": 6}


def _triangle(x):
    x = np.abs(x)
    return np.where(x < 1, 1 - x, 0.0)


def _cubic(a):
    """Cubic convolution with ``a``: Keys' -0.5 (Pillow's, antialiased), -0.75 (OpenCV's, not)."""
    def filter_(x):
        x = np.abs(x)
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        return np.where(x < 1, near, np.where(x < 2, far, 0.0))
    return filter_


def _lanczos3(x):
    """Pillow's Lanczos filter: sinc(x) sinc(x / 3) on [-3, 3)."""
    return np.where((x >= -3) & (x < 3), np.sinc(x) * np.sinc(x / 3), 0.0)


def _plain_weights(size, out, scale, align_corners, interp_size, filter_):
    """(first input index, weights (out, interp_size), taps used, largest weight) without antialiasing: the
    float kernels' taps around the source index, those past an edge folded onto the edge pixel."""
    i = np.arange(out, dtype=np.float64)
    source = scale * i if align_corners else scale * (i + 0.5) - 0.5
    if interp_size == 2:  # linear modes clamp the source index at the first pixel; cubic extrapolates
        source = np.maximum(source, 0.0)
    index = np.minimum(np.floor(source.astype(np.float32)).astype(np.int64), size - 1)  # (floorf, as PyTorch)
    fraction = np.clip(source - index, 0.0, 1.0)
    support = interp_size // 2
    unbound_min = index - support + 1
    first = np.maximum(unbound_min, 0)
    count = np.clip(np.minimum(index + support + 1, size) - first, 0, interp_size)
    weights = np.zeros((out, interp_size))
    rows = np.arange(out)
    slot = np.zeros(out, np.int64)
    largest = np.zeros(out)
    for j in range(interp_size):  # PyTorch's loop, slot by slot
        weights[:, j] = 0.0
        w = filter_(float(j + 1 - support) - fraction)
        at = unbound_min + j
        slot = np.where(at <= 0, 0, np.where(at >= size - 1, count - 1, slot))
        weights[rows, slot] += w
        largest = np.maximum(largest, weights[rows, slot])
        slot = slot + 1
    return first, weights, count, largest.max(initial=0.0)


def _antialiased_weights(size, out, scale, interp_size, filter_):
    """As _plain_weights for antialiasing: the filter stretched by the scale when downsampling, normalised."""
    support = interp_size * 0.5 * scale if scale >= 1.0 else interp_size * 0.5
    taps = int(np.ceil(support)) * 2 + 1
    center = scale * (np.arange(out) + 0.5)
    inverse = 1.0 / scale if scale >= 1.0 else 1.0
    first = np.maximum(np.trunc(center - support + 0.5).astype(np.int64), 0)
    count = np.clip(np.minimum(np.trunc(center + support + 0.5).astype(np.int64), size) - first, 0, taps)
    k = np.arange(taps)
    used = k[None, :] < count[:, None]
    weights = np.where(used, filter_(((k[None, :] + first[:, None]) - center[:, None] + 0.5) * inverse), 0.0)
    total = weights.sum(1, keepdims=True)
    weights = np.where(total != 0, weights / np.where(total != 0, total, 1.0), 0.0)
    return first, weights, count, weights.max(initial=0.0)


def _int16_taps(size, out, scale, align_corners, kind, antialias):
    """(first input index, int16 weights, taps used, precision) of one axis."""
    interp_size = _INTERP_SIZE[kind]
    filter_ = _triangle if kind == "bilinear" else _lanczos3 if kind == "lanczos" else \
        _cubic(-0.5 if antialias else -0.75)
    if antialias:
        first, weights, count, largest = _antialiased_weights(size, out, scale, interp_size, filter_)
    else:
        first, weights, count, largest = _plain_weights(size, out, scale, align_corners, interp_size, filter_)
    precision = 0
    while precision < 22 and int(0.5 + largest * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    scaled = weights * (1 << precision)
    fixed = np.trunc(np.where(scaled < 0, scaled - 0.5, scaled + 0.5)).astype(np.int64)
    fixed[np.arange(fixed.shape[1])[None, :] >= count[:, None]] = 0  # (taps past the count are never read)
    return first, fixed, precision


def _pass(x, axis, taps):
    """One axis resampled in fixed point, rounded and clamped to uint8."""
    first, weights, precision = taps
    size = x.shape[axis]
    total = np.full(x.shape[:axis] + (len(first),) + x.shape[axis + 1:], 1 << (precision - 1), np.int64)
    shape = [1] * x.ndim
    shape[axis] = -1
    for j in range(weights.shape[1]):
        pixels = np.take(x, np.minimum(first + j, size - 1), axis=axis).astype(np.int64)
        total += pixels * weights[:, j].reshape(shape)
    return np.clip(total >> precision, 0, 255).astype(np.uint8)


def rows_of_unit_stride(x):
    """Whether PyTorch lays the output of resampling ``x`` (N, C, H, W) to a width of 1 out with rows of stride 1:
    C order (the format ``x`` suggests), or channels-last with a single channel."""
    return x.shape[1] == 1 or _memory_format.suggest(x) is _memory_format.contiguous_format


def resample_uint8(x, output_size, scales, align_corners, kind, antialias):
    """A (N, C, H, W) uint8 array resized to ``output_size`` (H, W); ``scales``: the scale factors given (None
    where a size was), ``kind``: "bilinear", "bicubic" or "lanczos"."""
    from .sampling import _area_pixel_scale  # (sampling imports this module)

    if _cpu_features.has("AVX2") and x.shape[0] and x.shape[1] == 3 and tuple(output_size) == (1, 1) and \
            x.shape[2] != 1 and x.flags.c_contiguous:
        # PyTorch's AVX2 kernel unpacks the pixels of such an image (not channels-last) to 4 bytes, then has its
        # height pass write them straight into the output, channels-last as any 1x1 one is, which has 3 channels
        raise RuntimeError('num_channels == unpacked_output.size(0) INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/'
                           'aten/src/ATen/native/cpu/UpSampleKernelAVXAntialias.h":269, please report a bug to '
                           'PyTorch. ')
    # PyTorch's AVX2 kernel takes up to 4 channels; its generic one, the others, gives every row of an output of
    # width 1 laid out with rows of stride 1 the weights of row 0, as its float kernels do when antialiasing
    quirk = (x.shape[1] > 4 or not _cpu_features.has("AVX2")) and output_size[1] == 1 and rows_of_unit_stride(x)
    out = x
    for axis in (3, 2):  # the width first, as PyTorch (and Pillow)
        size, target = x.shape[axis], output_size[axis - 2]
        if size != target:
            scale = float(_area_pixel_scale(size, target, align_corners, scales[axis - 2], np.float64))
            first, weights, precision = _int16_taps(size, target, scale, align_corners, kind, antialias)
            if axis == 2 and quirk:
                first, weights = first[[0] * target], weights[[0] * target]
            out = _pass(out, axis, (first, weights, precision))
    return out.copy() if out is x else out
