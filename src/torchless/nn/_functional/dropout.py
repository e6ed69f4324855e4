"""Dropout: zeroing elements (or whole channels) at random in training, scaled to keep the mean; alpha dropout,
setting them to SELU's negative saturation value instead, scaled and shifted to keep mean and variance.

Masks come from the default generator, so ``torchless.manual_seed`` makes them reproducible. The
masked product is the core's multiplication (PyTorch's node is MulBackward0 too).
"""
import math
import warnings

import numpy as np

from ..._tensor import Tensor
from ...random import draw_like, stream, vmap_randomness
from ._args import _tp_name, check_tensor, is_float_arg

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _native_arguments(name, input, p, training, inplace):
    """The parsing of the native function F's dropouts end in (``name``, or ``name_`` in place), which takes
    (input, float p, bool train) by position: ``p`` as a float (a 0-d tensor not requiring grad will do), then the
    native range check, which a NaN that passed Python's comparisons fails even out of training."""
    fn = f"{name}_" if inplace else name
    check_tensor(input, fn)
    if not is_float_arg(p):
        raise TypeError(f"{fn}(): argument 'p' (position 2) must be float, not {_tp_name(p)}")
    if not isinstance(training, bool):
        raise TypeError(f"{fn}(): argument 'train' (position 3) must be bool, not {_tp_name(training)}")
    p = float(p)
    if not 0 <= p <= 1:
        # printed by C++'s operator<< (six significant digits: 2, 1.5, 1e+10, nan)
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p:g}")
    return p


def _keep_mask(shape, p, like=None):
    """Bernoulli(1 - p) draws of ``shape``, PyTorch's: an element is kept where a float64 uniform is below 1 - p
    (the default generator's stream, as ``bernoulli_(1 - p)`` draws it). A mask of one draw per element is
    ``empty_like(input)`` in PyTorch, drawn in the memory order of the input array ``like``."""
    if like is not None:
        return draw_like(like, lambda drawn_shape: stream().bernoulli(drawn_shape, 1 - p))
    return stream().bernoulli(shape, 1 - p)


def _scaled_mask(shape, p, dtype, like=None):
    """1 / (1 - p) where an element is kept (probability 1 - p), 0 where it is dropped."""
    mask = _keep_mask(shape, p, like).astype(dtype)
    mask *= np.asarray(1 / (1 - p), dtype)
    return mask


def _dropout_impl(input, p, training, inplace, leading=None, alpha=False):
    """PyTorch's _dropout_impl. ``leading``: feature dropout, one draw per entry of the first ``leading`` axes,
    shared along the others (None: one draw per element); ``alpha``: alpha dropout.

    Without training, p or elements the input comes back as is, and p == 1 multiplies it by a zero of its own
    dtype: both before the rank and dtype checks, so an integer or 1-D input passes there.
    """
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        zero = Tensor._wrap(np.zeros((), input._data.dtype))
        return input.mul_(zero) if inplace else input * zero
    shape = input._data.shape
    if leading is not None:
        if len(shape) < leading:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = shape[:leading] + (1,) * (len(shape) - leading)
    if alpha:
        return _alpha_dropout(input, p, inplace, shape, input._data if leading is None else None)
    if not input.is_floating_point():
        input._no_kernel_for("c", "bernoulli_scalar_cpu_")  # (the mask is drawn in the input's dtype)
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype.scalar_name}")
    mask = Tensor._wrap(_scaled_mask(shape, p, input._data.dtype, input._data if leading is None else None))
    result = input.mul_(mask) if inplace else input * mask
    if vmap_randomness and result._grad_fn is not None:  # (PyTorch's mask, drawn for the whole batch at once, has
        result._grad_fn.__dict__["_drawn_operand"] = True  # the batch in front: so has the input's gradient)
    return result


def dropout(input, p=0.5, training=True, inplace=False):
    """Randomly zeroes elements of the input with probability ``p`` during training.

    The kept elements are scaled by 1 / (1 - p), so that the expected value is unchanged. See
    :class:`~torchless.nn.Dropout`.

    Args:
        input (Tensor): the input
        p (float): probability of an element being zeroed. Default: ``0.5``
        training (bool): apply dropout if ``True``; otherwise return the input unchanged. Default: ``True``
        inplace (bool): do the operation in place. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> F.dropout(torch.ones(2, 4), p=0.5).shape
        torchless.Size([2, 4])
        >>> F.dropout(torch.ones(3), training=False)
        tensor([1., 1., 1.])
    """
    _check_p(p)
    p = _native_arguments("dropout", input, p, training, inplace)
    return _dropout_impl(input, p, training, inplace)


def _warn_rank_deprecated(ndim, spatial):
    """PyTorch's deprecation warning of dropout2d / dropout3d (``spatial`` 2 or 3) for an input of another rank than
    spatial + 1 or spatial + 2, attributed to their caller."""
    name = f"dropout{spatial}d"
    warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in an error in a "
                  "future release. To retain the behavior and silence this warning, please use dropout instead. Note "
                  f"that {name} exists to provide channel-wise dropout on inputs with {spatial} spatial dimensions, a "
                  "channel dimension, and an optional batch dimension (i.e. "
                  f"{spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Randomly zeroes whole channels (the input[n, c] feature maps) with probability ``p`` during training.

    The kept channels are scaled by 1 / (1 - p). See :class:`~torchless.nn.Dropout2d`.

    Args:
        input (Tensor): the input
        p (float): probability of a channel being zeroed. Default: ``0.5``
        training (bool): apply dropout if ``True``; otherwise return the input unchanged. Default: ``True``
        inplace (bool): do the operation in place. Default: ``False``

    Shape:
        - Input: (N, C, H, W) or (C, H, W)
        - Output: same shape as the input

    Examples::

        >>> F.dropout2d(torch.ones(2, 3, 4, 4), p=0.5).shape
        torchless.Size([2, 3, 4, 4])
    """
    _check_p(p)
    ndim = input.dim()  # Python in PyTorch: a non-tensor fails here, with an AttributeError
    if ndim not in (3, 4):
        _warn_rank_deprecated(ndim, 2)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=2)
    p = _native_arguments("feature_dropout", input, p, training, inplace)
    return _dropout_impl(input, p, training, inplace, 2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero entire channels of (N, C, D, H, W) or unbatched (C, D, H, W) input with probability p, scaling the
    rest by 1 / (1 - p).

    Other ranks are taken as unbatched, with PyTorch's deprecation warning.
    """
    _check_p(p)
    ndim = input.dim()  # PyTorch's dropout3d is Python: a non-tensor fails here, with an AttributeError
    if ndim not in (4, 5):
        _warn_rank_deprecated(ndim, 3)
    p = _native_arguments("feature_dropout", input, p, training, inplace)
    if ndim == 5:
        return _dropout_impl(input, p, training, inplace, 2)
    return _unbatched_feature_dropout(input, p, training, inplace)


def _unbatched_feature_dropout(input, p, training, inplace):
    """dropout1d / dropout3d of an unbatched input, as PyTorch's: it masks the input with a batch axis, a view
    (in place: the input itself, unsqueezed and squeezed back in place, so a leaf that requires grad is refused
    and the result's grad_fn is SqueezeBackward4)."""
    if not inplace:
        return _dropout_impl(input.unsqueeze(0), p, training, False, 2).squeeze(0)
    input.unsqueeze_(0)
    return _dropout_impl(input, p, training, True, 2).squeeze_(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Randomly zeroes whole channels (the input[n, c] feature maps) with probability ``p`` during training.

    The kept channels are scaled by 1 / (1 - p). See :class:`~torchless.nn.Dropout1d`.

    Args:
        input (Tensor): the input
        p (float): probability of a channel being zeroed. Default: ``0.5``
        training (bool): apply dropout if ``True``; otherwise return the input unchanged. Default: ``True``
        inplace (bool): do the operation in place. Default: ``False``

    Shape:
        - Input: (N, C, L) or (C, L)
        - Output: same shape as the input

    Examples::

        >>> F.dropout1d(torch.ones(2, 3, 4), p=0.5).shape
        torchless.Size([2, 3, 4])
    """
    _check_p(p)
    ndim = input.dim()  # Python in PyTorch: a non-tensor fails here, with an AttributeError
    if ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    p = _native_arguments("feature_dropout", input, p, training, inplace)
    if ndim == 2:
        return _unbatched_feature_dropout(input, p, training, inplace)
    return _dropout_impl(input, p, training, inplace, 2)  # one draw per channel


_SELU_ALPHA = 1.7580993408473766  # -SELU's saturation value, scale * alpha


def _alpha_dropout(input, p, inplace, mask_shape, like=None):
    """Dropped elements become -alpha', then everything is mapped by x -> a x + b, which keeps zero mean and unit
    variance for standardised input: a = 1 / sqrt((alpha'^2 p + 1)(1 - p)), b = -a alpha' (1 - keep) + a alpha' p."""
    dtype = input._data.dtype
    input._no_kernel_for("c", "bernoulli_scalar_cpu_")  # (the noise is drawn in the input's dtype, before any use)
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    keep = _keep_mask(mask_shape, p, like).astype(dtype)
    shift = (keep - 1) * np.asarray(_SELU_ALPHA * a, dtype) + np.asarray(_SELU_ALPHA * a * p, dtype)
    keep *= np.asarray(a, dtype)
    if not input.is_floating_point():
        # PyTorch's failing product is of the shifted noise, noise - 1, which a bool input's noise promotes to int64
        name = "Long" if input.dtype.name == "bool" else input.dtype.scalar_name
        raise RuntimeError(f"result type Float can't be cast to the desired output type {name}")
    scaled = input.mul_(Tensor._wrap(keep)) if inplace else input * Tensor._wrap(keep)
    return scaled.add_(Tensor._wrap(shift.astype(dtype, copy=False)))


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout (for SELU networks): in training, each element is set with probability p to SELU's negative
    saturation value, then all are scaled and shifted to keep zero mean and unit variance.

    Note the default ``training=False``, as in PyTorch. Shape: any; the output has the input's shape.
    """
    _check_p(p)
    p = _native_arguments("alpha_dropout", input, p, training, inplace)
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Applies alpha dropout to whole channels: see :class:`~torchless.nn.FeatureAlphaDropout`.

    A dropped channel is set to SELU's negative saturation value; then all values are scaled and shifted to keep
    zero mean and unit variance. Unlike the other dropouts, ``training`` defaults to ``False``.

    Args:
        input (Tensor): the input, of shape (N, C, *) or (C, *)
        p (float): probability of a channel being dropped. Default: ``0.5``
        training (bool): apply the dropout if ``True``. Default: ``False``
        inplace (bool): do the operation in place. Default: ``False``

    Shape:
        - Input: (N, C, *) or (C, *)
        - Output: same shape as the input

    Examples::

        >>> F.feature_alpha_dropout(torch.ones(2, 3, 4), 0.2, training=True).shape
        torchless.Size([2, 3, 4])
    """
    _check_p(p)
    p = _native_arguments("feature_alpha_dropout", input, p, training, inplace)
    return _dropout_impl(input, p, training, inplace, 2, alpha=True)
