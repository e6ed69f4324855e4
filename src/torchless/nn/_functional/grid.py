"""Spatial transformers: ``affine_grid`` builds a sampling grid from affine matrices, ``grid_sample`` reads an
image (or a volume: trilinear or nearest) at the grid's points (bilinear, nearest or bicubic, with zeros, border
or reflection padding).

Sampling is a gather: each output point reads 1 (nearest), 4 (bilinear) or 16 (bicubic) input pixels, found
with fancy indexing on the flattened image, and weighs them by broadcasting. The input gradient is the
adjoint scatter, one ``np.bincount`` over all taps at once (faster than ``np.add.at``). Positions are
computed in the input's precision (float32 for float16) as PyTorch's CPU kernel does, so that floor and
round make the same discrete choices near pixel boundaries.
"""
import math
import warnings

import numpy as np

from ... import _cpu_features as cpu_features, _memory_format
from ..._creation.ranges import _float_linspace
from ..._kernels import fma
from ..._tensor import Tensor
from ...autograd import forward_ad
from ...autograd._graph_backward import with_gradient_strides, with_zero_derivative_of
from ...autograd.graph import Node, autocast_cast
from ...autograd.saved_values import SavedInput
from ._args import _is_index, _tp_name

__all__ = ["affine_grid", "grid_sample"]

_DEFAULT_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please specify "
    "align_corners=True if the old behavior is desired. See the documentation of grid_sample for details.")

_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution constant


def _compute_dtype(dtype):
    """affine_grid's float16 positions are computed in float32 (PyTorch's CPU kernel accumulates in float too)."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype


# ---------------------------------------------------------------------------- affine_grid
def _linspace_from_neg_one(steps, align_corners, dtype):
    """Pixel centres in [-1, 1] along one axis (torch.linspace's values to the last bit, scaled in the dtype
    without align_corners); a unit axis sits at 0, the centre of the image."""
    if steps <= 1:
        return np.zeros(1, dtype)
    values = _float_linspace(-1, 1, steps, np.dtype(dtype))
    if not align_corners:
        values = (values * np.asarray(steps - 1, dtype)) / np.asarray(steps, dtype)
    return values


def _axes(spatial, align_corners, dtype):
    return [_linspace_from_neg_one(s, align_corners, dtype) for s in spatial]


def _base_grid(axes):
    """(prod(spatial), k + 1) rows [x, y(, z), 1]: x runs along the last spatial dim, y the one before, ..."""
    mesh = np.meshgrid(*axes, indexing="ij")  # mesh[i] varies along spatial dim i
    columns = [m.reshape(-1) for m in reversed(mesh)] + [np.ones(mesh[0].size, axes[0].dtype)]
    return np.stack(columns, axis=1)


_FUSED_MULTIPLY_ADD = {np.dtype(np.float32): fma.fused_multiply_add32, np.dtype(np.float64): fma.fused_multiply_add64}

# PyTorch's bmm runs its own loop below this many multiply-adds (contraction * rows * columns), BLAS above
_BMM_NAIVE_LIMIT = 400


def _grid_product(axes, theta):
    """theta[n] @ [x, y(, z), 1] at every point: (N, *spatial, k). Each point is summed as PyTorch's bmm
    of the base grid sums it, so that a point on a pixel boundary rounds to the same side in grid_sample's
    nearest mode: a plain running sum in its own loop for small grids, BLAS's fused multiply-adds after the first
    product for the others (on Intel's CPUs; elsewhere MKL's GEMM sums plainly too). Each coordinate is broadcast along its own spatial dim (the products stay small)."""
    n, k, contraction = theta.shape
    spatial = [len(axis) for axis in axes]
    points = math.prod(spatial)

    def coordinate(j):  # x is the last spatial dim, y the one before, ...
        dim = len(spatial) - 1 - j
        shape = [1] * len(spatial)
        shape[dim] = spatial[dim]
        return axes[dim].reshape(1, *shape, 1)

    def weights(j):
        return theta[:, :, j].reshape(n, *[1] * len(spatial), k)

    blas = contraction * points * k >= _BMM_NAIVE_LIMIT
    fused = _FUSED_MULTIPLY_ADD.get(theta.dtype) if blas and cpu_features.mkl_fuses_multiply_adds() else None
    grid = coordinate(0) * weights(0)
    for j in range(1, contraction - 1):
        if fused:
            grid = fused(coordinate(j), weights(j), grid).astype(theta.dtype)
        else:
            grid = grid + coordinate(j) * weights(j)
    return grid + weights(contraction - 1)  # the 1 column: a plain sum


class AffineGridGenerator(Node):
    """grid[n, ..., :] = theta[n] @ [x, y(, z), 1]: one batched matrix product with the base grid."""

    saved = ("base",)

    def forward(self, theta, spatial=None, align_corners=False):
        dtype = _compute_dtype(theta.dtype)
        axes = _axes(spatial, align_corners, dtype)
        self.base, self.theta_dtype = _base_grid(axes), theta.dtype
        self.grid_shape = (theta.shape[0],) + tuple(spatial) + (theta.shape[1],)
        grid = _grid_product(axes, theta.astype(dtype, copy=False))
        return grid.reshape(self.grid_shape).astype(theta.dtype, copy=False)

    # PyTorch's affine_grid_generator_backward: grad_theta = (base^T bmm grad).transpose(1, 2), so the gradient is
    # a transposed view of a contiguous (N, k + 1, k) product, not C-contiguous.
    def backward(self, grad):
        n, k = self.grid_shape[0], self.grid_shape[-1]
        # the base grid's point count, not -1: an empty batch leaves nothing to infer it from
        g = grad.reshape(n, self.base.shape[0], k).astype(self.base.dtype, copy=False)
        product = np.matmul(self.base.T[None], g).astype(self.theta_dtype, copy=False)
        return (product.transpose(0, 2, 1),)

    def backward_graph(self, grad):  # linear in theta: the same product, recorded under PyTorch's nodes
        n, k = self.grid_shape[0], self.grid_shape[-1]
        points = self.base.shape[0]
        base_t = np.broadcast_to(self.base.T.astype(grad._data.dtype), (n, k + 1, points))
        return (grad._wrap(base_t).bmm(grad.reshape(n, points, k)).transpose(1, 2),)


def affine_grid(theta, size, align_corners=None):
    r"""Generate a 2-D or 3-D sampling grid (flow field) from a batch of affine matrices ``theta``.

    Used with :func:`grid_sample` to build Spatial Transformer Networks.

    Args:
        theta (Tensor): affine matrices, :math:`(N, 2, 3)` for 2-D or :math:`(N, 3, 4)` for 3-D.
        size (torchless.Size): the target output size, :math:`(N, C, H, W)` or :math:`(N, C, D, H, W)`.
        align_corners (bool, optional): if ``True``, -1 and 1 are the centres of the corner pixels rather than
            the image corners. Use the same value in :func:`grid_sample`. Default: ``False`` (with a warning
            when not given).

    Shape:
        - Output: :math:`(N, H, W, 2)` for a 4-D size, :math:`(N, D, H, W, 3)` for a 5-D size, where
          ``output[n, h, w] = theta[n] @ [x_w, y_h, 1]`` and :math:`x_w = -1 + 2w / (W - 1)` with
          ``align_corners=True``, :math:`x_w = (-1 + 2w / (W - 1)) (W - 1) / W` otherwise (0 when W = 1).
    """
    if align_corners is None:
        warnings.warn(_DEFAULT_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::affine_grid_generator", (theta,), stacklevel=1)
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    # affine_grid_generator's parser: quick checks of size (a tuple or list, not any sequence), of its first
    # element and of align_corners (a Python bool only), then the conversion of size's other elements (where a
    # bool passes as an int).
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"affine_grid_generator(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{_tp_name(size)}")
    if size and not _is_index(size[0]):
        raise TypeError(f"affine_grid_generator(): argument 'size' (position 2) must be tuple of ints, but found "
                        f"element of type {_tp_name(size[0])} at pos 0")
    if not isinstance(align_corners, bool):
        raise TypeError(f"affine_grid_generator(): argument 'align_corners' (position 3) must be bool, not "
                        f"{_tp_name(align_corners)}")
    for pos, item in enumerate(size, start=1):
        if not (_is_index(item) or isinstance(item, bool)):
            raise TypeError(f"affine_grid_generator(): argument 'size' failed to unpack the object at pos {pos} with "
                            f"error \"type must be tuple of ints,but got {_tp_name(item)}\"")
    size = [int(item) for item in size]
    if min(spatial) <= 1 and theta.dtype.scalar_name in ("Half", "BFloat16"):
        # the coordinates of a unit-size side are at::tensor(0), which has no half-precision kernel
        raise NotImplementedError(f"\"tensor_cpu\" not implemented for '{theta.dtype.scalar_name}'")
    if size[0] != theta.shape[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {theta.shape[2]}] but got: [{theta.shape[0]}, {theta.shape[2]}].")
    return AffineGridGenerator.apply(theta, spatial=tuple(int(s) for s in spatial), align_corners=bool(align_corners))


# ---------------------------------------------------------------------------- grid_sample
def _clip(coord, size):
    """Clamp to [0, size - 1]; fmax/fmin send NaN to 0, as PyTorch's kernel does (NaN samples the border)."""
    return np.fmin(np.fmax(coord, 0), size - 1)


def _reflect(coord, size, align_corners):
    """Reflect into [0, size - 1] (align_corners) or [-0.5, size - 0.5], by the borders, as often as needed.

    Returns the reflected coordinate and its derivative (+1 or -1).
    """
    dtype = coord.dtype
    twice_span = 2 * (size - 1) if align_corners else 2 * size
    if twice_span == 0:
        return np.zeros_like(coord), np.zeros_like(coord)
    shifted = coord if align_corners else coord + np.asarray(0.5, dtype)
    magnitude = np.abs(shifted)
    span = np.asarray(twice_span, dtype)
    extra = magnitude - np.trunc(magnitude / span) * span
    flipped = span - extra
    one_more_flip = extra > flipped
    result = np.where(one_more_flip, flipped, extra)
    if not align_corners:
        result = result - np.asarray(0.5, dtype)
    sign = np.where(shifted < 0, -1, 1) * np.where(one_more_flip, -1, 1)
    return result, sign.astype(dtype)


def _source_index(coord, size, padding_mode, align_corners):
    """Normalised grid coordinates -> pixel coordinates under the padding mode, and d(pixel)/d(grid)."""
    dtype = coord.dtype
    scale = (size - 1) / 2 if align_corners else size / 2
    pixel = (coord + np.asarray(1, dtype)) * np.asarray(scale, dtype)
    if not align_corners:
        pixel = pixel - np.asarray(0.5, dtype)
    mult = np.full(coord.shape, scale, dtype)
    if padding_mode == "border":
        mult *= (pixel > 0) & (pixel < size - 1)  # the clamped borders count as outside: no gradient there
        pixel = _clip(pixel, size)
    elif padding_mode == "reflection":
        pixel, sign = _reflect(pixel, size, align_corners)
        mult *= sign * ((pixel > 0) & (pixel < size - 1))
        pixel = _clip(pixel, size)
    return pixel, mult


def _unnormalize(coord, size, align_corners):
    """Pixel coordinates without padding (bicubic pads its integer taps instead), and d(pixel)/d(grid)."""
    dtype = coord.dtype
    scale = (size - 1) / 2 if align_corners else size / 2
    pixel = (coord + np.asarray(1, dtype)) * np.asarray(scale, dtype)
    if not align_corners:
        pixel = pixel - np.asarray(0.5, dtype)
    return pixel, scale


def _pad_taps(position, size, padding_mode, align_corners):
    """Integer tap positions (as floats) moved inside by the padding mode: bicubic's border and reflection."""
    if padding_mode == "border":
        return _clip(position, size)
    if padding_mode == "reflection":
        return _clip(_reflect(position, size, align_corners)[0], size)
    return position


def _flat_index(px, py, height, width):
    """Flat index y * W + x of integral float positions; out-of-image taps point at the zero pixel
    appended at index H * W."""
    inside = (px >= 0) & (px < width) & (py >= 0) & (py < height)  # False for NaN
    # Non-finite positions never reach the int conversion, which would be undefined for them.
    px, py = np.where(inside, px, 0), np.where(inside, py, 0)
    index = py.astype(np.int64) * width + px.astype(np.int64)
    index[~inside] = height * width
    return index


def _cubic_coefficients(t):
    """The 4 cubic-convolution weights of taps at offsets -1, 0, 1, 2 from floor(x), t = x - floor(x),
    and their derivatives with respect to t."""
    a = _CUBIC_A
    near = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731 - |x| <= 1
    far = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731 - 1 < |x| < 2
    d_near = lambda x: (3 * (a + 2) * x - 2 * (a + 3)) * x  # noqa: E731
    d_far = lambda x: (3 * a * x - 10 * a) * x + 8 * a  # noqa: E731
    one = 1 if isinstance(t, Tensor) else np.asarray(1, t.dtype)  # (a graph tensor for backward_graph)
    mirrored = one - t  # (the last tap's offset as PyTorch forms it, (1 - t) + 1, rounded as its float16 is)
    coefficients = [far(t + one), near(t), near(mirrored), far(mirrored + one)]
    derivatives = [d_far(t + one), d_near(t), -d_near(mirrored), -d_far(mirrored + one)]
    return coefficients, derivatives


# What PyTorch's grid sampler nodes show as saved: both inputs and the arguments, its enums as their numbers.
_GRID_SAMPLER_SAVED = {"input": SavedInput(0), "grid": SavedInput(1),
                       "interpolation_mode": lambda node: ("bilinear", "nearest", "bicubic").index(node.mode),
                       "padding_mode": lambda node: ("zeros", "border", "reflection").index(node.padding_mode),
                       "align_corners": lambda node: node.align_corners}


class _GridSampler(Node):
    """What the 2-D and 3-D grid samplers share: forward, which keeps the arguments backward needs and has
    ``_sample`` compute the output, and what PyTorch shows of the node."""

    backward_is_one_op = True
    backward_op_ties_inputs = True  # (its gradients require grad as the input does)
    torch_saved = _GRID_SAMPLER_SAVED

    def forward(self, input, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
        # Non-finite grid values give NaN or border samples, as in PyTorch, which does not warn about them.
        self.input, self.grid, self.local = input, grid, None
        self.padding_mode, self.align_corners = padding_mode, align_corners
        with np.errstate(invalid="ignore", over="ignore"):
            return self._sample(input, grid, mode, padding_mode, align_corners)


class GridSampler2D(_GridSampler):
    """output[n, c, h, w] = sum over taps k of weight_k[n, h, w] * input[n, c, index_k[n, h, w]]."""

    saved = ("planes", "taps", "dx", "dy", "input", "grid", "local")

    def _sample(self, input, grid, mode, padding_mode, align_corners):
        # As the 3-D kernel, PyTorch's 2-D one (its scalar fallback for float16) computes in the input's own type,
        # every step rounded to it: the positions decide the nearest pixel and the weights the sums.
        dtype = input.dtype
        n, c, height, width = input.shape
        out_hw = grid.shape[1:3]
        points = grid.astype(dtype, copy=False).reshape(n, out_hw[0] * out_hw[1], 2)
        gx, gy = points[..., 0], points[..., 1]
        planes = input.astype(dtype, copy=False).reshape(n, c, height * width)
        # A zero pixel for taps outside the image to read: zeros padding's outside, and also bilinear's
        # right/bottom neighbour of a point clamped to the last pixel (weight 0) under border/reflection.
        planes = np.concatenate([planes, np.zeros((n, c, 1), dtype)], axis=2)
        self.mode, self.dtypes, self.shape, self.grid_shape = mode, (input.dtype, grid.dtype), input.shape, grid.shape

        if mode == "bicubic":
            x, mult_x = _unnormalize(gx, width, align_corners)
            y, mult_y = _unnormalize(gy, height, align_corners)
            x0, y0 = np.floor(x), np.floor(y)
            cx, dcx = _cubic_coefficients(x - x0)
            cy, dcy = _cubic_coefficients(y - y0)
            columns = [_pad_taps(x0 + (i - 1), width, padding_mode, align_corners) for i in range(4)]
            rows = [_pad_taps(y0 + (j - 1), height, padding_mode, align_corners) for j in range(4)]
            taps = [(_flat_index(columns[i], rows[j], height, width), cy[j] * cx[i])
                    for j in range(4) for i in range(4)]
            # d(weight of tap (i, j)) / dx and / dy, for the grid gradient
            self.dx = [cy[j] * dcx[i] * mult_x for j in range(4) for i in range(4)]
            self.dy = [dcy[j] * cx[i] * mult_y for j in range(4) for i in range(4)]
            self.local = ((x - x0, mult_x), (y - y0, mult_y))
        else:
            x, mult_x = _source_index(gx, width, padding_mode, align_corners)
            y, mult_y = _source_index(gy, height, padding_mode, align_corners)
            if mode == "nearest":
                # rint rounds half to even, as the kernel's nearbyint
                taps = [(_flat_index(np.rint(x), np.rint(y), height, width), None)]
                self.dx = self.dy = None
            else:
                x0, y0 = np.floor(x), np.floor(y)
                east, south = x - x0, y - y0  # weights of the right column and of the bottom row
                west, north = 1 - east, 1 - south
                corners = ((x0, y0, north * west), (x0 + 1, y0, north * east),
                           (x0, y0 + 1, south * west), (x0 + 1, y0 + 1, south * east))
                taps = [(_flat_index(px, py, height, width), w) for px, py, w in corners]
                self.dx = [-north * mult_x, north * mult_x, -south * mult_x, south * mult_x]
                self.dy = [-west * mult_y, -east * mult_y, west * mult_y, east * mult_y]
                self.local = ((east, west, mult_x), (south, north, mult_y))

        out = _separable_cubic(planes, taps, cx, cy) if mode == "bicubic" else _weighted_taps(planes, taps)
        self.planes, self.taps = planes, taps
        return out.reshape((n, c) + tuple(out_hw)).astype(input.dtype, copy=False)

    jvp = forward_ad.unsupported_jvp  # (PyTorch has no forward AD formula for it)

    def forward_ad_name(self):
        return "grid_sampler_2d"

    def backward(self, grad):
        n, c = self.shape[:2]
        planes, taps = self.planes, self.taps
        length = planes.shape[2]
        g = grad.reshape(n, c, self.grid_shape[1] * self.grid_shape[2]).astype(planes.dtype, copy=False)
        grad_input = grad_grid = None
        if self.needs_input_grad[0] and g.dtype == np.float16:
            summed = _added_in_half(g, *self._contributions_in_torch_order(g), length)
            grad_input = summed[:, :, :self.shape[2] * self.shape[3]].reshape(self.shape)
        elif self.needs_input_grad[0]:
            # One bincount over every (n, c, tap) contribution: index (n * C + c) * length + pixel.
            rows = (np.arange(n * c) * length).reshape(n, c, 1)
            indices = np.concatenate([(rows + index[:, None, :]).reshape(-1) for index, _ in taps])
            weights = np.concatenate([(g if w is None else g * w[:, None, :]).reshape(-1) for _, w in taps])
            summed = np.bincount(indices, weights, minlength=n * c * length).reshape(n, c, length)
            grad_input = summed[:, :, :self.shape[2] * self.shape[3]].reshape(self.shape).astype(self.dtypes[0])
        if self.needs_input_grad[1]:
            grad_grid = np.zeros(self.grid_shape, self.dtypes[1])
            if self.mode != "nearest":  # nearest is piecewise constant in the grid: zero gradient
                gx = np.zeros(g.shape[::2], planes.dtype)
                gy = np.zeros_like(gx)
                for (index, _), dx, dy in zip(taps, self.dx, self.dy):
                    # sum over channels of grad * value at this tap, for every output point
                    along = np.einsum("ncp,ncp->np", g, np.take_along_axis(planes, index[:, None, :], axis=2))
                    gx += along * dx
                    gy += along * dy
                grad_grid[..., 0] = gx.reshape(self.grid_shape[:3])
                grad_grid[..., 1] = gy.reshape(self.grid_shape[:3])
        return grad_input, grad_grid

    def _contributions_in_torch_order(self, g):
        """(pixel indices (N, P, taps), contributions (N, C, P, taps)) to the input's gradient, the taps of each
        point in PyTorch's order and each contribution rounded as its kernel's: bilinear's corners weight * grad,
        bicubic's 16 taps column by column, (grad * x weight) * y weight."""
        if self.mode != "bicubic":
            taps = self.taps
            return (np.stack([index for index, _ in taps], axis=-1),
                    np.stack([g if w is None else g * w[:, None, :] for _, w in taps], axis=-1))
        (tx, _), (ty, _) = self.local
        cx, cy = _cubic_coefficients(tx)[0], _cubic_coefficients(ty)[0]
        order = [(i, j) for i in range(4) for j in range(4)]
        return (np.stack([self.taps[4 * j + i][0] for i, j in order], axis=-1),
                np.stack([g * cx[i][:, None, :] * cy[j][:, None, :] for i, j in order], axis=-1))

    def backward_graph(self, grad):
        # backward with the taps' weights and their derivatives as functions of the grid in the graph (their
        # values those of forward); the tap positions are piecewise constant in the grid: constants
        weights = derivatives = None
        if self.mode == "bicubic":
            (tx, mult_x), (ty, mult_y) = self.local
            offset_x, offset_y = _grid_offsets(self, grad)
            cx, dcx = _cubic_coefficients(_constant(grad, tx) + offset_x * mult_x)
            cy, dcy = _cubic_coefficients(_constant(grad, ty) + offset_y * mult_y)
            weights = [cy[j] * cx[i] for j in range(4) for i in range(4)]
            derivatives = [(cy[j] * dcx[i] * mult_x, dcy[j] * cx[i] * mult_y) for j in range(4) for i in range(4)]
        elif self.mode != "nearest":
            (east, west, mult_x), (south, north, mult_y) = self.local
            offset_x, offset_y = _grid_offsets(self, grad)
            mult_x, mult_y = _constant(grad, mult_x), _constant(grad, mult_y)
            east, west = _constant(grad, east) + mult_x * offset_x, _constant(grad, west) - mult_x * offset_x
            south, north = _constant(grad, south) + mult_y * offset_y, _constant(grad, north) - mult_y * offset_y
            weights = [north * west, north * east, south * west, south * east]
            derivatives = [(-north * mult_x, -west * mult_y), (north * mult_x, -east * mult_y),
                           (-south * mult_x, west * mult_y), (south * mult_x, east * mult_y)]
        return _taps_backward_graph(self, grad, weights, derivatives)


def _constant(grad, array):
    """``array`` as a constant of the graph, in the gradient's dtype."""
    return grad._wrap(np.asarray(array, grad._data.dtype))


def _grid_offsets(node, grad):
    """For each grid coordinate (x, y(, z)), a graph tensor (N, P) of zeros whose derivative with respect to the
    grid is 1: a weight formed as (its forward value) + (its derivative) * offset is exact and differentiable."""
    from ..._ops.shape import Where

    grid = node.graph_input(1, node.grid)
    offset = (grid - grid.detach()).to(grad.dtype)
    outside = ~np.isfinite(node.grid)
    if outside.any():  # inf - inf: a non-finite point's offset is 0 too (its taps are fixed, its weights too)
        offset = Where.apply(_constant(grad, 0), offset, condition=outside)
    n, k = node.grid_shape[0], node.grid_shape[-1]
    return [offset[..., axis].reshape(n, -1) for axis in range(k)]


def _taps_backward_graph(node, grad, weights, derivatives, lost=None):
    """GridSampler2D/3D's input and grid gradients as tensors of the graph: a scatter-add of the gradient times each
    tap's weight (graph tensors (N, P), or None for nearest) and, for the grid, the sampled values times the weights'
    derivatives along each coordinate."""
    from ..._functions import cat, stack
    from ..._ops.indexing import Index, Scatter
    from ..._ops.shape import Where

    n, c = node.shape[:2]
    length, points = int(np.prod(node.shape[2:])), int(np.prod(node.grid_shape[1:-1]))
    g = grad.reshape(n, c, points)
    if lost is not None:
        g = Where.apply(_constant(grad, 0), g, condition=lost[:, None, :])
    batch, channel = np.arange(n)[:, None, None], np.arange(c)[None, :, None]
    grad_input = grad_grid = None
    if node.needs_input_grad[0]:
        shares = [g if w is None else g * w.unsqueeze(1) for w in (weights or [None])]
        index = np.concatenate([i for i, _ in node.taps], axis=-1)
        zeros = _constant(grad, np.zeros((n, c, length + 1)))
        summed = Scatter.apply(zeros, cat(shares, dim=2), key=(batch, channel, index[:, None, :]), add=True)
        # (the slice drops the zero pixel; contiguous, as PyTorch's kernel writes its gradient)
        grad_input = summed[:, :, :length].reshape(node.shape).contiguous()
    if node.needs_input_grad[1]:
        if derivatives is None:  # nearest: piecewise constant in the grid, zeros (recorded, as PyTorch's, whose
            # own derivative with respect to the grid is zeros too)
            grad_grid = Where.apply(_constant(grad, 0), grad.sum(), condition=np.ones(node.grid_shape, bool))
            grad_grid = with_zero_derivative_of(grad_grid, node.graph_input(1, node.grid), node.name())
        else:
            # (the image's gradient through this read C-ordered, as PyTorch's, not the padded planes' slice)
            image = node.graph_input(0, node.input)
            image = with_gradient_strides(image,
                                          _memory_format.strides_for(node.shape, _memory_format.contiguous_format))
            image = image.to(grad.dtype).reshape(n, c, length)
            image = cat([image, _constant(grad, np.zeros((n, c, 1)))], dim=2)  # the zero pixel outside taps read
            totals = [None] * node.grid_shape[-1]
            for (index, _), along_axes in zip(node.taps, derivatives):
                along = (g * Index.apply(image, key=(batch, channel, index[:, None, :]))).sum(1)
                totals = [along * d if t is None else t + along * d for t, d in zip(totals, along_axes)]
            grad_grid = stack(totals, dim=-1).reshape(node.grid_shape)
    return grad_input, grad_grid


def _weighted_taps(planes, taps):
    """sum over taps (index, weight or None) of planes (N, C, L) read at index (N, P), times weight (N, P)."""
    out = None
    for index, weight in taps:
        values = np.take_along_axis(planes, index[:, None, :], axis=2)
        if weight is not None:
            values *= weight[:, None, :]
        out = values if out is None else out.__iadd__(values)
    return out


def _added_in_half(g, indices, contributions, length):
    """The float16 input gradient (N, C, length) PyTorch's 2-D kernel accumulates: the ``contributions``
    (N, C, P, taps) at pixels ``indices`` (N, P, taps) added one by one, point after point, rounding after each
    addition (np.add.at adds in that order, in float16)."""
    n, c = g.shape[:2]
    rows = (np.arange(n * c) * length).reshape(n, c, 1, 1)
    summed = np.zeros(n * c * length, np.float16)
    np.add.at(summed, (rows + indices[:, None]).reshape(-1), contributions.reshape(-1))
    return summed.reshape(n, c, length)


def _separable_cubic(planes, taps, cx, cy):
    """The bicubic sum of the 16 ``taps`` (row by row) as PyTorch's kernel adds it: each row interpolated along x
    with the weights ``cx``, then the 4 rows along y with ``cy`` (every product and sum rounded to the planes'
    type, which float16 shows)."""
    out = None
    for j, weight in enumerate(cy):
        row = _weighted_taps(planes, [(index, cx[i]) for i, (index, _) in enumerate(taps[4 * j:4 * j + 4])])
        row *= weight[:, None, :]
        out = row if out is None else out.__iadd__(row)
    return out


def _source_index_3d(coord, size, padding_mode, align_corners):
    """_source_index as PyTorch's 3-D CPU kernel computes it, scalar code with its own edge cases: NaN clamps to
    the last voxel (std::min/std::max, not fmin/fmax), and reflection counts its flips in a C int (a coordinate
    past 2**31 spans counts as an even number of flips).

    Returns the pixel coordinate, d(pixel)/d(grid), and where the backward loses the point: its recomputed
    coordinate is NaN there, which reads no voxel, so neither input nor grid gets a gradient from it.
    """
    dtype = coord.dtype
    one, two = np.asarray(1, dtype), np.asarray(2, dtype)
    if align_corners:
        pixel = (coord + one) / two * np.asarray(size - 1, dtype)
    else:
        pixel = ((coord + one) * np.asarray(size, dtype) - one) / two
    mult = np.full(coord.shape, (size - 1) / 2 if align_corners else size / 2, dtype)
    if padding_mode == "reflection":
        twice_low, twice_high = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        if twice_low == twice_high:
            pixel, sign = np.zeros_like(pixel), np.zeros_like(pixel)
        else:
            low, span = np.asarray(twice_low / 2, dtype), np.asarray((twice_high - twice_low) / 2, dtype)
            shifted = pixel - low
            magnitude = np.abs(shifted)
            extra = np.fmod(magnitude, span)
            flips = np.floor(magnitude / span)
            even = ~(flips < 2 ** 31) | (np.fmod(flips, 2) == 0)  # int overflow (and NaN) gives INT_MIN: even
            pixel = np.where(even, extra + low, span - extra + low)
            sign = np.where(shifted < 0, -1, 1) * np.where(even, 1, -1)
        mult *= sign.astype(dtype)
    lost = np.isnan(pixel) if padding_mode != "zeros" else np.zeros(pixel.shape, bool)
    if padding_mode != "zeros":
        mult *= (pixel > 0) & (pixel < size - 1)  # the clamped borders count as outside: no gradient there
        pixel = np.where(pixel < 0, np.asarray(0, dtype), pixel)
        pixel = np.where(pixel < size - 1, pixel, np.asarray(size - 1, dtype))  # NaN -> size - 1
    return pixel, mult, lost


def _flat_index_3d(px, py, pz, depth, height, width):
    """As _flat_index, in a (D, H, W) volume: (z * H + y) * W + x, or D * H * W (the zero voxel) outside."""
    inside = (px >= 0) & (px < width) & (py >= 0) & (py < height) & (pz >= 0) & (pz < depth)  # False for NaN
    px, py, pz = (np.where(inside, p, 0).astype(np.int64) for p in (px, py, pz))
    index = (pz * height + py) * width + px
    index[~inside] = depth * height * width
    return index


class GridSampler3D(_GridSampler):
    """Trilinear ('bilinear') or nearest sampling of (N, C, D, H, W) volumes at grid points (N, D', H', W', 3):
    output[n, c, p] = sum over taps k of weight_k[n, p] * input[n, c, index_k[n, p]], as in GridSampler2D."""

    saved = ("planes", "taps", "dx", "dy", "dz", "lost", "input", "grid", "local")

    def _sample(self, input, grid, mode, padding_mode, align_corners):
        # PyTorch's scalar 3-D kernel computes in the input's own type, float16 included (every step rounded to
        # it), which decides the nearest voxel and the floor near boundaries.
        dtype = input.dtype
        n, c, depth, height, width = input.shape
        out_dhw = grid.shape[1:4]
        points = grid.astype(dtype, copy=False).reshape(n, int(np.prod(out_dhw)), 3)
        planes = input.astype(dtype, copy=False).reshape(n, c, depth * height * width)
        planes = np.concatenate([planes, np.zeros((n, c, 1), dtype)], axis=2)  # the zero voxel
        self.mode, self.dtypes, self.shape, self.grid_shape = mode, (input.dtype, grid.dtype), input.shape, grid.shape
        (x, mult_x, lost_x), (y, mult_y, lost_y), (z, mult_z, lost_z) = (
            _source_index_3d(points[..., k], size, padding_mode, align_corners)
            for k, size in enumerate((width, height, depth)))
        self.lost = lost_x | lost_y | lost_z
        self.lost = self.lost if self.lost.any() else None
        outside = depth * height * width
        if mode == "nearest":
            taps = [(_flat_index_3d(np.rint(x), np.rint(y), np.rint(z), depth, height, width), None)]
            self.dx = self.dy = self.dz = None
        else:
            x0, y0, z0 = np.floor(x), np.floor(y), np.floor(z)
            # The weight of the low and the high neighbour along each axis, formed as PyTorch's kernel does
            # (distances to the opposite neighbour), so that the products round alike.
            wx, wy, wz = ((low + 1 - t, t - low) for t, low in ((x, x0), (y, y0), (z, z0)))
            taps, self.dx, self.dy, self.dz = [], [], [], []
            self.local = ([(wx[0], wx[1], mult_x), (wy[0], wy[1], mult_y), (wz[0], wz[1], mult_z)], [])
            for k in range(2):
                for j in range(2):
                    for i in range(2):
                        index = _flat_index_3d(x0 + i, y0 + j, z0 + k, depth, height, width)
                        # A tap outside is skipped, not weighed: a non-finite weight must not reach the output
                        # or the grid's gradient.
                        inside = index != outside
                        self.local[1].append(inside)
                        taps.append((index, np.where(inside, wx[i] * wy[j] * wz[k], 0)))
                        # d(weight)/d(coordinate) along each axis: the other axes' weights, signed by the side
                        self.dx.append(np.where(inside, (1 if i else -1) * wy[j] * wz[k] * mult_x, 0))
                        self.dy.append(np.where(inside, (1 if j else -1) * wx[i] * wz[k] * mult_y, 0))
                        self.dz.append(np.where(inside, (1 if k else -1) * wx[i] * wy[j] * mult_z, 0))
        out = _weighted_taps(planes, taps)
        self.planes, self.taps = planes, taps
        return out.reshape((n, c) + tuple(out_dhw)).astype(input.dtype, copy=False)

    jvp = forward_ad.unsupported_jvp  # (PyTorch has no forward AD formula for it)

    def forward_ad_name(self):
        return "grid_sampler_3d"

    def backward(self, grad):
        n, c = self.shape[:2]
        planes, taps = self.planes, self.taps
        length = planes.shape[2]
        points = int(np.prod(self.grid_shape[1:4]))
        g = grad.reshape(n, c, points).astype(planes.dtype, copy=False)
        if self.lost is not None:
            g = np.where(self.lost[:, None, :], 0, g)
        grad_input = grad_grid = None
        if self.needs_input_grad[0]:
            rows = (np.arange(n * c) * length).reshape(n, c, 1)
            indices = np.concatenate([(rows + index[:, None, :]).reshape(-1) for index, _ in taps])
            weights = np.concatenate([(g if w is None else g * w[:, None, :]).reshape(-1) for _, w in taps])
            summed = np.bincount(indices, weights, minlength=n * c * length).reshape(n, c, length)
            grad_input = summed[:, :, :length - 1].reshape(self.shape).astype(self.dtypes[0])
        if self.needs_input_grad[1]:
            grad_grid = np.zeros(self.grid_shape, self.dtypes[1])
            if self.mode != "nearest":  # piecewise constant in the grid: zero gradient
                sums = [np.zeros((n, points), planes.dtype) for _ in range(3)]
                for (index, _), *derivatives in zip(taps, self.dx, self.dy, self.dz):
                    along = np.einsum("ncp,ncp->np", g, np.take_along_axis(planes, index[:, None, :], axis=2))
                    for total, derivative in zip(sums, derivatives):
                        total += along * derivative
                for k, total in enumerate(sums):
                    grad_grid[..., k] = total.reshape(self.grid_shape[:4])
        return grad_input, grad_grid

    def backward_graph(self, grad):  # as GridSampler2D's, with the trilinear weights
        from ..._ops.shape import Where

        weights = derivatives = None
        if self.mode != "nearest":
            axes, insides = self.local
            sides, mults = [], []  # per axis: (low weight, high weight) as graph tensors, and d(pixel)/d(grid)
            for (low, high, mult), offset in zip(axes, _grid_offsets(self, grad)):
                mult = _constant(grad, mult)
                sides.append((_constant(grad, low) - mult * offset, _constant(grad, high) + mult * offset))
                mults.append(mult)
            zero = _constant(grad, 0)
            masked = lambda value, inside: Where.apply(value, zero, condition=inside)  # noqa: E731
            weights, derivatives, tap = [], [], 0
            for k in range(2):
                for j in range(2):
                    for i in range(2):
                        (wx, wy, wz), inside = (side[s] for side, s in zip(sides, (i, j, k))), insides[tap]
                        weights.append(masked(wx * wy * wz, inside))
                        derivatives.append(tuple(masked(d * m if s else -d * m, inside) for d, m, s in (
                            (wy * wz, mults[0], i), (wx * wz, mults[1], j), (wx * wy, mults[2], k))))
                        tap += 1
        return _taps_backward_graph(self, grad, weights, derivatives, lost=self.lost)


def _check_tensors(input, grid):
    for name, value, position in (("input", input, 1), ("grid", grid, 2)):
        if not isinstance(value, Tensor):
            raise TypeError(f"grid_sampler(): argument '{name}' (position {position}) must be Tensor, not "
                            f"{_tp_name(value)}")


def _check_grid_sampler(input, grid, mode):
    """PyTorch's checks of grid_sampler, in its order."""
    _check_tensors(input, grid)
    for value in (input, grid):
        if value.dim() == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but got "
                           f"grid with sizes {list(grid.shape)}")
    for axis in range(2, input.dim()):
        if input.shape[axis] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {axis} being empty")
    expected = 4 if input.dim() == 4 else 5
    if input.dim() != expected or grid.dim() != expected:
        raise RuntimeError(f"grid_sampler(): expected {expected}D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if expected == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


def _check_dtypes(input, grid):
    """PyTorch's kernel is chosen by the input's dtype (floating ones only), then reads the grid as that type;
    with no output element, the 2-D one returns before choosing, the 3-D one before reading the grid.

    Returns whether the dtypes are ones the kernel was spared (the output is then empty, of the input's dtype).
    """
    empty = input.shape[0] * input.shape[1] * math.prod(grid.shape[1:-1]) == 0
    usable = input.is_floating_point() and input.dtype == grid.dtype
    if empty and (input.dim() == 4 or input.is_floating_point()):
        return not usable
    if not input.is_floating_point():
        kernel = "grid_sampler_2d_cpu_kernel_impl" if input.dim() == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {grid.dtype.scalar_name}")
    return False


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    r"""Sample ``input`` at the pixel locations given, normalised to [-1, 1], by ``grid``.

    ``grid[n, h, w] = (x, y)`` addresses ``input[n, :]``: x = -1 is the left side, x = 1 the right side,
    y = -1 the top, y = 1 the bottom (the centres of the corner pixels with ``align_corners=True``, their
    outer edges otherwise), and ``output[n, :, h, w]`` interpolates ``input[n, :]`` there.

    Args:
        input (Tensor): :math:`(N, C, H_{in}, W_{in})`, or a volume :math:`(N, C, D_{in}, H_{in}, W_{in})`.
        grid (Tensor): :math:`(N, H_{out}, W_{out}, 2)`, or :math:`(N, D_{out}, H_{out}, W_{out}, 3)` with
            ``(x, y, z)`` points for a volume; the same dtype as ``input``.
        mode (str): ``'bilinear'`` (trilinear for a volume) | ``'nearest'`` | ``'bicubic'`` (cubic convolution,
            :math:`\alpha = -0.75`; images only). Default: ``'bilinear'``.
        padding_mode (str): what out-of-image locations read: ``'zeros'`` (0), ``'border'`` (the nearest
            border pixel), ``'reflection'`` (the image reflected by its borders, repeatedly). Default: ``'zeros'``.
        align_corners (bool, optional): whether -1 and 1 are the centres of the corner pixels (``True``) or
            the image's corners (``False``). Default: ``False`` (with a warning when not given).

    Shape:
        - Output: :math:`(N, C, H_{out}, W_{out})` (:math:`(N, C, D_{out}, H_{out}, W_{out})`), with pixel coordinate
          :math:`i_x = (x + 1)(W_{in} - 1) / 2` if ``align_corners`` else :math:`((x + 1) W_{in} - 1) / 2`.

    Gradients flow to ``input`` and ``grid`` (zero for the grid in ``'nearest'`` mode).
    """
    input, grid = autocast_cast("float32", input, grid)
    if mode != "bilinear" and mode != "nearest" and mode != "bicubic":
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode != "zeros" and padding_mode != "border" and padding_mode != "reflection":
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_DEFAULT_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    _check_tensors(input, grid)  # the parser reads its arguments in order
    if not isinstance(align_corners, bool):  # PyTorch's parser refuses NumPy bools too
        raise TypeError(f"grid_sampler(): argument 'align_corners' (position 5) must be bool, not "
                        f"{_tp_name(align_corners)}")
    _check_grid_sampler(input, grid, mode)
    if _check_dtypes(input, grid):
        out = np.empty(tuple(input.shape[:2]) + tuple(grid.shape[1:-1]), input._data.dtype)
        return Tensor._wrap(out if out.size else _memory_format.with_c_strides(out))
    sampler = GridSampler2D if input.dim() == 4 else GridSampler3D
    out = sampler.apply(input, grid, mode=mode, padding_mode=padding_mode, align_corners=bool(align_corners))
    if not out._data.size:  # (NumPy leaves an empty array all-zero strides, PyTorch allocates it contiguous)
        out._data = _memory_format.with_c_strides(out._data)
    return out
