"""Resizing and encoding: interpolate (nearest), one_hot."""
import math

import numpy as np

from ..._ops import indexing
from ..._tensor import Tensor

__all__ = ["interpolate", "one_hot"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of a batch, (N, C, L) or (N, C, H, W), to ``size`` or by ``scale_factor``.

    Only ``mode='nearest'`` is implemented: output pixel i takes input pixel floor(i * scale), the scale being
    in / out (1 / scale_factor when that is given, unless ``recompute_scale_factor``).
    Shape: (N, C, *in) -> (N, C, *size) with size_i = floor(in_i * scale_factor_i).
    """
    spatial = input.ndim - 2
    if mode != "nearest" or spatial not in (1, 2):
        if spatial in (1, 2, 3) and mode in _MODES.split(" | "):
            raise NotImplementedError(f"torchless implements interpolate only for mode='nearest' on 3D and 4D "
                                      f"input (got {mode} on {input.ndim}D)")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: {_MODES} (got {mode})")
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
    # one index vector per spatial dim, shaped to broadcast against the others
    key = tuple(np.minimum(np.floor(np.arange(out) * scale).astype(np.intp), n - 1).reshape(
        (-1,) + (1,) * (spatial - 1 - i)) for i, (out, scale, n) in enumerate(zip(size, scales, in_sizes)))
    return indexing.Index.apply(input, key=(slice(None), slice(None)) + key, name=f"UpsampleNearest{spatial}DBackward0")


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
