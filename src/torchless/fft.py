"""torchless.fft: PyTorch's discrete Fourier transforms (``torch.fft``) on NumPy's FFT.

Real inputs give complex64 (float32, integers, bool) or complex128 (float64) spectra, as in PyTorch; NumPy's
transforms run in complex128 and the results are cast back. ``n``/``s`` crop or zero-pad the input along the
transformed dims first; ``norm`` is "backward" (default: no scaling forward, 1/n inverse), "ortho" or "forward".

Gradients follow PyTorch's convention for complex tensors (the conjugate Wirtinger derivative): the gradient of
a transform is the adjoint transform of the incoming gradient, cropped or padded back to the input's size, its
real part for a real input.
"""
import numpy as np

from . import _dtype, _numpy_names, _parser_errors
from ._ops._util import normalize_dim
from ._ops.arithmetic import MulScalar
from ._ops.complex_ops import Conj
from .autograd.graph import Node

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
           "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = ("backward", "ortho", "forward")
# the normalization of the adjoint transform: an unscaled transform's adjoint is the unscaled inverse
_DUAL_NORM = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _resize(array, axes, lengths):
    """``array`` cropped or zero-padded at the end of each of ``axes`` to ``lengths``."""
    for axis, length in zip(axes, lengths):
        current = array.shape[axis]
        if current > length:
            array = np.take(array, np.arange(length), axis=axis)
        elif current < length:
            pad = [(0, 0)] * array.ndim
            pad[axis] = (0, length - current)
            array = np.pad(array, pad)
    return array


def _real_c2c(x, axes, norm, inverse, signed_zeros):
    """The full transform of a real ``x`` as PyTorch computes it: one-sided along the last axis, the other half
    filled in by conjugate symmetry, X[k] = conj(X[-k]) (so the self-conjugate terms have exact zero imaginary
    parts, as in PyTorch, where a full complex transform leaves rounding noise)."""
    if inverse:  # ifft(x) = conj(fft(x)) scaled as the inverse, for a real x
        half = np.conj(np.fft.rfftn(x, axes=axes, norm=_DUAL_NORM[norm]))
        if not signed_zeros:  # +0, as PyTorch's n-dimensional inverse gives (its ifft keeps the -0 of conj)
            half.imag[half.imag == 0] = 0
    else:
        half = np.fft.rfftn(x, axes=axes, norm=norm)
    last = axes[-1]
    length = x.shape[last]
    rest = length - half.shape[last]
    if rest <= 0:
        return half
    index = [slice(None)] * x.ndim
    index[last] = slice(length - half.shape[last], 0, -1)  # the terms n - k for k = n // 2 + 1, ..., n - 1
    mirror = np.conj(half[tuple(index)])
    for axis in axes[:-1]:  # -k along the other axes: index j holds the term n - j (mod n)
        mirror = np.roll(np.flip(mirror, axis), 1, axis)
    return np.concatenate([half, mirror], axis=last)


def _layout_order(input_strides, axes, keep_last):
    """The dims of a transform's result from outermost to innermost, as PyTorch's CPU transforms (MKL's) lay it
    out: the dims not transformed, by the input's strides (largest first; ties in dim order), then the transformed
    ``axes`` likewise (the last one kept last when ``keep_last``: a one-sided transform's)."""
    def by_stride(dims):
        return sorted(dims, key=lambda axis: -input_strides[axis])

    batch = by_stride(axis for axis in range(len(input_strides)) if axis not in axes)
    signal = by_stride(axes[:-1]) + list(axes[-1:]) if keep_last else by_stride(axes)
    return batch + signal


def _laid_out(out, order):
    """``out`` with the memory layout whose dims, outermost first, are ``order``."""
    if out.ndim < 2 or (order == sorted(order) and out.flags.c_contiguous):
        return out
    return np.ascontiguousarray(out.transpose(order)).transpose(np.argsort(order))


def _result_order(kind, x, axes):
    """The layout (see _layout_order) of the transform ``kind`` of ``x`` over ``axes``. A multi-dim inverse
    one-sided transform is, as in PyTorch, a complex transform over all but the last axis, then the one-sided one
    over the last, laid out by the first's result. (A real input's full transform over one axis is PyTorch's
    one-sided one filled in; over several, the complex transform of the input made complex: both "c2c" here.)"""
    if kind == "c2r" and len(axes) > 1:
        first = _layout_order(x.strides, axes[:-1], False)
        strides = [0] * x.ndim
        for position, axis in enumerate(first):
            strides[axis] = x.ndim - position  # (only their order counts)
        return _layout_order(strides, axes[-1:], True)
    return _layout_order(x.strides, axes, kind != "c2c")


class _Transform(Node):
    """A transform over ``axes`` of an input resized to ``lengths`` along them.

    ``kind``: "c2c" (complex to complex, ``inverse`` for the inverse transform), "r2c" (the one-sided transform
    of a real input) or "c2r" (its inverse: ``lengths`` are the output's, the input's last axis is resized to
    lengths[-1] // 2 + 1).
    """

    saved = ()
    complex_aware = True  # backward is the adjoint transform

    def forward(self, a, kind="c2c", axes=(), lengths=(), norm="backward", inverse=False, out_dtype=None,
                signed_zeros=False, real_source=False):
        """``real_source``: ``a`` is a real tensor cast to complex, transformed as the real one (see _real_c2c)."""
        self.kind, self.axes, self.lengths, self.norm, self.inverse = kind, axes, lengths, norm, inverse
        self.in_shape, self.in_dtype = a.shape, a.dtype
        if kind == "c2r":
            self.resized = lengths[:-1] + (lengths[-1] // 2 + 1,)
            x = _resize(a, axes, self.resized)
            out = np.fft.irfftn(x, s=lengths, axes=axes, norm=norm)
        else:
            self.resized = lengths
            x = _resize(a, axes, lengths)
            if not axes:
                out = x
            elif kind == "r2c":
                out = np.fft.rfftn(x, axes=axes, norm=norm)
            elif x.dtype.kind != "c" or real_source:
                out = _real_c2c(x.real if real_source else x, axes, norm, inverse, signed_zeros)
            else:
                out = (np.fft.ifftn if inverse else np.fft.fftn)(x, axes=axes, norm=norm)
        return _laid_out(np.asarray(out).astype(out_dtype, copy=False), _result_order(kind, x, axes))

    def backward(self, grad):
        # laid out as PyTorch's backward transforms lay out their results (see _result_order), a real input's
        # gradient the real part of a complex one (at::real: a strided view) unless a crop or pad copied it
        axes, dual = self.axes, _DUAL_NORM[self.norm]
        if not axes:
            g = grad
        elif self.kind == "c2r":
            g = np.fft.rfftn(grad, axes=axes, norm=dual).astype(_complex_of(grad.dtype), copy=False)
            # the terms of the half spectrum that stand for two (conjugate) terms of the full one count twice
            doubled = grad.shape[axes[-1]] - g.shape[axes[-1]]
            if doubled > 0:
                index = [slice(None)] * g.ndim
                index[axes[-1]] = slice(1, 1 + doubled)
                g[tuple(index)] *= 2
            g = _laid_out(g, _result_order("r2c", grad, axes))
        else:
            if self.kind == "r2c":  # the one-sided spectrum's adjoint: zeros for the dropped half
                grad = _resize(grad, axes[-1:], self.lengths[-1:])
            g = (np.fft.fftn if self.inverse else np.fft.ifftn)(grad, axes=axes, norm=dual)
            g = _laid_out(g.astype(grad.dtype, copy=False), _result_order("c2c", grad, axes))
        sizes = [self.in_shape[axis] for axis in axes]
        resized = any(g.shape[axis] != size for axis, size in zip(axes, sizes))
        g = _resize(g, axes, sizes)
        if self.in_dtype.kind != "c":
            g = g.real
        if resized:
            g = np.ascontiguousarray(g)
        return (g.astype(self.in_dtype, copy=False),)

    def backward_graph(self, grad):
        # PyTorch's fft_c2c / fft_r2c / fft_c2r backward formulas, whose transforms are differentiable in turn: the
        # adjoint transform (for a one-sided spectrum: its gradient copied into zeros for the dropped half first;
        # for a one-sided inverse: the doubled terms multiplied in place), then the real part for a real input
        axes, dual = self.axes, _DUAL_NORM[self.norm]
        if not axes:
            g = grad
        elif self.kind == "c2r":
            g = _Transform.apply(grad, kind="r2c", axes=axes, lengths=self.lengths, norm=dual,
                                 out_dtype=_complex_of(grad._data.dtype))
            doubled = self.lengths[-1] - g._data.shape[axes[-1]]
            if doubled > 0:  # (C++'s in-place mul_(2): mul_.Scalar, MulBackward1, its node under CopySlices)
                g.narrow(axes[-1], 1, doubled)._inplace(lambda part: part._binary(2, MulScalar))
        else:
            if self.kind == "r2c" and grad._data.shape[axes[-1]] < self.lengths[-1]:
                full = grad.new_zeros(grad._data.shape[:axes[-1]] + (self.lengths[-1],)
                                      + grad._data.shape[axes[-1] + 1:])
                full.narrow(axes[-1], 0, grad._data.shape[axes[-1]]).copy_(grad)
                grad = full
            g = _Transform.apply(grad, kind="c2c", axes=axes, lengths=self.resized, norm=dual,
                                 inverse=not self.inverse, out_dtype=grad._data.dtype)
        if self.in_dtype.kind != "c":
            g = g.real
        return (_resized_tensor(g, axes, [self.in_shape[axis] for axis in axes]),)

    def name(self):
        return {"c2c": "FftC2CBackward0", "r2c": "FftR2CBackward0", "c2r": "FftC2RBackward0"}[self.kind]


def _resized_tensor(tensor, axes, lengths):
    """_resize for a tensor of the graph, as PyTorch's gradients of its crop and pad: a cropped input's by
    slice_backward (the gradient placed in zeros), a padded one's by constant_pad_nd with negative padding."""
    from ._ops.indexing import _views_undone
    from .nn.functional import pad

    for axis, length in zip(axes, lengths):
        current = tensor._data.shape[axis]
        if current > length:
            tensor = pad(tensor, (0, 0) * (tensor._data.ndim - 1 - axis) + (0, length - current))
        elif current < length:
            shape = tensor._data.shape[:axis] + (length,) + tensor._data.shape[axis + 1:]
            tensor = _views_undone(tensor, [("SliceBackward0", axis, slice(0, current), shape)])
    return tensor


# ---------------------------------------------------------------------------- argument checks
def _tensor_input(input):
    if input._data.dtype == np.float16:
        raise RuntimeError("Unsupported dtype Half")
    return input


def _check_norm(norm):
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _check_length(length):
    if length < 1:
        raise RuntimeError(f"Invalid number of data points ({length}) specified")
    return length


def _floating_input(input, complex_input):
    """``input`` as the transform reads it: integers and bool as the default float dtype; complex (when
    ``complex_input``) for the complex transforms."""
    data = input._data
    if data.dtype.kind in "biu":
        input = input._cast(_dtype.get_default_dtype().numpy)
    if complex_input and input._data.dtype.kind == "f":
        return input, _complex_of(input._data.dtype)
    return input, input._data.dtype


def _complex_of(np_dtype):
    return np.dtype(np.complex128) if np_dtype in (np.float64, np.complex128) else np.dtype(np.complex64)


def _real_of(np_dtype):
    return np.dtype(np.float64) if np_dtype in (np.float64, np.complex128) else np.dtype(np.float32)


def _one_dim(input, dim):
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return normalize_dim(dim, input._data.ndim)


def _many_dims(input, s, dims):
    """(axes, sizes or None) for the n-dimensional transforms (``s`` and ``dims`` lists of ints or None), with
    PyTorch's checks."""
    ndim = input._data.ndim
    if dims is None:
        axes = tuple(range(ndim - len(s), ndim)) if s is not None else tuple(range(ndim))
        if s is not None and len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions.")
    else:
        if ndim == 0 and dims:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        axes = tuple(normalize_dim(d, ndim) for d in dims)
        if s is not None and len(s) != len(axes):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(set(axes)) != len(axes):
            raise RuntimeError("FFT dims must be unique")
    return axes, s


# PyTorch's schemas of the transforms (``out`` is the out variant's), whose parser reads their arguments
_ONE_DIM_SCHEMA = "Tensor input, SymInt? n=None, int dim=-1, str? norm=None, *, Tensor? out=None"
_N_DIM_SCHEMA = "Tensor input, SymInt[1]? s=None, int[1]? dim=None, str? norm=None, *, Tensor? out=None"
_TWO_DIM_SCHEMA = "Tensor input, SymInt[1]? s=None, int[1] dim=[-2,-1], str? norm=None, *, Tensor? out=None"


# ---------------------------------------------------------------------------- the transforms
def _c2c(input, axes, lengths, norm, inverse, signed_zeros=False):
    input, out_dtype = _floating_input(input, True)
    for length in lengths:
        _check_length(length)
    real_source = False
    if input._data.dtype.kind == "f":
        out_dtype = _complex_of(input._data.dtype)
        if len(axes) > 1:  # (PyTorch's cast to complex first, ToCopyBackward0 in its graph; transformed as real)
            input, real_source = input._cast(out_dtype), True
    return _Transform.apply(input, kind="c2c", axes=axes, lengths=tuple(lengths), norm=norm, inverse=inverse,
                            out_dtype=out_dtype, signed_zeros=signed_zeros, real_source=real_source)


def _r2c(name, input, axes, lengths, norm):
    if input._data.dtype.kind == "c":
        raise RuntimeError(f"{name} expects a real input tensor, but got {input.dtype.scalar_name}")
    input, _ = _floating_input(input, False)
    for length in lengths:
        _check_length(length)
    return _Transform.apply(input, kind="r2c", axes=axes, lengths=tuple(lengths), norm=norm,
                            out_dtype=_complex_of(input._data.dtype))


def _c2r(input, axes, lengths, norm):
    input, _ = _floating_input(input, False)
    if input._data.dtype.kind == "f":  # (PyTorch's cast of a real input to complex: ToCopyBackward0 in its graph)
        input = input._cast(_complex_of(input._data.dtype))
    for length in lengths:
        _check_length(length)
    return _Transform.apply(input, kind="c2r", axes=axes, lengths=tuple(lengths), norm=norm,
                            out_dtype=_real_of(input._data.dtype))


def _conj(tensor):
    return Conj.apply(tensor) if tensor._data.dtype.kind == "c" else tensor


def _one_dim_transform(name, kind, inverse=False):
    def transform(input, n=None, dim=-1, norm=None):
        input = _tensor_input(input)
        axis = _one_dim(input, dim)
        norm = _check_norm(norm)
        if kind == "c2c":
            result = _c2c(input, (axis,), (input._data.shape[axis] if n is None else n,), norm, inverse, True)
        elif kind == "r2c":
            length = (input._data.shape[axis] if n is None else n,)
            if inverse:  # ihfft: the conjugate of the one-sided transform, its scaling the other way
                result = _conj(_r2c(name, input, (axis,), length, _DUAL_NORM[norm]))
            else:
                result = _r2c(name, input, (axis,), length, norm)
        else:
            length = 2 * (input._data.shape[axis] - 1) if n is None else n
            _check_length(length)
            if inverse:  # irfft
                result = _c2r(input, (axis,), (length,), norm)
            else:  # hfft: the inverse one-sided transform of the conjugate, its scaling the other way
                result = _c2r(_conj(_complex_input(input)), (axis,), (length,), _DUAL_NORM[norm])
        return result

    transform.__name__ = name
    return _parser_errors.native_entry(f"fft_{name}", (_ONE_DIM_SCHEMA,), transform)


def _complex_input(input):
    if input._data.dtype.kind in "biu":
        input = input._cast(_dtype.get_default_dtype().numpy)
    return input


def _lengths(input, axes, s):
    if s is None:
        return tuple(input._data.shape[axis] for axis in axes)
    return tuple(input._data.shape[axis] if size == -1 else size for axis, size in zip(axes, s))


def _n_dim_transform(name, kind, inverse=False, schema=_N_DIM_SCHEMA):
    def transform(input, s=None, dim=None, norm=None):
        input = _tensor_input(input)
        axes, s = _many_dims(input, s, dim)
        norm = _check_norm(norm)
        if kind == "c2c":
            result = _c2c(input, axes, _lengths(input, axes, s), norm, inverse)
        elif kind == "r2c":
            if not axes:
                raise RuntimeError(f"{name} must transform at least one axis")
            lengths = _lengths(input, axes, s)
            if input._data.dtype.kind == "c":  # (the n-dim transforms word it otherwise than rfft and ihfft)
                raise RuntimeError(f"Only supports floating-point dtypes, but found: {input.dtype.scalar_name}"
                                   if inverse else
                                   f"rfftn expects a real-valued input tensor, but got {input.dtype.scalar_name}")
            if inverse:  # ihfftn
                result = _conj(_r2c(name, input, axes, lengths, _DUAL_NORM[norm]))
            else:
                result = _r2c(name, input, axes, lengths, norm)
        else:
            if not axes:
                raise RuntimeError(f"{name} must transform at least one axis")
            lengths = list(_lengths(input, axes, s))
            if s is None or s[-1] == -1:
                lengths[-1] = 2 * (input._data.shape[axes[-1]] - 1)
            _check_length(lengths[-1])
            if inverse:  # irfftn
                result = _c2r(input, axes, tuple(lengths), norm)
            else:  # hfftn
                result = _c2r(_conj(_complex_input(input)), axes, tuple(lengths), _DUAL_NORM[norm])
        return result

    transform.__name__ = name
    return _parser_errors.native_entry(f"fft_{name}", (schema,), transform)


fft = _one_dim_transform("fft", "c2c")
fft.__doc__ = "The one-dimensional discrete Fourier transform of ``input`` along ``dim``."
ifft = _one_dim_transform("ifft", "c2c", inverse=True)
ifft.__doc__ = "The one-dimensional inverse discrete Fourier transform."
rfft = _one_dim_transform("rfft", "r2c")
rfft.__doc__ = "The one-sided (n // 2 + 1 frequencies) Fourier transform of a real ``input``."
ihfft = _one_dim_transform("ihfft", "r2c", inverse=True)
ihfft.__doc__ = "The inverse of hfft: the one-sided inverse transform of a real ``input``."
irfft = _one_dim_transform("irfft", "c2r", inverse=True)
irfft.__doc__ = "The inverse of rfft: a real signal of length ``n`` (2 (m - 1) by default) from a half spectrum."
hfft = _one_dim_transform("hfft", "c2r")
hfft.__doc__ = "The transform of a Hermitian-symmetric signal given by its first half: a real result."
fft2 = _n_dim_transform("fft2", "c2c", schema=_TWO_DIM_SCHEMA)
ifft2 = _n_dim_transform("ifft2", "c2c", inverse=True, schema=_TWO_DIM_SCHEMA)
rfft2 = _n_dim_transform("rfft2", "r2c", schema=_TWO_DIM_SCHEMA)
irfft2 = _n_dim_transform("irfft2", "c2r", inverse=True, schema=_TWO_DIM_SCHEMA)
hfft2 = _n_dim_transform("hfft2", "c2r", schema=_TWO_DIM_SCHEMA)
ihfft2 = _n_dim_transform("ihfft2", "r2c", inverse=True, schema=_TWO_DIM_SCHEMA)
fftn = _n_dim_transform("fftn", "c2c")
ifftn = _n_dim_transform("ifftn", "c2c", inverse=True)
rfftn = _n_dim_transform("rfftn", "r2c")
irfftn = _n_dim_transform("irfftn", "c2r", inverse=True)
hfftn = _n_dim_transform("hfftn", "c2r")
ihfftn = _n_dim_transform("ihfftn", "r2c", inverse=True)
for _function, _what in ((fft2, "two-dimensional transform (last two dims by default)"),
                         (ifft2, "two-dimensional inverse transform"), (rfft2, "two-dimensional one-sided transform"),
                         (irfft2, "inverse of rfft2"), (hfft2, "two-dimensional hfft"), (ihfft2, "inverse of hfft2"),
                         (fftn, "n-dimensional transform (all dims by default)"), (ifftn, "inverse of fftn"),
                         (rfftn, "n-dimensional one-sided transform of a real input"), (irfftn, "inverse of rfftn"),
                         (hfftn, "n-dimensional hfft"), (ihfftn, "inverse of hfftn")):
    _function.__doc__ = f"The {_what}; ``s`` crops or pads, ``dim`` chooses the dims."


# ---------------------------------------------------------------------------- frequencies and shifts
def _frequencies(name, n, d, dtype, requires_grad, one_sided):
    from ._creation import tensor as make_tensor

    if dtype is None:
        dtype = _dtype.get_default_dtype()
    np_dtype = _dtype.argument(dtype, f"fft_{name}")
    if np_dtype.kind not in "fc":
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if n == 0:  # PyTorch's arange(n // 2 + 1) / (n d): a NaN for the one-sided frequencies
        values = np.full(1, np.nan) if one_sided else np.zeros(0)
    else:
        values = np.fft.rfftfreq(n, d) if one_sided else np.fft.fftfreq(n, d)
    return make_tensor(values.astype(np_dtype), requires_grad=requires_grad)


def _frequency_function(name, one_sided):
    def frequencies(n, d=1.0, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
        return _frequencies(name, n, d, dtype, requires_grad, one_sided)

    frequencies.__name__ = name
    return _parser_errors.native_entry(f"fft_{name}", (_FREQUENCY_SCHEMA,), frequencies)


_FREQUENCY_SCHEMA = ("int n, float d=1.0, *, Tensor? out=None, dtype? dtype=None, layout? layout=None, "
                     "device? device=None, bool? pin_memory=False, bool requires_grad=False")
fftfreq = _frequency_function("fftfreq", False)
fftfreq.__doc__ = ("The sample frequencies of a length-``n`` transform with sample spacing ``d``: "
                   "[0, 1, ..., -1] / (d n).")
rfftfreq = _frequency_function("rfftfreq", True)
rfftfreq.__doc__ = "The sample frequencies of rfft's output: [0, 1, ..., n // 2] / (d n)."


def _shift_function(name, sign):
    def shift(input, dim=None):
        ndim = input._data.ndim
        axes = tuple(range(ndim)) if dim is None else tuple(normalize_dim(d, ndim) for d in dim)
        if not axes:
            return input.clone()
        return input.roll(tuple(sign * (input._data.shape[axis] // 2) for axis in axes), axes)

    shift.__name__ = name
    return _parser_errors.native_entry(f"fft_{name}", ("Tensor input, int[1]? dim=None",), shift)


fftshift = _shift_function("fftshift", 1)
fftshift.__doc__ = "Reorder an FFT's output so that frequency 0 is in the middle (np.fft.fftshift): a roll by n // 2."
ifftshift = _shift_function("ifftshift", -1)
ifftshift.__doc__ = "The inverse of fftshift: a roll by -(n // 2)."

_numpy_names.install_functions(globals(), prefix="fft_")  # x=, a=, axis=, ... as PyTorch's parser takes them

from . import overrides as _overrides  # noqa: E402

_overrides.dispatch_functions(__name__)  # (once a Tensor subclass takes part in __torch_function__)
del _overrides
