"""Winograd convolution F(m x m, 3 x 3) for 3x3 kernels, stride 1, dilation 1, one group.

A convolution is cut into m x m output tiles.  Each tile needs an (m+2) x (m+2)
input tile d, and in the transformed domain the convolution is an elementwise
product:  Y = A^T [(G g G^T) * (B^T d B)] A.  Summed over input channels, the
product becomes one GEMM per transformed position (16 GEMMs for m=2, 36 for
m=4), with 2.25x (m=2) or 4x (m=4) fewer multiplications than direct
convolution.  The transforms are cheap additions done with whole-array NumPy
operations.

Tiles are read in the flat phase layout of :mod:`.im2col` with stride m: tile
element (i, j) of every tile is one contiguous slice (phase (i % m, j % m),
offset (i // m) * Wq + j // m), so the transforms run on long contiguous rows.

The weight gradient reuses the same machinery: dL/dU = sum over tiles of
(A dY A^T) * (B^T d B), one GEMM per transformed position, then G^T (.) G.

Transform matrices (Lavin & Gray 2015), interpolation points 0, +-1, (+-2), inf.
"""

from functools import lru_cache

import numpy as np

from . import scratch
from .blas import matmul
from .im2col import conv_output_hw, gram, merge_row_phases, split_phases

# Kernel transform matrices G (alpha x 3), cast to the working dtype where used.
_G = {
    2: np.array([[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]]),
    4: np.array([
        [1 / 4, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0, 0, 1],
    ]),
}


# --------------------------------------------------------------------------- 1-D transforms
# Each applies a small matrix along a list of equally shaped arrays:
# outputs[a] = sum_k matrix[a, k] * inputs[k], with shared subexpressions in temps.


def _input_transform_f2(d, v, temps):
    """B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]."""
    np.subtract(d[0], d[2], out=v[0])
    np.add(d[1], d[2], out=v[1])
    np.subtract(d[2], d[1], out=v[2])
    np.subtract(d[1], d[3], out=v[3])


def _input_transform_f4(d, v, temps):
    """B^T = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
              [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]."""
    t0, t1 = temps[0], temps[1]
    np.subtract(d[4], d[2], out=t0)
    np.subtract(d[0], d[2], out=v[0])
    v[0] *= 4
    v[0] += t0                                  # 4 d0 - 5 d2 + d4
    np.subtract(d[3], d[1], out=t1)
    t1 *= 2
    np.add(t0, t1, out=v[3])                    # -2 d1 - d2 + 2 d3 + d4
    np.subtract(t0, t1, out=v[4])               # 2 d1 - d2 - 2 d3 + d4
    np.add(d[1], d[2], out=t0)
    t0 *= 4
    np.add(d[3], d[4], out=v[1])
    v[1] -= t0                                  # -4 d1 - 4 d2 + d3 + d4
    np.subtract(d[1], d[2], out=t0)
    t0 *= 4
    np.subtract(d[4], d[3], out=v[2])
    v[2] += t0                                  # 4 d1 - 4 d2 - d3 + d4
    np.subtract(d[1], d[3], out=v[5])
    v[5] *= 4
    np.subtract(d[5], d[3], out=t0)
    v[5] += t0                                  # 4 d1 - 5 d3 + d5


def _output_transform_f2(m, y, temps):
    """A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].  Writes each output once (they may be strided views)."""
    t = temps[0]
    np.add(m[0], m[1], out=t)
    np.add(t, m[2], out=y[0])
    np.subtract(m[1], m[2], out=t)
    np.subtract(t, m[3], out=y[1])


def _output_transform_f4(m, y, temps):
    """A^T = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]].
    Writes each output once (they may be strided views)."""
    plus12, minus12, plus34, minus34, t = temps[:5]
    np.add(m[1], m[2], out=plus12)
    np.subtract(m[1], m[2], out=minus12)
    np.add(m[3], m[4], out=plus34)
    np.subtract(m[3], m[4], out=minus34)
    np.add(m[0], plus12, out=t)
    np.add(t, plus34, out=y[0])
    np.multiply(minus34, 2, out=t)
    np.add(t, minus12, out=y[1])
    np.multiply(plus34, 4, out=t)
    np.add(t, plus12, out=y[2])
    np.multiply(minus34, 8, out=t)
    t += minus12
    np.add(t, m[5], out=y[3])


def _output_adjoint_f2(g, z, temps):
    """A = (A^T)^T, maps an output-gradient tile to the transformed domain."""
    np.copyto(z[0], g[0])
    np.add(g[0], g[1], out=z[1])
    np.subtract(g[0], g[1], out=z[2])
    np.negative(g[1], out=z[3])


def _output_adjoint_f4(g, z, temps):
    """A = (A^T)^T = [[1, 0, 0, 0], [1, 1, 1, 1], [1, -1, 1, -1], [1, 2, 4, 8], [1, -2, 4, -8], [0, 0, 0, 1]]."""
    even, odd = temps[0], temps[1]
    np.copyto(z[0], g[0])
    np.add(g[0], g[2], out=even)
    np.add(g[1], g[3], out=odd)
    np.add(even, odd, out=z[1])
    np.subtract(even, odd, out=z[2])
    np.multiply(g[2], 4, out=even)
    even += g[0]                                # g0 + 4 g2
    np.multiply(g[3], 4, out=odd)
    odd += g[1]
    odd *= 2                                    # 2 g1 + 8 g3
    np.add(even, odd, out=z[3])
    np.subtract(even, odd, out=z[4])
    np.copyto(z[5], g[3])


_INPUT = {2: _input_transform_f2, 4: _input_transform_f4}
_OUTPUT = {2: _output_transform_f2, 4: _output_transform_f4}
_OUTPUT_ADJOINT = {2: _output_adjoint_f2, 4: _output_adjoint_f4}


def _temps(role, count, size, dtype):
    return [scratch(f"{role}{k}", (size,), dtype) for k in range(count)]


# --------------------------------------------------------------------------- tiling


def _tiling(input_shape, padding, m):
    """The (cached) _Tiling of a problem; arguments may be any int sequences."""
    return _cached_tiling(tuple(input_shape), tuple(tuple(side) for side in padding), m)


@lru_cache(maxsize=256)
def _cached_tiling(input_shape, padding, m):
    return _Tiling(input_shape, padding, m)


class _Tiling:
    """How an (H, W) input with 3x3 kernel and given padding is cut into m x m output tiles."""

    def __init__(self, input_shape, padding, m):
        N, C, H, W = input_shape
        self.m = m
        self.alpha = m + 2
        self.batch = N
        self.out_hw = conv_output_hw((H, W), (3, 3), (1, 1), padding, (1, 1))
        self.tiles_hw = tuple(-(-size // m) for size in self.out_hw)
        # One extra phase row/column holds the 2 overlapping rows/columns of the last tile.
        self.plane_hw = tuple(t + 1 for t in self.tiles_hw)
        Hq, Wq = self.plane_hw
        self.length = N * Hq * Wq
        # Extend the bottom/right padding so the tiles cover the whole (rounded-up) output.
        (top, _), (left, _) = padding
        self.input_padding = (
            (top, m * Hq - H - top),
            (left, m * Wq - W - left),
        )

    def output_padding(self):
        """Padding that places an (Ho, Wo) output (or its gradient) on the tile grid."""
        (Hq, Wq), m = self.plane_hw, self.m
        return ((0, m * Hq - self.out_hw[0]), (0, m * Wq - self.out_hw[1]))


def _transformed_input(x, tiling):
    """B^T d B for every input tile: scratch (alpha^2, C, L) in the flat tile layout."""
    m, alpha, L = tiling.m, tiling.alpha, tiling.length
    n = x.shape[1] * L
    Wq = tiling.plane_hw[1]
    planes = split_phases(x, tiling.input_padding, (m, m), tiling.plane_hw, tail=Wq + 2, role="wino_phases")
    transform = _INPUT[m]
    # Along rows first: one output per (transformed row a, column phase q), one element longer
    # than needed so that the column pass can read tile columns j >= m shifted by one.
    rows = scratch("wino_rows", (alpha, m, n + 1), x.dtype)
    temps = _temps("wino_tmp", 2, n + 1, x.dtype)
    for q in range(m):
        taps = [planes[i % m, q, (i // m) * Wq:(i // m) * Wq + n + 1] for i in range(alpha)]
        transform(taps, rows[:, q], temps)
    V = scratch("wino_V", (alpha, alpha, n), x.dtype)
    temps = [t[:n] for t in temps]
    for a in range(alpha):
        taps = [rows[a, j % m, j // m:j // m + n] for j in range(alpha)]
        transform(taps, V[a], temps)
    return V.reshape(alpha * alpha, -1, L)


def _transformed_kernel(w, m):
    """G g G^T for every (output, input) channel pair: (alpha^2, O, C).

    One GEMM with the Kronecker product (G kron G) maps the 9 taps of every
    channel pair to its alpha^2 transformed values, directly in the layout the
    main GEMM wants.
    """
    O, C = w.shape[:2]
    transform = np.kron(_G[m], _G[m]).astype(w.dtype)                  # (alpha^2, 9)
    return (transform @ w.reshape(O * C, 9).T).reshape(-1, O, C)


def _untransformed_output(M, tiling, out_channels, dtype):
    """A^T M A for every tile, assembled into a fresh (N, O, Ho, Wo) array."""
    m, alpha = tiling.m, tiling.alpha
    n = out_channels * tiling.length
    transform = _OUTPUT[m]
    M = M.reshape(alpha, alpha, n)
    rows = scratch("wino_out_rows", (m, alpha, n), dtype)
    temps = _temps("wino_tmp", 5, n, dtype)
    for b in range(alpha):
        transform(M[:, b], rows[:, b], temps)
    # The column pass writes output column s of every tile straight to its place in the
    # output rows (stride m), so only the row interleave is left for the final copy.
    output_rows = scratch("wino_output_rows", (m, n * m), dtype)
    for r in range(m):
        interleaved = output_rows[r].reshape(n, m)
        transform(rows[r], [interleaved[:, s] for s in range(m)], temps)
    out_shape = (tiling.batch, out_channels, *tiling.out_hw)
    return merge_row_phases(output_rows, out_shape, tiling.output_padding(), m, tiling.plane_hw)


def _transformed_output_gradient(gy, tiling):
    """A dY A^T for every output-gradient tile: scratch (alpha^2, O, L), zero on off-grid tiles."""
    m, alpha, L = tiling.m, tiling.alpha, tiling.length
    n = gy.shape[1] * L
    phases = split_phases(gy, tiling.output_padding(), (m, m), tiling.plane_hw, tail=0, role="wino_gy_phases")
    transform = _OUTPUT_ADJOINT[m]
    temps = _temps("wino_tmp", 2, n, gy.dtype)
    rows = scratch("wino_gy_rows", (alpha, m, n), gy.dtype)
    for s in range(m):
        transform(phases[:, s], rows[:, s], temps)
    Mg = scratch("wino_Mg", (alpha, alpha, n), gy.dtype)
    for a in range(alpha):
        transform(rows[a], Mg[a], temps)
    return Mg.reshape(alpha * alpha, -1, L)


# --------------------------------------------------------------------------- public algorithms


def supports(kernel_hw, stride, dilation, groups):
    """Whether these Winograd kernels apply (3x3, stride 1, dilation 1, one group)."""
    return tuple(kernel_hw) == (3, 3) and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1) and groups == 1


def conv2d_forward_winograd(x, w, padding, tile=4):
    """y (N, O, Ho, Wo) = 3x3 stride-1 convolution of x (N, C, H, W) with w (O, C, 3, 3), Winograd F(tile, 3)."""
    O = w.shape[0]
    tiling = _tiling(x.shape, padding, tile)
    V = _transformed_input(x, tiling)
    U = _transformed_kernel(w, tile)
    M = scratch("wino_M", (tiling.alpha ** 2, O, tiling.length), x.dtype)
    matmul(U, V, out=M)
    return _untransformed_output(M, tiling, O, x.dtype)


def conv2d_backward_weight_winograd(gy, x, padding, tile=4):
    """Gradient (O, C, 3, 3) w.r.t. the weight of a 3x3 stride-1 convolution, via Winograd."""
    O, C = gy.shape[1], x.shape[1]
    tiling = _tiling(x.shape, padding, tile)
    V = _transformed_input(x, tiling)
    Mg = _transformed_output_gradient(gy, tiling)
    P = gram(Mg, V)                                             # (alpha^2, O, C)
    alpha = tiling.alpha
    # gw[o, c, i, j] = sum_ab G[a, i] G[b, j] P[ab, o, c], as one GEMM with (G kron G)^T.
    transform = np.kron(_G[tile], _G[tile]).T.astype(x.dtype)           # (9, alpha^2)
    return (transform @ P.reshape(alpha * alpha, O * C)).T.reshape(O, C, 3, 3).copy()
