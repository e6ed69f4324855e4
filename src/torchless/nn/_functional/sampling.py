"""Resizing and encoding: interpolate (nearest, linear, bilinear), one_hot."""
import math

import numpy as np

from ..._ops import indexing
from ..._tensor import Tensor
from ...autograd.function import Function

__all__ = ["interpolate", "one_hot"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of a batch, (N, C, L) or (N, C, H, W), to ``size`` or by ``scale_factor``.

    ``mode='nearest'``: output pixel i takes input pixel floor(i * scale), the scale being in / out
    (1 / scale_factor when that is given, unless ``recompute_scale_factor``). ``'linear'`` (3-D input) and
    ``'bilinear'`` (4-D) weigh the two nearest input pixels of the source position (i + 0.5) * scale - 0.5
    (``align_corners``: i * (in - 1) / (out - 1), the corner pixels' centres aligned), as PyTorch does.
    Shape: (N, C, *in) -> (N, C, *size) with size_i = floor(in_i * scale_factor_i).
    """
    spatial = input.ndim - 2
    linear = {1: "linear", 2: "bilinear"}.get(spatial)
    needs = {"linear": 3, "bilinear": 4, "trilinear": 5}.get(mode)
    if needs and spatial in (1, 2, 3) and input.ndim != needs:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {needs}D input")
    if spatial not in (1, 2) or mode not in ("nearest", linear) or antialias:
        if spatial in (1, 2, 3) and mode in _MODES.split(" | "):
            raise NotImplementedError(f"torchless implements interpolate only for mode='nearest' on 3D and 4D "
                                      f"input, 'linear' on 3D and 'bilinear' on 4D, without antialias (got {mode} on "
                                      f"{input.ndim}D)")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: {_MODES} (got {mode})")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None else
                         "either size or scale_factor should be defined")
    in_sizes = input.shape[2:]
    if size is not None:
        size = tuple(size) if isinstance(size, (tuple, list)) else (size,) * spatial
        if len(size) != spatial:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(in_sizes)} and output size of {size}. Please provide input "
                             "tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        scales = [n / out for n, out in zip(in_sizes, size)]
    else:
        factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * spatial
        size = tuple(math.floor(n * f) for n, f in zip(in_sizes, factors))
        scales = [n / out if recompute_scale_factor else 1 / f for n, out, f in zip(in_sizes, size, factors)]
    if mode != "nearest":
        weights = [_linear_weights(n, out, scale, bool(align_corners), input._data.dtype)
                   for n, out, scale in zip(in_sizes, size, scales)]
        return Resample.apply(input, weights=weights, name=f"Upsample{linear.capitalize()}{spatial}DBackward0")
    # one index vector per spatial dim, shaped to broadcast against the others
    key = tuple(np.minimum(np.floor(np.arange(out) * scale).astype(np.intp), n - 1).reshape(
        (-1,) + (1,) * (spatial - 1 - i)) for i, (out, scale, n) in enumerate(zip(size, scales, in_sizes)))
    return indexing.Index.apply(input, key=(slice(None), slice(None)) + key, name=f"UpsampleNearest{spatial}DBackward0")


def _linear_weights(size, out, scale, align_corners, dtype):
    """The (out, size) matrix of linear interpolation along one dim: row i weighs the two input pixels around
    its source position, as PyTorch's area_pixel_compute_source_index places it."""
    i = np.arange(out)
    if align_corners:
        source = i * ((size - 1) / (out - 1) if out > 1 else 0.0)
    else:
        source = np.maximum((i + 0.5) * scale - 0.5, 0.0)
    first = np.minimum(np.floor(source).astype(np.intp), size - 1)
    second = np.minimum(first + 1, size - 1)
    weight = (source - first).astype(dtype)
    matrix = np.zeros((out, size), dtype)
    np.add.at(matrix, (i, first), 1 - weight)  # first == second at the last pixel: both weights add up there
    np.add.at(matrix, (i, second), weight)
    return matrix


class Resample(Function):
    """y = A_h x A_w^T per plane (A_w x for a 1-D signal): separable linear resampling by fixed matrices."""

    def forward(self, x, weights=None, name=None):
        self.weights, self._name = weights, name
        return _apply_along_spatial_dims(x, weights, transpose=False)

    def backward(self, grad):
        return (_apply_along_spatial_dims(grad, self.weights, transpose=True),)

    def name(self):
        return self._name


def _apply_along_spatial_dims(x, matrices, transpose):
    """x (N, C, *spatial) with each spatial dim d multiplied by matrices[d] (its transpose for the adjoint)."""
    out = x
    for axis, matrix in enumerate(matrices, start=2):
        operator = matrix.T if transpose else matrix
        out = np.moveaxis(np.tensordot(operator, out, axes=([1], [axis])), 0, axis)
    return np.ascontiguousarray(out)


def one_hot(tensor, num_classes=-1):
    """int64 vectors with a 1 at each class index: (*) -> (*, num_classes) (num_classes=-1: max + 1)."""
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values = tensor._data
    if num_classes == -1:
        if not values.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(values.max()) + 1
    if values.size and values.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if values.size and values.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._wrap((values[..., None] == np.arange(num_classes)).astype(np.int64))
