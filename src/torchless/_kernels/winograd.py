"""Winograd convolution F(m x m, 3 x 3) for 3x3 kernels, stride 1, dilation 1, one group.

A convolution is cut into m x m output tiles.  Each tile needs an alpha x alpha
input tile d (alpha = m + 2), and in the transformed domain the convolution is
an elementwise product:  Y = A^T [(G g G^T) * (B^T d B)] A.  Summed over input
channels, the product becomes one GEMM per transformed position (16 GEMMs for
m=2, 36 for m=4), with 2.25x (m=2) or 4x (m=4) fewer multiplications than
direct convolution.

Layout: rows, columns, then (batch, channel)
-------------------------------------------
The image is first copied to the "HWK" layout (rows, columns, N*C), with the
batch and channel axes innermost.  Every 1-D transform is then a small matrix
(B^T, A^T) applied along a spatial axis, i.e. a batched matrix product whose
operands are long contiguous (N*C)-rows: overlapping tiles are plain strided
views, the transforms run in BLAS instead of in dozens of NumPy elementwise
passes, and the results land directly in the layout the next step wants:

* input:   V[a, b, (ti, tj, n), c]  (alpha^2 contiguous (tiles, C) matrices)
* GEMM:    M[a, b] = V[a, b] @ U[a, b]  ((tiles x C) @ (C x O): BLAS's fast shape here,
           124 vs 78 GFLOP/s for (O x C) @ (C x tiles) on 64x32x14x14)
* output:  A^T along a, then along b straight into the NCHW result.

The one layout change is the copy of x to (rows, columns, N*C), in cache-sized blocks.
Measured on 64x32x14x14 -> 64 (2 cores, forward): the previous implementation (whole-array
NumPy transforms on a flat phase layout) took 7.5 ms (F2) / 9.7 ms (F4); this one about
3.7 ms (F4).  No tile is wasted either: the phase layout computed (tiles + 1)^2 positions
per plane, 56% extra GEMM work for F4 on a 14x14 plane.

The weight gradient reuses the same machinery: dL/dU[ab] = V[ab]^T @ (A dY A^T)[ab],
then gw = G^T (.) G.

Transform matrices: Lavin & Gray's (2015) for F(2x2), interpolation points 0, +-1, inf; for F(4x4) the
points 0, +-1, 1/2, -2, inf rather than their 0, +-1, +-2, inf. In float32 the latter's results were
2-3x farther from a float64 reference (max error / max |y|, forward and weight gradient, on
16x128x28x28->128, 8x64x56x56->64, 64x32x14x14->64, 4x256x14x14->256: 6e-6 - 1.1e-5 and 4.6e-6 - 1.1e-5,
against 2.0e-6 - 4.4e-6 and 2.1e-6 - 4.6e-6), since the output transform's -8 and 8 meet 1/8 and -8 instead.
F(3x3) is not offered: any m > 2 needs a fourth finite point beyond 0 and +-1, and with 2, -2, 1/2 or -1/2
its float32 forward measured as far from the float64 reference as F(4x4) (1.1e-6 - 5.8e-6 of max |y| on the
shapes above and 64x5x14x14->10, F(4x4) 1.5e-6 - 4.6e-6, F(2x2) 2e-7 - 7e-7) while saving fewer
multiplications (3.2x against 4x).
"""

from functools import lru_cache

import numpy as np

from . import scratch
from .blas import matmul
from .im2col import conv_output_hw, strided_view

# Kernel transform matrices G (alpha x 3), input transforms B^T (alpha x alpha) and
# output transforms A^T (m x alpha); cast to the working dtype where used.
_G = {
    2: np.array([[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]]),
    4: np.array([
        [1, 0, 0],
        [1 / 3, 1 / 3, 1 / 3],
        [-1 / 3, 1 / 3, -1 / 3],
        [-16 / 15, -8 / 15, -4 / 15],
        [1 / 15, -2 / 15, 4 / 15],
        [0, 0, 1],
    ]),
}
_BT = {
    2: np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]),
    4: np.array([
        [1, -3 / 2, -2, 3 / 2, 1, 0],
        [0, -1, 1 / 2, 5 / 2, 1, 0],
        [0, 1, -5 / 2, 1 / 2, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 1 / 2, -1, -1 / 2, 1, 0],
        [0, 1, -3 / 2, -2, 3 / 2, 1],
    ]),
}
_AT = {
    2: np.array([[1, 1, 1, 0], [0, 1, -1, -1]]),
    4: np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 1 / 2, -2, 0], [0, 1, 1, 1 / 4, 4, 0], [0, 1, -1, 1 / 8, -8, 1]]),
}


@lru_cache(maxsize=32)
def _matrix(name, m, dtype):
    """A transform matrix in ``dtype`` (cached: they are tiny but used on every call)."""
    table = {"G": _G, "BT": _BT, "AT": _AT}[name]
    matrix = table[m].astype(dtype)
    matrix.flags.writeable = False
    return matrix


@lru_cache(maxsize=32)
def _kernel_transform(m, dtype):
    """(G kron G): (alpha^2, 9), maps the 9 taps of a 3x3 kernel to its alpha^2 transformed values."""
    matrix = np.kron(_G[m], _G[m]).astype(dtype)
    matrix.flags.writeable = False
    return matrix


# The copy to the (rows, columns, N*C) layout runs in blocks of this many (n, c) planes: a block
# stays in cache while its rows are scattered (measured: 64x32x14x14 0.26 -> 0.14 ms,
# 64x32x26x26 1.3 -> 0.63 ms, 16x128x28x28 1.2 -> 0.83 ms; 8x64x56x56 unchanged).
_TRANSPOSE_BLOCK = 256


# The transforms multiply by a tiny matrix (at most 6 x 6) from the left.  OpenBLAS runs such a
# product over a very wide right operand at a third of the speed it reaches on column blocks of
# a few thousand (measured, A^T (4 x 6) @ (6 x 393216): 1.10 ms whole, 0.32 ms in blocks of
# 8192, single-threaded), so wide operands are cut into blocks, multiplied as one batch.
_TRANSFORM_BLOCK = 8192


def _split_columns(a, blocks):
    """View (..., blocks, rows, width) of a (..., rows, blocks * width): its column blocks as a batch."""
    *lead, rows, columns = a.shape
    *lead_strides, row_stride, column_stride = a.strides
    width = columns // blocks
    return np.lib.stride_tricks.as_strided(
        a, (*lead, blocks, rows, width), (*lead_strides, width * column_stride, row_stride, column_stride))


def _transform(matrix, operand, out):
    """out[...] = matrix @ operand[...] for a stack of (q, R) operands and (p, R) outputs (any strides
    BLAS accepts), in column blocks of _TRANSFORM_BLOCK."""
    columns = operand.shape[-1]
    blocks = columns // _TRANSFORM_BLOCK
    if blocks < 2:
        matmul(matrix, operand, out=out)
        return
    split = blocks * _TRANSFORM_BLOCK
    matmul(matrix, _split_columns(operand[..., :split], blocks), out=_split_columns(out[..., :split], blocks))
    if split < columns:
        matmul(matrix, operand[..., split:], out=out[..., split:])


# --------------------------------------------------------------------------- tiling


def _tiling(input_hw, padding, m):
    """The (cached) _Tiling of a problem; arguments may be any int sequences."""
    return _cached_tiling(tuple(input_hw), tuple(tuple(side) for side in padding), m)


@lru_cache(maxsize=256)
def _cached_tiling(input_hw, padding, m):
    return _Tiling(input_hw, padding, m)


class _Tiling:
    """How an (H, W) input with a 3x3 kernel and given padding is cut into m x m output tiles."""

    def __init__(self, input_hw, padding, m):
        self.m = m
        self.alpha = m + 2
        self.out_hw = conv_output_hw(input_hw, (3, 3), (1, 1), padding, (1, 1))
        self.tiles_hw = tuple(-(-size // m) for size in self.out_hw)
        # The padded input the tiles read: rows/columns beyond the real padding are zeros.
        self.padded_hw = tuple(m * tiles + 2 for tiles in self.tiles_hw)
        self.origin = (padding[0][0], padding[1][0])


# --------------------------------------------------------------------------- layout changes


def _to_rows_columns(x, padded_hw, origin, role):
    """x (N, C, H, W) as a zero-padded scratch (Hp, Wp, N*C) with x[n, c] at rows/columns ``origin``.

    Only the border is zeroed: a full fill first would be one more pass over the array.
    """
    N, C, H, W = x.shape
    (Hp, Wp), (top, left) = padded_hw, origin
    H, W = min(H, Hp - top), min(W, Wp - left)
    planes = scratch(role, (Hp, Wp, N * C), x.dtype)
    planes[:top] = 0
    planes[top + H:] = 0
    planes[top:top + H, :left] = 0
    planes[top:top + H, left + W:] = 0
    source = x[:, :, :H, :W].reshape(N * C, H, W)
    for k in range(0, N * C, _TRANSPOSE_BLOCK):
        np.copyto(planes[top:top + H, left:left + W, k:k + _TRANSPOSE_BLOCK],
                  source[k:k + _TRANSPOSE_BLOCK].transpose(1, 2, 0))
    return planes


def _tile_transform(planes, matrix, step, tiles_hw, role):
    """T[a, b, ti, tj, k] = sum_ij matrix[a, i] matrix[b, j] planes[step*ti + i, step*tj + j, k].

    planes (rows, columns, K) must be C-contiguous; tiles are windows of matrix.shape[1]
    rows/columns every ``step`` (they overlap when the window is wider than the step).
    Returns scratch (alpha, alpha, tiles_h, tiles_w * K).
    """
    rows, _, K = planes.shape
    alpha, window = matrix.shape
    th, tw = tiles_hw
    flat = planes.reshape(-1)
    # Along columns, for every row: out[h, tj] (alpha, K) = matrix @ planes[h, step*tj : +window].
    column_windows = strided_view(flat, 0, (rows, tw, window, K), (planes.shape[1] * K, step * K, K, 1))
    along_columns = scratch(role + "_columns", (alpha, rows, tw, K), planes.dtype)
    _transform(matrix, column_windows, along_columns.transpose(1, 2, 0, 3))
    # Along rows: out[b, ti] (alpha, tw*K) = matrix @ along_columns[b, step*ti : +window].
    row_windows = strided_view(along_columns.reshape(-1), 0, (alpha, th, window, tw * K),
                               (rows * tw * K, step * tw * K, tw * K, 1))
    transformed = scratch(role, (alpha, alpha, th, tw * K), planes.dtype)
    _transform(matrix, row_windows, transformed.transpose(1, 2, 0, 3))
    return transformed


def _transformed_input(x, tiling):
    """B^T d B of every input tile: scratch (alpha^2, tiles*N, C), tiles ordered (ti, tj, n)."""
    N, C = x.shape[:2]
    planes = _to_rows_columns(x, tiling.padded_hw, tiling.origin, "wino_planes")
    V = _tile_transform(planes, _matrix("BT", tiling.m, x.dtype), tiling.m, tiling.tiles_hw, "wino_V")
    th, tw = tiling.tiles_hw
    return V.reshape(tiling.alpha ** 2, th * tw * N, C)


def _transformed_kernel(w, m):
    """G g G^T for every (output, input) channel pair: (alpha^2, O, C), contiguous.

    One GEMM with the Kronecker product (G kron G) maps the 9 taps of every channel
    pair to its alpha^2 transformed values; w's taps are read as a transposed matrix,
    which BLAS takes as is.  (Measured on 256 -> 256 channels: 0.34 ms, against 0.95 ms
    for an (alpha^2, C, O) layout built with one small product per input channel.)
    """
    O, C = w.shape[:2]
    transform = _kernel_transform(m, w.dtype)                       # (alpha^2, 9)
    U = scratch("wino_U", (transform.shape[0], O * C), w.dtype)
    _transform(transform, w.reshape(O * C, 9).T, U)
    return U.reshape(-1, O, C)


def _untransformed_output(M, tiling, batch, out_channels, out=None):
    """A^T M A of every tile, M (alpha, alpha, th, tw, N*O): into ``out`` (a C-contiguous (N, O, Ho, Wo)
    array of M's dtype) when given, else a fresh array.

    The transform along a is one product; the one along b writes each tile's m output
    columns straight into the NCHW result, as a column-major (m x N*O) matrix, which BLAS
    takes as is (measured against a transform into rows plus a copy to NCHW: 64x32x14x14
    4.06 -> 3.69 ms, 8x64x56x56 10.8 -> 10.0 ms, 16x128x28x28 14.2 -> 13.0 ms, 26x26 +2%).
    Tiles that overhang the output get the leading rows/columns of A^T only.
    """
    m, alpha = tiling.m, tiling.alpha
    th, tw = tiling.tiles_hw
    Ho, Wo = tiling.out_hw
    K = batch * out_channels
    at = _matrix("AT", m, M.dtype)
    along_a = scratch("wino_out_a", (m, alpha, th, tw, K), M.dtype)
    _transform(at, M.reshape(alpha, -1), along_a.reshape(m, -1))
    y = np.empty((batch, out_channels, Ho, Wo), dtype=M.dtype) if out is None else out
    tile_columns = along_a.transpose(0, 2, 3, 1, 4)                     # (r, ti, tj, b, K)
    full_h, full_w = Ho // m, Wo // m
    rest_h, rest_w = Ho - m * full_h, Wo - m * full_w
    for tiles_h, first_ti, rows in ((full_h, 0, m), (1 if rest_h else 0, full_h, rest_h)):
        for tiles_w, first_tj, columns in ((full_w, 0, m), (1 if rest_w else 0, full_w, rest_w)):
            if tiles_h and tiles_w:
                out = _output_tiles(y, m, (first_ti, first_tj), (rows, tiles_h, tiles_w, columns))
                source = tile_columns[:rows, first_ti:first_ti + tiles_h, first_tj:first_tj + tiles_w]
                matmul(at[:columns], source, out=out)
    return y


def _output_tiles(y, m, first_tile, shape):
    """View (r, ti, tj, s, N*O) of y (N, O, Ho, Wo) at y[:, :, m*ti + r, m*tj + s], from tile first_tile."""
    N, O, Ho, Wo = y.shape
    item = y.itemsize
    offset = (m * first_tile[0] * Wo + m * first_tile[1]) * item
    return np.ndarray(shape + (N * O,), y.dtype, buffer=y, offset=offset,
                      strides=(Wo * item, m * Wo * item, m * item, item, Ho * Wo * item))


def _transformed_output_gradient(gy, tiling):
    """A dY A^T of every output-gradient tile: scratch (alpha^2, tiles*N, O), zero beyond the output."""
    N, O = gy.shape[:2]
    th, tw = tiling.tiles_hw
    m = tiling.m
    planes = _to_rows_columns(gy, (m * th, m * tw), (0, 0), "wino_gy_planes")
    adjoint = np.ascontiguousarray(_matrix("AT", m, gy.dtype).T)   # A: (alpha, m)
    Mg = _tile_transform(planes, adjoint, m, tiling.tiles_hw, "wino_Mg")
    return Mg.reshape(tiling.alpha ** 2, th * tw * N, O)


# --------------------------------------------------------------------------- public algorithms


def supports(kernel_hw, stride, dilation, groups):
    """Whether these Winograd kernels apply (3x3, stride 1, dilation 1, one group)."""
    return tuple(kernel_hw) == (3, 3) and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1) and groups == 1


# Column 1 of A^T (interpolation point 1) is all ones, for m = 2 and m = 4: a constant added to the
# transformed position (1, 1) of a tile comes out added to each of its m x m outputs.
_ONES_POSITION = 1


def conv2d_forward_winograd(x, w, padding, tile=4, out=None, bias=None):
    """y (N, O, Ho, Wo) = 3x3 stride-1 convolution of x (N, C, H, W) with w (O, C, 3, 3) [+ bias (O,)],
    Winograd F(tile, 3); into ``out`` (C-contiguous, x's dtype) when given.

    The bias is added in the transformed domain, to the 1/alpha^2 of the products at position (1, 1)
    (see _ONES_POSITION), instead of in a pass over y.
    """
    N = x.shape[0]
    O = w.shape[0]
    tiling = _tiling(x.shape[2:], padding, tile)
    V = _transformed_input(x, tiling)
    U = _transformed_kernel(w, tile)
    M = scratch("wino_M", V.shape[:2] + (O,), x.dtype)
    matmul(V, U.transpose(0, 2, 1), out=M)
    if bias is not None:
        M[_ONES_POSITION * tiling.alpha + _ONES_POSITION] += bias.astype(x.dtype, copy=False)
    return _untransformed_output(M, tiling, N, O, out)


def conv2d_backward_weight_winograd(gy, x, padding, tile=4):
    """Gradient (O, C, 3, 3) w.r.t. the weight of a 3x3 stride-1 convolution, via Winograd."""
    O, C = gy.shape[1], x.shape[1]
    tiling = _tiling(x.shape[2:], padding, tile)
    V = _transformed_input(x, tiling)
    Mg = _transformed_output_gradient(gy, tiling)
    # (O x tiles) @ (tiles x C) per position: 10-15% faster here than (C x tiles) @ (tiles x O)
    # (measured: 36 x 2304 tiles, 32 -> 64 channels, 3.7 vs 4.2 ms).
    P = matmul(Mg.transpose(0, 2, 1), V)                          # (alpha^2, O, C)
    # gw[o, c, i, j] = sum_ab G[a, i] G[b, j] P[ab, o, c], as one GEMM with (G kron G).
    gw = matmul(P.reshape(tiling.alpha ** 2, O * C).T, _kernel_transform(tile, x.dtype))   # (O*C, 9)
    return gw.reshape(O, C, 3, 3)
