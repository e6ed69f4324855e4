"""Numeric facts and process-wide switches of the ``torch`` namespace: ``finfo``/``iinfo``, type promotion
queries (``result_type``, ``promote_types``, ``can_cast``), and the runtime settings scripts call
(``set_float32_matmul_precision``, ``set_default_device``, ...), answered as a CPU-only PyTorch does."""
import math
import numbers
import os
import warnings

import numpy as np

from . import _dtype
from ._type_promotion import as_parsed_number
from ._kernels import conv as _kernels_conv


def _dtype_argument(name, value, argument="type", position=1):
    if not isinstance(value, _dtype.dtype):
        raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be torchless.dtype, not "
                        f"{type(value).__name__}")
    return value


class finfo:
    """Machine limits of a floating point dtype (the default dtype when none is given), as NumPy's finfo.

    Attributes: ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (= ``smallest_normal``), ``resolution`` and
    ``dtype`` (the dtype's name, e.g. ``'float32'``).
    """

    __hash__ = None  # PyTorch's finfo compares by value and is unhashable

    def __init__(self, type=None):  # noqa: A002 - PyTorch's parameter name
        type = _dtype.get_default_dtype() if type is None else _dtype_argument("finfo", type)
        if not (type.is_floating_point or type.is_complex):
            raise TypeError("torchless.finfo() requires a floating point input type. Use torchless.iinfo to handle "
                            "'torchless.finfo'")
        if type.is_complex:  # the limits of its parts, as PyTorch reports them
            type = _dtype.float32 if type is _dtype.complex64 else _dtype.float64
        if type is _dtype.bfloat16:  # float32's exponent with an 8-bit significand
            bits, eps, tiny, largest = 16, 2.0 ** -7, 2.0 ** -126, (2 - 2.0 ** -7) * 2.0 ** 127
        else:
            info = np.finfo(type.numpy)
            bits, eps, tiny, largest = info.bits, float(info.eps), float(info.smallest_normal), float(info.max)
        self.bits, self.dtype = bits, type.name
        self.eps, self.max, self.min = eps, largest, -largest
        self.tiny = self.smallest_normal = tiny
        # 10 ** -digits, digits being the decimal digits the type represents exactly (floor(-log10(eps)))
        self.resolution = float(10 ** -math.floor(-math.log10(eps)))

    def __eq__(self, other):
        return isinstance(other, finfo) and vars(self) == vars(other)

    def __repr__(self):
        fields = ("resolution", "min", "max", "eps", "smallest_normal", "tiny")
        return "finfo(" + ", ".join(f"{f}={getattr(self, f):g}" for f in fields) + f", dtype={self.dtype})"


class iinfo:
    """Machine limits of an integer dtype: ``bits``, ``min``, ``max`` and ``dtype`` (its name)."""

    __hash__ = None

    def __init__(self, type):  # noqa: A002 - PyTorch's parameter name
        _dtype_argument("iinfo", type)
        if type is _dtype.bool:
            raise TypeError("torchless.bool is not supported by torchless.iinfo")
        if type.is_floating_point or type.is_complex:
            raise TypeError("torchless.iinfo() requires an integer input type. Use torchless.finfo to handle "
                            "'torchless.iinfo'")
        info = np.iinfo(type.name)
        self.bits, self.min, self.max, self.dtype = info.bits, int(info.min), int(info.max), type.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and vars(self) == vars(other)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


# ---------------------------------------------------------------------------- type promotion
_RESULT_TYPE_OVERLOADS = ("Tensor tensor, Tensor other", "Number scalar, Tensor tensor", "Tensor tensor, Number other",
                          "Number scalar1, Number scalar2")


def scalar_dtype(value):
    """The dtype a Python number has as an operand: bool, int64, the default float dtype or its complex one (a
    NumPy bool is a float to PyTorch's parser)."""
    if isinstance(value, bool):
        return np.dtype(np.bool_)
    if isinstance(value, numbers.Integral):
        return np.dtype(np.int64)
    if not isinstance(as_parsed_number(value), (numbers.Real, np.bool_)):  # (a NumPy complex64 reads as a float)
        return _dtype.get_default_dtype().to_complex().numpy
    return _dtype.get_default_dtype().numpy


def result_type(tensor, other):
    """The dtype an arithmetic operation on ``tensor`` and ``other`` (tensors or numbers) returns."""
    dtype, half_precision = _promoted(tensor, other)
    if dtype is _dtype.complex64 and half_precision:
        return _dtype.complex32  # (PyTorch's ComplexHalf, which torchless's operations compute in complex64)
    return dtype


def computation_dtype(tensor, other):
    """The dtype torchless computes an arithmetic operation on ``tensor`` and ``other`` in: ``result_type``'s,
    complex64 where that is PyTorch's complex32."""
    return _promoted(tensor, other)[0]


def _promoted(tensor, other):
    """(the promoted dtype of ``tensor`` and ``other``, whether a float16 tensor with dims decides its precision)."""
    from ._tensor import Tensor
    from ._type_promotion import NUMBERS, result_dtype

    operands = (tensor, other)
    if not all(isinstance(v, (Tensor, NUMBERS)) for v in operands):
        from ._parser_errors import invalid_combination

        raise invalid_combination("result_type", _RESULT_TYPE_OVERLOADS, operands)
    # a Python number counts as a 0-d tensor of its own dtype (a float one of the default float dtype)
    dtypes = [v._data.dtype if isinstance(v, Tensor) else scalar_dtype(v) for v in operands]
    has_dims = [isinstance(v, Tensor) and v._data.ndim > 0 for v in operands]
    numbers_only = [not isinstance(v, Tensor) for v in operands]
    if numbers_only[0] != numbers_only[1] and not any(has_dims):  # a number beside a 0-d tensor: the tensor's
        has_dims = [not n for n in numbers_only]
    promoted = _dtype.from_numpy_dtype(result_dtype(dtypes[0], has_dims[0], dtypes[1], has_dims[1]))
    return promoted, has_dims[0] != has_dims[1] and dtypes[has_dims.index(True)] == np.float16


def promote_types(type1, type2):
    """The smallest dtype to which both ``type1`` and ``type2`` convert without losing their kind."""
    from ._type_promotion import promote

    _dtype_argument("promote_types", type1, "type1", 1)
    _dtype_argument("promote_types", type2, "type2", 2)
    return _dtype.from_numpy_dtype(promote(type1.numpy, type2.numpy))


_KIND_ORDER = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2, "c": 3}  # ("V": bfloat16, ml_dtypes' NumPy type)


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow the type conversion: not to a lower kind (float to integer,
    integer to bool); any size within a kind."""
    _dtype_argument("can_cast", from_, "from_", 1)
    _dtype_argument("can_cast", to, "to", 2)
    return _KIND_ORDER[from_.numpy.kind] <= _KIND_ORDER[to.numpy.kind]


# ---------------------------------------------------------------------------- runtime switches
_MATMUL_PRECISIONS = ("highest", "high", "medium")
_state = {"warn_always": False, "interop_threads": None, "device": None}


def set_float32_matmul_precision(precision):
    """Sets the internal precision of float32 matrix multiplications ('highest', 'high' or 'medium').

    torchless computes float32 products in full float32 always. What the setting changes is the choice of
    convolution algorithms: at 'highest' (the default) float32 convolutions keep to algorithms whose
    rounding error is that of a direct convolution (their results pass ``torch.testing.assert_close``
    against PyTorch's); at 'high' or 'medium' 3x3 convolutions may also take Winograd F(4x4), up to ~1.5x
    faster on large layers, with errors ~10x larger (2e-6 to 5e-6 of the output's largest value).
    """
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _MATMUL_PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _kernels_conv.set_float32_precision(precision)  # the one place the setting lives: the kernels read it


def get_float32_matmul_precision():
    """Returns the current value of float32 matrix multiplication precision."""
    return _kernels_conv.float32_precision()


def set_flush_denormal(mode):
    """Disables denormal floating numbers on CPU; returns whether that is supported.

    NumPy has no switch for the CPU's flush-to-zero flags, so this returns False and changes nothing, as
    PyTorch does on a CPU without SSE3.
    """
    _check_switch("flush_denormal", mode)
    return False


def _check_switch(name, value):
    """PyTorch's refusal of a global switch that is no Python bool (its binding's own check, by C type name)."""
    if value.__class__ is not bool:
        from .nn._functional._args import _tp_name

        raise RuntimeError(f"{name} expects a bool, but got {_tp_name(value)}")


def set_warn_always(b):
    """When True, warnings PyTorch gives once per process are given every time (recorded; read back by
    :func:`is_warn_always_enabled`)."""
    _check_switch("setWarnOnlyOnce", b)
    _state["warn_always"] = b


def is_warn_always_enabled():
    """Returns True if the global warn_always flag is turned on."""
    return _state["warn_always"]


def get_num_interop_threads():
    """How many threads PyTorch would give to running independent ops side by side: the value last passed to
    :func:`set_num_interop_threads`, or, before any, the machine's cores (as PyTorch's pool, which neither the
    process's affinity nor $OMP_NUM_THREADS changes). torchless itself runs one op at a time and only records the
    number."""
    if _state["interop_threads"] is None:
        return os.cpu_count() or 1
    return _state["interop_threads"]


def set_num_interop_threads(int):  # noqa: A002 - PyTorch's parameter name
    """Record how many threads PyTorch should use to run independent ops concurrently (a positive int), as
    :func:`get_num_interop_threads` reports it; torchless runs one op at a time, so nothing else changes."""
    if isinstance(int, bool) or not isinstance(int, numbers.Integral):
        from .nn._functional._args import _tp_name  # (a NumPy scalar named with its module, as CPython's C types)

        raise RuntimeError(f"set_num_interop_threads expects an int, but got {_tp_name(int)}")
    if int <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    _state["interop_threads"] = int


def set_default_device(device):
    """Sets the default device tensors are allocated on (None resets it to 'cpu').

    torchless has the CPU alone: the setting is recorded for :func:`get_default_device`, which fails for any
    other device as a CPU-only PyTorch does when it first allocates there.
    """
    from ._device import device as make_device

    _state["device"] = None if device is None else make_device(device)


def get_default_device():
    """Gets the default device tensors are allocated on: the device of the innermost ``with torch.device(...)``
    block, else the one :func:`set_default_device` set, else 'cpu'."""
    from ._device import CPU, ENTERED, require_cpu

    current = ENTERED[-1] if ENTERED else _state["device"]
    if current is None:
        return CPU
    # PyTorch returns a device with an index as it is, and asks a device without one for an empty tensor's:
    # which only the CPU and the meta device (shapes only) can allocate in a CPU-only build.
    if current.index is not None or current.type == "meta":
        return current
    return require_cpu(current)


def set_default_tensor_type(t):
    """Sets the default floating point tensor type (deprecated in PyTorch 2.1 for set_default_dtype)."""
    from . import _legacy_types

    if isinstance(t, str):
        module, _, name = t.rpartition(".")
        types = _legacy_types.LEGACY_TYPES if module in ("torch", "torchless") else \
            _legacy_types.CUDA_LEGACY_TYPES if module in ("torch.cuda", "torchless.cuda") else {}
        legacy = types.get(name)
        if legacy is None:
            __import__(module or name)  # PyTorch imports the module named: its ModuleNotFoundError
            raise TypeError(f"invalid type: '{t}'")
        t = legacy
    if not isinstance(t, _legacy_types.LegacyTensorType):
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    from ._user_warnings import warns_once

    if warns_once("set_default_tensor_type"):
        warnings.warn("torchless.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                      "torchless.set_default_dtype() and torchless.set_default_device() as alternatives. (Triggered "
                      "internally at /__w/pytorch/pytorch/torch/csrc/tensor/python_tensor.cpp:434.)", UserWarning,
                      stacklevel=1)  # (PyTorch's names torch/__init__.py, whose line calls the C++ function)
    if isinstance(t, _legacy_types.CudaLegacyTensorType):
        t()  # PyTorch's TypeError: no CUDA types in a CPU-only build
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(t.dtype)
