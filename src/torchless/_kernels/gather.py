"""Small convolutions from a cached per-shape plan: one copy in, one strided gather, one batched GEMM.

For a small problem (batch-1 inference, the first layers of an MNIST model) the
general im2col path spends most of its time in Python: phase planning, scratch
look-ups, offset checks and a final crop into NCHW, ~30 us for a 1x1x28x28
input whose arithmetic takes ~2 us.  Everything about the layout depends only
on the shapes, so it is worked out once and kept in a plan:

* a zero-bordered padded input buffer whose border is never written (so it
  stays zero) and whose interior receives x on every call,
* a strided view of that buffer that reads, for every output position, the
  input value under each kernel tap (stride, dilation and padding are all in
  its strides; see GatherPlan for the "pitched" and "shifted" stride-1 layouts,
  the shifted one kW zero-bordered copies of x instead of one, or one where
  the output rows are as long as the input rows),
* a column buffer the view is copied into, (N, groups, Cg*kH*kW, positions).

A call is then ``interior[...] = x``, ``columns[...] = taps`` and one batched
GEMM ``w (groups, Og, K) @ columns`` per image, whose output is y in NCHW order
(cropped once when rows were pitched).  Deterministic: fixed operations in a
fixed order, no dependence on timing.  Plans hold their buffers, so they live
per thread (like the scratch arena) and only up to ``MAX_PLAN_BYTES``; larger
problems get a one-off plan (correct, not fast).

Shapes: x (N, C, H, W), w (O, C // groups, kH, kW), y / gy (N, O, Ho, Wo);
stride and dilation (h, w) pairs, padding ((top, bottom), (left, right)).
"""

import threading

import numpy as np

from . import COPY_ROWS_MIN_SIZE, blas, copy_rows, transposed
from .blas import matmul
from .im2col import conv_output_hw

# Plans keep their padded input and column buffers alive between calls.  A larger plan is built
# for the call and dropped; the cached ones are all dropped once they would hold more than
# MAX_CACHED_BYTES (a model has a few convolution shapes, so this rarely happens).
MAX_PLAN_BYTES = 64 * 2**20
MAX_CACHED_BYTES = 128 * 2**20

# When the dispatcher picks this algorithm. Its columns are gathered and multiplied in cache-sized
# chunks of images (see image_chunks), so their total size no longer matters, only how many taps
# (Cg*kH*kW) each output reads. Interleaved medians in one process, 2 cores, float32, this algorithm's
# time / the previous choice's, forward and weight gradient:
# * up to 144 taps (16 channels of 3x3, 5 of 5x5, 2 of 7x7) into at least 8 channels per group (the
#   GEMM's rows; fewer were not measured, and keep stacked rows) it wins or ties: 3x3 from 9-16 channels
#   against Winograd F(4x4), stacked rows and im2col, forward / forward+backward: 64x16x32x32->32
#   0.52 / 0.64, 64x16x28x28->32 0.71 / 0.86, 16x16x56x56->32 0.71 / 0.84, 8x16x64x64->32 0.46 /
#   0.72, 2x16x128x128->32 0.73 / 0.84, 32x12x32x32->16 0.71 / 0.70, 128x10x14x14->20 0.74 / 0.82,
#   stride 2 64x16x32x32->32 0.67 / 0.86, 16x16x56x56->64 0.99 / 1.02, 1x12x112x112->24 1.04 /
#   1.07. From 17 to 32 channels the forward still gains (0.69-0.99) but forward+backward on larger
#   images loses to Winograd (8x32x56x56->32 1.20, 32x32x28x28->32 1.16), hence the bound;
# * up to 288 taps (32 channels of 3x3) into at least 40 output channels per group it wins or ties
#   against Winograd F(4x4), forward / forward+backward: 64x32x14x14->64 0.75 / 0.92 (a benchmark
#   case), ->128 0.77 / 0.91, 16x32x32x32->64 0.69 / 0.76, 4x32x64x64->64 0.79 / 0.84,
#   32x24x28x28->48 0.78 / 0.92, 16x20x32x32->40 0.52 / 0.71, 8x32x56x56->64 0.94 / 1.01,
#   16x32x28x28->64 0.95 / 1.02, 8x32x56x56->128 1.01 / 0.96; classic MNIST CNN step 0.98. Below
#   72 taps (8 channels of 3x3, 2 of 5x5, 1 of 7x7), measured before: 3x3 into
#   3-8 channels, 64x28x28 / 32x32x32 / 8x64x64 images: 0.36-1.04 / 0.23-1.14 (stacked rows,
#   Winograd, im2col before); 5x5 into 1-2 channels 0.28-0.77 / 0.23-0.75; 7x7 into one channel
#   0.26-0.77 / 0.25-0.60; 64x1x224x224->8 0.33 / 0.71, 4x3x224x224->64 0.48;
# * kernels larger than 3x3, where Winograd does not apply, up to 150 taps (LeNet's 6 channels of
#   5x5): 3 and 6 channels of 5x5 0.30-0.95 / 0.30-0.96 against stacked rows; 2x3x224x224->64
#   7x7 stride 2 (147 taps) 0.99 / 0.94 against im2col;
# * otherwise only small problems, as measured before chunking: 1x64x28x28->64 441/532 vs
#   481/610 us; 3x3 into 16-32 channels is a toss-up with Winograd and stacked rows (0.57-1.48),
#   and many channels over many pixels lose (8x64x56x56->64 23.3 vs 15.0 ms, 16x128x28x28->128
#   45.5 vs 22.9: one large GEMM or Winograd beats per-image products).
# The 144- and 288-tap rules hold where BLAS runs 256-bit vectors. Where it runs AVX-512
# (blas.WIDE_VECTORS: an AMD EPYC with AVX-512, OpenBLAS's SkylakeX kernels) Winograd F(4x4) wins
# those shapes instead, where it applies, above all in the weight gradient: fastest of 25 blocks, forward / weight
# gradient, gather vs Winograd F(4x4), ms: 64x32x14x14->64 3.5 / 4.6 vs 2.6-2.9 / 3.2,
# 64x16x28x28->32 4.0 / 5.5 vs 3.7 / 4.0, 32x24x28x28->48 3.9 / 5.2 vs 3.1 / 3.1,
# 16x32x32x32->64 4.2 / 5.2 vs 4.2 / 5.0, 16x16x56x56->32 3.7 / 5.2 vs 3.8 / 4.0; up to 72 taps
# gathering still wins there (64x8x28x28->16 1.17 / 1.28 vs 1.41 / 1.63).
FEW_TAPS = 72
FEW_TAPS_MANY_OUTPUTS, MANY_OUTPUTS = 144, 8
FEW_TAPS_WIDE_OUTPUTS, WIDE_OUTPUTS = 288, 40
FEW_TAPS_LARGE_KERNEL = 150
# On an Intel Xeon with AVX512-FP16 (blas.XEON_AVX512_FP16) this tier once lost on planes below 20x20 to stacked
# rows (forward) and F(2x2) (weight gradient) (64x32x14x14->64 3.92 / 4.83 vs 3.38 / 3.66 ms); since the shifted
# columns (see column_layout) it wins there too: one thread, thread CPU time, interleaved medians, ms, forward /
# forward and weight gradient, this tier vs those: 64x32x14x14->64 6.55 / 14.91 vs 8.61 / 19.83, 32x32x14x14->64
# 3.14 / 6.73 vs 3.67 / 9.35, ->128 10.77 / 25.20 vs 16.05 / 34.28, 64x24x14x14->48 4.22 / 9.61 vs 5.39 / 13.45,
# 64x32x12x12->64 4.94 / 10.82 vs 6.58 / 14.11, 64x32x10x10->64 3.57 / 8.48 vs 4.17 / 9.66, 32x20x16x16->40 2.14 /
# 4.53 vs 2.38 / 6.25, 16x32x16x16->64 2.28 / 5.18 vs 2.55 / 6.20; F.conv2d on 64x32x14x14->64 in fresh processes
# alternating, 2 cores, forward / forward and both gradients: wall 0.75 / 0.72, CPU time 0.73 / 0.85 of before.
# There the 144-tap tier pays from 4 output channels per group on: one thread, thread CPU time, interleaved medians,
# ms, forward, gathered columns / stacked rows (the choice without it): 64x10x14x14->5 0.53 / 0.57, unpadded 0.46 /
# 0.52, 64x16x14x14->4 0.68 / 0.82, 64x16x28x28->6 3.24 / 4.44, unpadded 3.35 / 4.14, 64x12x14x14->7 0.59 / 0.86;
# forward and weight gradient, gathered columns / stacked rows and im2col: 0.87 / 1.29, -, 1.27 / 3.03, 7.01 /
# 18.36, 6.92 / 15.63, 1.35 / 3.28, 16x16x56x56->4 10.75 / 15.15; at stride 2, against im2col, forward / forward
# and weight gradient: 64x16x28x28->6 2.01 / 4.07 vs 4.27 / 8.67, 64x12x56x56->4 5.32 / 11.01 vs 14.61 / 25.42,
# 64x10x28x28->5 1.26 / 2.16 vs 2.21 / 4.11; into 3 channels the forward loses (64x10x14x14->3 0.48 / 0.45).
XEON_MANY_OUTPUTS = 4
MAX_IMAGE_COLUMNS = 2 ** 22        # with few taps, up to this many column entries per image (16 MiB)
SMALL_PROBLEM_COLUMNS = 2 ** 20    # otherwise: columns up to this (4 MiB in float32) ...
SMALL_PROBLEM_MAX_TAPS = 576       # ... and Cg*kH*kW up to this

_per_thread = threading.local()


def suits(x_shape, w_shape, stride, padding, dilation, groups, winograd_tile=None):
    """Whether this algorithm is the fastest for the problem (the rule measured above); ``winograd_tile``
    is the Winograd tile the problem would otherwise get, if any."""
    N, C, H, W = x_shape
    O, Cg, kH, kW = w_shape
    (sH, sW), ((top, bottom), (left, right)), (dH, dW) = stride, padding, dilation
    taps = Cg * kH * kW
    pixels = ((H + top + bottom - dH * (kH - 1) - 1) // sH + 1) * ((W + left + right - dW * (kW - 1) - 1) // sW + 1)
    image_columns = groups * taps * pixels
    beats_winograd = winograd_tile != 4 or not blas.WIDE_VECTORS  # F(2x2) was never faster there
    many_outputs = XEON_MANY_OUTPUTS if blas.XEON_AVX512_FP16 else MANY_OUTPUTS
    if (taps <= FEW_TAPS or (kH * kW > 9 and taps <= FEW_TAPS_LARGE_KERNEL)
            or (beats_winograd and taps <= FEW_TAPS_MANY_OUTPUTS and O // groups >= many_outputs)
            or (beats_winograd and taps <= FEW_TAPS_WIDE_OUTPUTS
                and O // groups >= WIDE_OUTPUTS)):
        return image_columns <= MAX_IMAGE_COLUMNS
    return N * image_columns <= SMALL_PROBLEM_COLUMNS and taps <= SMALL_PROBLEM_MAX_TAPS


# Where neither Winograd nor stacked kernel rows apply, per-image GEMMs of at least this many
# multiply-adds run as fast as im2col's one large GEMM, and the gather copies less: measured in
# thread CPU time, one BLAS thread (the per-core work of a split call), forward, ms, gather vs
# im2col: 4x64x56x56->128 stride 2 (57.8M per image) 9.7 vs 11.4 and 12.9 vs 14.2;
# 1x256x14x14->128 (57.8M) 1.98 vs 2.25 (Winograd F(2x2), 49 tiles, 2.40);
# 32x32x14x14->64 (3.6M per image) 6.1-9.2 vs 6.3-7.3: a tie or a loss, hence the bound.
LARGE_PER_IMAGE_MULTIPLY_ADDS = 2 ** 24
MAX_LARGE_KERNEL_AREA = 9   # larger kernels copy each input value k*k times: rowstack or im2col


def per_image_gemm_is_large(w_shape, out_hw, groups):
    """Whether each image's product (O/groups x Cg*kH*kW) @ (Cg*kH*kW x Ho*Wo) is large enough for
    this algorithm to beat im2col with a small kernel (see LARGE_PER_IMAGE_MULTIPLY_ADDS)."""
    O, Cg, kH, kW = w_shape
    return (kH * kW <= MAX_LARGE_KERNEL_AREA
            and (O // groups) * Cg * kH * kW * out_hw[0] * out_hw[1] >= LARGE_PER_IMAGE_MULTIPLY_ADDS)


# OpenBLAS's kernels (Haswell's, used on AVX2 machines) compute a product's output rows in blocks of
# 4, and finish a remainder with slower narrow kernels; in a few-channel layer's product the
# remainder is a large share. Zero rows up to a multiple of 4 are then cheaper than the remainder.
# 64 per-image products (rows x depth) @ (depth x 224 or 840), one thread, us, as is / padded:
#   a remainder of 3 always: 3 rows 174 / 149 (depth 10), 7: 276 / 241, 11: 262 / 185 (depth 28);
#   of 2 or 1 only for deeper products of more rows: 10 rows 317 / 315 (depth 10), 218 / 185
#   (depth 28), 347 / 272 (46), weight gradient (depth 224) 528 / 379; 9 rows 297 / 327 (depth
#   10), 330 / 289 (46); but 6 rows 227 / 241 (10), 161 / 160 (28); 5 rows 209 / 247 (10), 247 / 245 (46).
# OpenBLAS's AVX-512 kernels (blas.WIDE_VECTORS) have no such remainder cost: the same products,
# fastest of 21 blocks, padded / as is: depth 46, 9 rows 1.19, 10 1.16, 11 1.04; depth 224 (weight
# gradient), 10 rows 1.51, 11 1.74; depth 10, 3 rows 1.18, 7 1.14. There rows are never padded.
BLAS_ROW_BLOCK = 4
MIN_PADDED_REMAINDER = 3
MIN_PADDED_ROWS, MIN_PADDED_DEPTH = 9, 32
MAX_PADDED_ROWS = 16


def padded_rows(rows, depth):
    """How many rows to give the left operand (rows x depth) of a product (zero rows added; see above)."""
    remainder = rows % BLAS_ROW_BLOCK
    if remainder == 0 or rows > MAX_PADDED_ROWS or blas.WIDE_VECTORS:
        return rows
    if remainder >= MIN_PADDED_REMAINDER or (rows >= MIN_PADDED_ROWS and depth >= MIN_PADDED_DEPTH):
        return rows + BLAS_ROW_BLOCK - remainder
    return rows


# A batch's columns and pitched GEMM output are written and read right away, but a whole batch's do
# not stay in the cache: a training step of the course CNN touches ~18 MB, more than the L3 keeps
# (measured: a pass over 4 MB of floats runs at 56 GB/s, over 8 MB at 25, over 16 MB at 16). So
# the batch is processed in chunks of images whose columns and output fit in this many bytes, each
# chunk's buffers reused (and hot) for the next. Course CNN training step (conv 64x1x28x28->5 and
# 64x5x14x14->10, 50 and 52 KB per image), interleaved medians, chunks of 8 / 12 / 16 / 32 images
# vs the whole batch: 1.00 / 0.97 / 0.91-0.95 / 0.96.
# A chunk's share of the batch, rounded up, once passed the bound (the classic MNIST CNN's 32x32x26x26->64 shard
# went in chunks of two 881 KB images); chunks within it measured faster on an Intel Xeon (2 MB of L2 per core):
# one thread, thread CPU time, fresh processes alternating, 10 rounds, medians, forward / weight gradient, within /
# past the bound (images per chunk): 32x32x26x26->64 unpadded (1 / 2) 0.88 / 0.91, 32x12x28x28->16 (2 / 3)
# 0.94-0.96 / 0.95, 64x16x14x14->32 (4 / 7) 0.94-0.95 / 1.01, 64x24x14x14->48 (4 / 5) 0.98-0.99 / 0.98-1.00,
# 32x32x14x14->64 (2 / 4) 1.00-1.01 / 1.00-1.02; the course CNN's chunks are within it.
CHUNK_BYTES = 2 ** 20


def image_chunks(x_shape, w_shape, stride, padding, dilation, itemsize):
    """Slices of the batch to gather and multiply one after the other (None: all at once), of
    equal size but for the last, so that each holds at most CHUNK_BYTES of columns and output.

    Remembered per shapes (and the settings they depend on): worked out afresh they cost ~3-9 us, a
    few percent of the course CNN's second convolution's forward."""
    if x_shape[0] < 2:
        return None
    key = (x_shape, w_shape, stride, padding, dilation, itemsize, CHUNK_BYTES, blas.WIDE_VECTORS)
    try:
        chunks = _chunks_of.get(key)
    except TypeError:  # lists among the arguments
        return _image_chunks(x_shape, w_shape, stride, padding, dilation, itemsize)
    if chunks is None:
        if len(_chunks_of) >= 1024:
            _chunks_of.clear()
        chunks = _chunks_of[key] = _image_chunks(x_shape, w_shape, stride, padding, dilation, itemsize) or ()
    return chunks or None


_chunks_of = {}


def _image_chunks(x_shape, w_shape, stride, padding, dilation, itemsize):
    """image_chunks worked out: a tuple of slices, or None."""
    N, C, H, W = x_shape
    O, Cg, kH, kW = w_shape
    (top, bottom), (left, right) = padding
    Ho, Wo = conv_output_hw((H, W), (kH, kW), stride, padding, dilation)
    row_length = W + left + right if tuple(stride) == (1, 1) else Wo  # pitched or not: the longer
    taps = C * kH * kW + 1  # with the bias's row of ones
    per_image = (taps + padded_rows(O, taps)) * Ho * row_length * itemsize
    count = -(-N * per_image // CHUNK_BYTES)
    if count < 2:
        return None
    size = -(-N // count)
    most = max(1, CHUNK_BYTES // per_image)
    if size > most:
        # The batch's share of the rounded-up count can pass the bound (32 images of 881 KB, the classic MNIST CNN's
        # 32x32x26x26->64 shard, went in chunks of two, 1.7 MB; see CHUNK_BYTES): then chunks of the most images
        # within it, or of fewer, more than half as many, that divide the batch into equal chunks (a shorter last
        # chunk needs buffers of its own)
        dividing = [images for images in range(most, most // 2, -1) if N % images == 0]
        size = dividing[0] if dividing else most
    return tuple(slice(start, min(N, start + size)) for start in range(0, N, size))


class GatherPlan:
    """Buffers and views for one (input shape, dtype, kernel, stride, padding, dilation, groups).

    With stride 1 the columns may be "pitched": output rows are laid out at the padded row pitch Wp,
    so that each (image, channel, tap) column is one contiguous run of Ho*Wp input values (long
    copies instead of Ho short ones: 64x5x14x14->10 forward 250 us instead of 350 us).  The
    Wp - Wo extra positions per row read past the row's end and are cropped from the output (or
    meet zeros in the output gradient).  Otherwise the columns hold the exact (Ho, Wo) grid and
    the GEMM writes y itself (see :func:`column_layout`).

    With stride 1 they may also be gathered "shifted": x is first copied kW times, each copy shifted
    by one tap column into (Hp, Wo) planes with zero borders, where every (image, channel, tap) column
    of the exact grid is one contiguous run of Ho*Wo values. The GEMM then writes y itself, as with
    the exact grid, while the gather copies long runs, as when pitched. Where the output rows are as
    long as x's ("same" padding), the kW copies are one: x goes once into planes of (Hp, W) in one flat
    buffer, each tap's column is the run of Ho*Wo values starting kw*dW - left values off its row, and the
    entries that run reads across a row's end (the zero padding's place) are zeroed after the copy; the
    same columns, fewer and longer copies (thread CPU time, medians of 6 fresh processes alternating,
    forward / forward and weight gradient, us, before / after: 64x5x14x14->10 315 / 743 vs 302 / 710,
    64x1x28x28->5 230 / 518 vs 211 / 488, 10x1x28x28->6 44.5 / 82.0 vs 42.4 / 81.5).
    """

    def __init__(self, x_shape, dtype, kernel_hw, stride, padding, dilation, groups, layout):
        N, C, H, W = x_shape
        self.images = N
        (kH, kW), (sH, sW), ((top, bottom), (left, right)), (dH, dW) = kernel_hw, stride, padding, dilation
        Hp, Wp = H + top + bottom, W + left + right
        self.out_hw = Ho, Wo = (Hp - dH * (kH - 1) - 1) // sH + 1, (Wp - dW * (kW - 1) - 1) // sW + 1
        self.shifted = layout == "shifted" and (sH, sW) == (1, 1)
        self.pitched = layout == "pitched" and (sH, sW) == (1, 1)
        self.row_length = Wp if self.pitched else Wo
        # Pitched columns of the last plane read up to (kW - 1) * dW values past its end: a zero tail.
        tail = (kW - 1) * dW if self.pitched else 0
        # Shifted with as many output columns as input columns ("same" padding): x is copied once (see above)
        self.rows_kept = self.shifted and Wo == W
        if self.rows_kept:
            flat = np.zeros(left + N * C * Hp * W + right, dtype)
            self.interior = flat[left:left + N * C * Hp * W].reshape(N, C, Hp * W)[:, :, top * W:(top + H) * W]
        elif self.shifted:
            flat = np.zeros(kW * N * C * Hp * Wo, dtype)
            planes = flat.reshape(kW, N, C, Hp, Wo)
            self._shifted_copies = []
            for kw in range(kW):
                offset = kw * dW - left  # x's column under output column wo is wo + offset
                lo, hi = max(0, -offset), min(Wo, W - offset)
                if lo < hi:
                    self._shifted_copies.append((planes[kw, :, :, top:top + H, lo:hi], lo + offset, hi + offset))
        else:
            flat = np.zeros(N * C * Hp * Wp + tail, dtype)
            self.interior = flat[:N * C * Hp * Wp].reshape(N, C, Hp, Wp)[:, :, top:top + H, left:left + W]
        item = flat.itemsize
        if self.rows_kept:
            shape = (N, C, kH, kW, Ho * Wo)
            strides = (C * Hp * W, Hp * W, dH * W, dW, 1)
        elif self.shifted:
            shape = (N, C, kH, kW, Ho * Wo)
            strides = (C * Hp * Wo, Hp * Wo, dH * Wo, N * C * Hp * Wo, 1)
        elif self.pitched:
            shape = (N, C, kH, kW, Ho * Wp)
            strides = (C * Hp * Wp, Hp * Wp, dH * Wp, dW, 1)
        else:
            shape = (N, C, kH, kW, Ho, Wo)
            strides = (C * Hp * Wp, Hp * Wp, dH * Wp, dW, sH * Wp, sW)
        self.taps = np.lib.stride_tricks.as_strided(flat, shape, [s * item for s in strides], writeable=False)
        rows, positions = C * kH * kW, Ho * self.row_length
        # One image's rows are followed by a row of ones, never overwritten: with the bias appended to
        # the kernel as one more column, the GEMM adds the bias itself (no pass over y for it).
        with_ones = np.empty((N, rows + 1, positions), dtype)
        with_ones[:, rows] = 1
        self.columns = _view_as(with_ones[:, :rows], shape)
        # Rows kept, a column of tap kw reads, at the output columns where x has no value, its neighbours in the
        # row above or below: those entries are zeroed after each gather.
        self._wrapped = []
        if self.rows_kept:
            grid = _view_as(with_ones[:, :rows], (N, C, kH, kW, Ho, Wo))
            for kw in range(kW):
                offset = kw * dW - left
                lo, hi = min(Wo, max(0, -offset)), max(0, min(Wo, W - offset))
                if lo >= hi:
                    self._wrapped.append(grid[:, :, :, kw])
                    continue
                if lo:
                    self._wrapped.append(grid[:, :, :, kw, :, :lo])
                if hi < Wo:
                    self._wrapped.append(grid[:, :, :, kw, :, hi:])
        self.matrix = _view_as(with_ones[:, :rows], (N, groups, rows // groups, positions))
        self.matrix_with_ones = with_ones[:, None] if groups == 1 else None
        self.nbytes = flat.nbytes + with_ones.nbytes
        self._output_gradient = None
        self.source = None  # the array whose columns the buffer holds

    def gather(self, x, reuse=False):
        """The column matrix (N, groups, Cg*kH*kW, Ho*row_length) of x; valid until this plan's next gather.

        With ``reuse``, columns already gathered from this very memory are returned as they are: a
        weight gradient right after its forward (the autograd graph hands back the saved input, or
        the same chunk of it) skips the copies. Arrays changed in place in between would need a
        fresh gather; the graph's saved inputs must not be (as in PyTorch, where that is an error).
        The plan holds on to the source, so no other array can have taken its memory meanwhile.
        """
        if not (reuse and _same_view(x, self.source)):
            if self.rows_kept:
                N, C = x.shape[:2]
                copy_rows(self.interior, x.reshape(N, C, -1))
                np.copyto(self.columns, self.taps)
                for wrapped in self._wrapped:
                    wrapped.fill(0)
                self.source = x
                return self.matrix
            if self.shifted:
                for destination, start, stop in self._shifted_copies:
                    copy_rows(destination, x[..., start:stop])
            else:
                copy_rows(self.interior, x)
            np.copyto(self.columns, self.taps)
            self.source = x
        return self.matrix

    def output_gradient(self, gy, rows=None):
        """gy (N, O, Ho, Wo) laid out like the GEMM output (N, rows, Ho*row_length), zero off the grid
        and in the rows past O (``rows`` defaults to O; more are only possible when pitched)."""
        N, O, Ho, Wo = gy.shape
        rows = O if rows is None else rows
        if not self.pitched:
            return gy.reshape(N, O, -1)
        buffer = self._output_gradient
        if buffer is None or buffer.shape[1] != rows or buffer.dtype != gy.dtype:
            # Zeroed once: only the (O, Ho, Wo) part is ever written, so the rest stays zero.
            buffer = self._output_gradient = np.zeros((N, rows, Ho, self.row_length), gy.dtype)
        copy_rows(buffer[:, :O, :, :Wo], gy)
        return buffer.reshape(N, rows, -1)


def _same_view(x, source):
    """Whether ``x`` shows the memory ``source`` shows, as ``source`` does (another view object of one
    chunk of a batch, say)."""
    if x is source:
        return True
    # (disjoint chunks of one batch, the usual mismatch, fail the cheap overlap test before the ~2 us address reads)
    return (source is not None and x.base is not None and x.base is source.base and x.shape == source.shape
            and x.strides == source.strides and x.dtype == source.dtype and np.may_share_memory(x, source)
            and x.ctypes.data == source.ctypes.data)


def _view_as(array, shape):
    """``array`` reshaped without a copy (the gather writes through these views)."""
    view = array.view()
    view.shape = shape  # raises rather than copy
    return view


# Below this many column entries (batch-1 inference of a small layer) the shifted copies' extra calls cost more
# than their longer runs save (forwards, us, shifted / as before: 1x1x28x28->5 13.6 / 11.2, 1x5x14x14->10 15.3 /
# 11.7, 1x1x28x28->32 unpadded 20.2 / 18.9; but 1x32x26x26->64, 166,000 entries, 328 / 331).
SHIFTED_MIN_COLUMNS = 2 ** 15


def column_layout(x_shape, w_shape, stride, padding, dilation, groups, dtype=np.float32):
    """How the columns are laid out: "shifted", "pitched" or "grid" (the exact grid) (see GatherPlan).

    Shifted columns are for float32 only: their products sum the same terms in another order, and float64 (taken
    for its exact last bits: gradient checks, programs compared with PyTorch's to the last printed digit) keeps
    the order it had.

    Shifted columns cost kW short-row copies of x where pitched ones cost one (into the padded input) and
    a crop of the output (O short rows per output row), and they skip pitched columns' extra positions in
    the gather and the GEMM: thread CPU time, interleaved medians of 6 fresh processes, forward / forward
    and both gradients, us, shifted vs pitched: 64x5x14x14->10 310 / 1550 vs 353 / 1579, 64x1x28x28->5 212 /
    1125 vs 298 / 1277, 10x1x28x28->6 36 / 209 vs 41 / 261, 32x32x26x26->64 (unpadded) 5279 / 19480 vs 5321 /
    19521; against the exact grid 64x1x28x28->32 1087 / 4237 vs 1194 / 4209.
    Otherwise pitched columns beat the exact grid where the output has at most as many channels as the
    columns have rows: they make the gather cheaper but cost a crop of the output (thread CPU time, forward /
    weight gradient, ms, pitched vs exact: 32x1x28x28->32 1.12/1.41 vs 0.58/0.84; 32x1x28x28->5 0.29/0.49
    vs 0.31/0.48; 32x5x14x14->10 0.43/0.56 vs 0.56/0.72; 32x8x14x14->16 0.66/0.80 vs 0.95/1.06)."""
    O, Cg, kH, kW = w_shape
    if tuple(stride) != (1, 1):
        return "grid"
    Ho, Wo = conv_output_hw(x_shape[2:], (kH, kW), stride, padding, dilation)
    if dtype == np.float32 and x_shape[0] * x_shape[1] * kH * kW * Ho * Wo >= SHIFTED_MIN_COLUMNS:
        return "shifted"
    return "pitched" if Cg * kH * kW >= O // groups else "grid"


def plan_for(x_shape, dtype, kernel_hw, stride, padding, dilation, groups, layout="pitched"):
    """This thread's cached GatherPlan for the problem (a fresh one-off plan for large problems)."""
    key = (x_shape, dtype, kernel_hw, stride, padding, dilation, groups, layout)
    try:
        plan = _kept(key)
    except TypeError:  # lists among the arguments: normalise them to tuples
        key = (tuple(x_shape), dtype, tuple(kernel_hw), tuple(stride), tuple(map(tuple, padding)),
               tuple(dilation), groups, layout)
        plan = _kept(key)
    return plan if plan is not None else _keep(key, GatherPlan(*key))


def _kept(key):
    """This thread's cached plan or recipe for ``key``, or None."""
    cache = getattr(_per_thread, "plans", None)
    if cache is None:
        cache = _per_thread.plans = {}
    return cache.get(key)


def _keep(key, built):
    """``built`` (a plan or a recipe), cached for this thread unless larger than MAX_PLAN_BYTES."""
    cache = _per_thread.plans
    if built.nbytes <= MAX_PLAN_BYTES:
        if built.nbytes + sum(kept.nbytes for kept in cache.values()) > MAX_CACHED_BYTES:
            cache.clear()
        cache[key] = built
    return built


def release_plans():
    """Free this thread's plans and recipes (they are re-created on demand)."""
    _per_thread.plans = {}


# Below this many output values (batch-1 inference of a small layer) the output is cropped or passed
# over value by value anyway (see copy_rows), adding the bias on the way; and one product gains less
# from padded rows than building their zero-padded kernel matrix costs. The kernel is then w itself.
SMALL_OUTPUT_SIZE = COPY_ROWS_MIN_SIZE


class ForwardRecipe:
    """The forward of one problem (input and kernel shapes, dtypes, stride, padding, dilation, groups,
    bias or not) on its plan, with every decision taken once and the GEMM's output buffer kept.

    Batch-1 inference of a small layer does a few microseconds of arithmetic; deciding the layout and
    allocating on each call cost more than that (1x1x28x28->5 and 1x5x14x14->10 forwards: 26-33 us
    per call, ~19 us from a recipe; course CNN batch-1 latency 192 -> 164 us, torch 170 us).

    Where the output outnumbers the kernel's taps, the bias is one more column of the kernel, met by
    the plan's row of ones: the GEMM adds it, with no pass over y (32x1x28x28->5 forward 418 -> 340
    us, 32x5x14x14->10 520 -> 474). Otherwise copying the kernel and the longer product cost more
    than that pass (1x256x14x14->256: 3.71 vs 3.13 ms), and the bias is added to y.

    Pitched columns leave the GEMM's output to be cropped anyway, so its rows may be padded to a
    multiple of BLAS's row block (see :func:`padded_rows`) at no extra copy.
    """

    def __init__(self, plan, w_shape, dtype, groups, with_bias):
        O, Cg, kH, kW = w_shape
        taps = Cg * kH * kW
        N, (Ho, Wo) = plan.images, plan.out_hw
        small = N * O * Ho * Wo < SMALL_OUTPUT_SIZE
        pitched = plan.row_length != Wo
        self.plan, self.groups = plan, groups
        # (small and pitched: the crop is a pass over y anyway, which adding the bias on the way slowed by 1.5 us
        # in 2.5 at batch 1; the GEMM's extra column costs less)
        self.fuse_bias = (with_bias and plan.matrix_with_ones is not None and N * Ho * Wo >= taps
                          and (pitched or not small))
        self.rows = (padded_rows(O, taps + self.fuse_bias) if groups == 1 and pitched and not small
                     else O // groups)
        # the fused kernel matrix, zero off the weights and bias, rewritten each call (one group here) through views
        # made once (indexing it anew on each call cost a batch-1 forward as much as the copies)
        self._fused_kernel = np.zeros((1, self.rows, taps + 1), dtype) if self.fuse_bias else None
        if self.fuse_bias:
            self._fused_weights, self._fused_bias = self._fused_kernel[0, :O, :taps], self._fused_kernel[0, :O, taps]
        self.columns = plan.matrix_with_ones if self.fuse_bias else plan.matrix
        self.output_shape, self.dtype, self.bias_shape = (N, O, Ho, Wo), dtype, (1, O, 1, 1)
        self.product = self.crop = None  # unpitched, the GEMM writes y itself, already in NCHW order
        if pitched:
            self.product = np.empty((N, groups, self.rows, Ho * plan.row_length), dtype)
            self.crop = self.product.reshape(N, groups * self.rows, Ho, plan.row_length)[:, :O, :, :Wo]
        self.nbytes = plan.nbytes + (0 if self.product is None else self.product.nbytes)

    def kernel(self, w, bias):
        """w as the GEMM's left operand (groups, rows, taps [+ 1]), the bias its last column when fused."""
        if self.fuse_bias:
            weights = self._fused_weights
            weights[...] = w.reshape(weights.shape)
            self._fused_bias[...] = bias
            return self._fused_kernel
        O = w.shape[0]
        kernel = w.reshape(self.groups, O // self.groups, -1)
        if self.rows == O // self.groups:
            return kernel
        matrix = np.zeros((1, self.rows, kernel.shape[-1]), kernel.dtype)  # one group here
        matrix[0, :O] = kernel[0]
        return matrix

    def run(self, x, kernel, bias, y):
        """y (N, O, Ho, Wo), C-contiguous, = conv(x) [+ bias], with ``kernel`` from :meth:`kernel`."""
        self.plan.gather(x)  # its weight gradient then finds these columns
        if bias is not None and not self.fuse_bias:
            bias = bias.astype(y.dtype, copy=False).reshape(self.bias_shape)
        else:
            bias = None
        if self.product is None:
            N, O = self.output_shape[:2]
            matmul(kernel, self.columns, out=y.reshape(N, self.groups, O // self.groups, -1))
            if bias is not None:
                y += bias
        else:
            matmul(kernel, self.columns, out=self.product)
            if bias is None:
                copy_rows(y, self.crop)
            else:
                np.add(self.crop, bias, out=y)
        return y


def forward_recipe(x, w, stride, padding, dilation, groups, with_bias):
    """This thread's cached ForwardRecipe for conv(x, w) [+ a bias] (a one-off for large problems)."""
    key = ("forward", x.shape, x.dtype, w.shape, w.dtype, stride, padding, dilation, groups, with_bias)
    try:
        recipe = _kept(key)
    except TypeError:  # lists among the arguments: normalise them to tuples
        stride, padding, dilation = tuple(stride), tuple(map(tuple, padding)), tuple(dilation)
        key = ("forward", x.shape, x.dtype, w.shape, w.dtype, stride, padding, dilation, groups, with_bias)
        recipe = _kept(key)
    if recipe is None:
        plan = plan_for(x.shape, x.dtype, w.shape[2:], stride, padding, dilation, groups,
                        column_layout(x.shape, w.shape, stride, padding, dilation, groups, x.dtype))
        dtype = x.dtype if x.dtype == w.dtype else np.result_type(x.dtype, w.dtype)
        recipe = _keep(key, ForwardRecipe(plan, w.shape, dtype, groups, with_bias))
    return recipe


def conv2d_forward_gather(x, w, stride, padding, dilation, groups, out=None, bias=None):
    """y (N, O, Ho, Wo) = conv(x (N, C, H, W), w (O, C // groups, kH, kW)) [+ bias (O,)]: gathered
    columns and one GEMM per chunk of images (see :func:`image_chunks` and :class:`ForwardRecipe`).

    ``out``, a C-contiguous (N, O, Ho, Wo) array of the result's dtype, receives y when given (a
    split call's part of the whole result: the GEMM then writes it in place of a copy).
    """
    # (one image is never chunked: no call to find that out)
    chunks = None if x.shape[0] < 2 else image_chunks(x.shape, w.shape, stride, padding, dilation, x.dtype.itemsize)
    recipe = forward_recipe(x if chunks is None else x[chunks[0]], w, stride, padding, dilation, groups,
                            bias is not None)
    kernel = recipe.kernel(w, bias)
    if chunks is None:
        return recipe.run(x, kernel, bias, np.empty(recipe.output_shape, recipe.dtype) if out is None else out)
    y = np.empty((x.shape[0], *recipe.output_shape[1:]), recipe.dtype) if out is None else out
    for part in chunks:
        images = x[part]
        if images.shape[0] != recipe.output_shape[0]:  # the last chunk may be shorter
            recipe = forward_recipe(images, w, stride, padding, dilation, groups, bias is not None)
            kernel = recipe.kernel(w, bias)
        recipe.run(images, kernel, bias, y[part])
    return y


# The weight gradient's per-image product, gy (rows x positions) @ columns^T (positions x taps), runs
# faster as its transpose, columns (taps x positions) @ gy^T, once there are a few rows (measured on an
# Intel Xeon only; the AMD hosts of earlier runs were not available to check). Interleaved medians, one
# call's weight gradient, new / old (2 cores): 64x32x26x26->64 0.85-0.86, 64x32x14x14->64 0.83-0.90,
# 16x16x32x32->32 0.80, 1x256x14x14->256 0.86-0.89, 8x64x56x56->128 stride 2 0.90-1.06,
# 4x64x28x28->128 stride 2 0.97; with few rows it ties or loses: 64x5x14x14->10 1.04-1.05,
# 64x1x28x28->5 1.02, 10x1x28x28->6 0.98-1.27. The transposed result must then be transposed back, which
# costs more than the product gains once it is large (many taps into many channels; even copied in bands,
# see transposed): interleaved medians, ms, one call's weight gradient, transposed / not: 1x256x14x14->256
# (589,824 values) 2.00 / 1.33, 2x256x14x14->256 3.74 / 2.42, 4x256x14x14->256 7.01 / 4.99, 1x512x7x7->512
# 3.62 / 1.51; but 1x128x28x28->128 (147,456) 1.38 / 1.50, 8x64x56x56->128 17.2 / 18.0, 64x32x14x14->64 4.27
# / 5.20.
TRANSPOSED_WEIGHT_PRODUCT_MIN_ROWS = 16
TRANSPOSED_WEIGHT_PRODUCT_MAX_VALUES = 2 ** 18


def conv2d_backward_weight_gather(gy, x, kernel_hw, stride, padding, dilation, groups):
    """gw (O, C // groups, kH, kW) = sum over images of gy[n] (Og, Ho*Wo) @ columns[n]^T, per group.

    Chunked over the images as the forward is, and summed chunk by chunk in order: deterministic.
    A chunked forward leaves only its last chunk's columns in the plan: the chunks are taken last
    first, so that one is reused, and each of the others gathers its columns again, from an input
    small enough to be cheap to read. The chunks' sums stay in their product's orientation and are
    laid out as gw once, at the end: the same sums in the same order as laying each chunk's out
    (the classic MNIST CNN's 32x32x26x26->64 shard has 16 chunks).
    """
    O = gy.shape[1]
    w_shape = (O, x.shape[1] // groups, *kernel_hw)
    chunks = image_chunks(x.shape, w_shape, stride, padding, dilation, x.dtype.itemsize)
    if chunks is None:
        total, transposed_product = _weight_chunk(gy, x, kernel_hw, stride, padding, dilation, groups)
    else:
        total, transposed_product = _weight_chunk(gy[chunks[-1]], x[chunks[-1]], kernel_hw, stride, padding,
                                                  dilation, groups)
        for part in reversed(chunks[:-1]):
            total += _weight_chunk(gy[part], x[part], kernel_hw, stride, padding, dilation, groups)[0]
    gw = (transposed(total[..., :O // groups]) if transposed_product
          else np.ascontiguousarray(total[:, :O // groups]))
    return gw.reshape(w_shape)


def _weight_chunk(gy, x, kernel_hw, stride, padding, dilation, groups):
    """(the chunk's sum over its images, (groups, taps, rows) or (groups, rows, taps); whether the former)."""
    N, O = gy.shape[:2]
    C = x.shape[1]
    plan = plan_for(x.shape, x.dtype, tuple(kernel_hw), stride, padding, dilation, groups,
                    column_layout(x.shape, (O, C // groups, *kernel_hw), stride, padding, dilation, groups,
                                  x.dtype))
    columns = plan.gather(x, reuse=True)
    rows = padded_rows(O, columns.shape[-1]) if groups == 1 and plan.pitched else O // groups
    gy_rows = plan.output_gradient(gy, groups * rows).reshape(N, groups, rows, -1)
    transposed_product = (O // groups >= TRANSPOSED_WEIGHT_PRODUCT_MIN_ROWS
                          and groups * rows * columns.shape[-2] <= TRANSPOSED_WEIGHT_PRODUCT_MAX_VALUES)
    if transposed_product:
        per_image = matmul(columns, gy_rows.swapaxes(-1, -2))   # (N, groups, taps, rows)
    else:
        per_image = matmul(gy_rows, columns.swapaxes(-1, -2))   # (N, groups, rows, taps)
    # Summed over images in a fixed order: deterministic. (np.add.reduce: ndarray.sum's own reduction, without
    # its Python frame)
    return (per_image[0] if N == 1 else np.add.reduce(per_image, axis=0)), transposed_product
