"""torchless dtypes: thin named wrappers around NumPy dtypes, printed the way PyTorch prints them."""

import numpy as np

from ._type_promotion import as_parsed_number, check_numpy_number


class dtype:
    """A tensor element type (``torchless.float32``, ``torchless.int64``, ...)."""

    __slots__ = ("name", "scalar_name", "numpy", "is_floating_point", "is_complex", "is_signed", "itemsize")

    def __init__(self, name, scalar_name, numpy_dtype, is_signed=True):
        self.name = name
        self.scalar_name = scalar_name  # PyTorch's name in error messages: "Float", "Long", ...
        self.numpy = np.dtype(numpy_dtype)
        self.is_floating_point = self.numpy.kind == "f"
        self.is_complex = self.numpy.kind == "c"
        self.is_signed = is_signed
        self.itemsize = self.numpy.itemsize

    def __repr__(self):
        return f"torchless.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self):
        """The real dtype of the same precision: the dtype itself unless complex."""
        return {"complex32": float16, "complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        """The complex dtype of the same precision (PyTorch's error for a non-floating dtype)."""
        if self.is_complex:
            return self
        if not self.is_floating_point:
            raise RuntimeError(f"Unknown Complex ScalarType for {self.scalar_name}")
        return {"float16": complex32, "bfloat16": complex64, "float32": complex64, "float64": complex128}[self.name]


float16 = half = dtype("float16", "Half", np.float16)
float32 = float = dtype("float32", "Float", np.float32)
float64 = double = dtype("float64", "Double", np.float64)
uint8 = dtype("uint8", "Byte", np.uint8, is_signed=False)
int8 = dtype("int8", "Char", np.int8)
int16 = short = dtype("int16", "Short", np.int16)
int32 = int = dtype("int32", "Int", np.int32)
int64 = long = dtype("int64", "Long", np.int64)
bool = dtype("bool", "Bool", np.bool_, is_signed=False)


complex64 = cfloat = dtype("complex64", "ComplexFloat", np.complex64)
complex128 = cdouble = dtype("complex128", "ComplexDouble", np.complex128)


class _ArraylessDtype(dtype):
    """A dtype PyTorch has and torchless cannot store (NumPy has no complex32). It can be named, compared and
    asked about (``itemsize``, ``finfo``), so code that only mentions it runs; making a tensor of it raises
    TypeError instead of silently using another type."""

    __slots__ = ()

    def __init__(self, name, scalar_name, itemsize, kind, is_signed=True):
        self.name, self.scalar_name, self.itemsize, self.is_signed = name, scalar_name, itemsize, is_signed
        self.is_floating_point, self.is_complex = kind == "f", kind == "c"

    @property
    def numpy(self):
        raise TypeError(f"torchless has no {self.name} tensors; use float32, float64 or another NumPy-backed dtype")


class _Bfloat16(dtype):
    """bfloat16, stored as the NumPy dtype of the optional ``ml_dtypes`` package (``pip install torchless[bf16]``),
    imported the first time a tensor needs it (not at ``import torchless``: it costs more than the import's budget
    allows). Without the package it is a dtype that can be named but holds no tensors, as the _ArraylessDtype ones."""

    __slots__ = ()

    def __init__(self):
        self.name, self.scalar_name, self.itemsize, self.is_signed = "bfloat16", "BFloat16", 2, True
        self.is_floating_point, self.is_complex = True, False

    @property
    def numpy(self):
        np_dtype = bfloat16_numpy()
        if np_dtype is None:
            raise TypeError("torchless has no bfloat16 tensors; use float32, float64 or another NumPy-backed dtype "
                            "(bfloat16 tensors need the ml_dtypes package: pip install torchless[bf16])")
        return np_dtype


_BFLOAT16_NUMPY = []  # once looked up: [ml_dtypes' bfloat16 NumPy dtype], or [None] without the package


def bfloat16_numpy():
    """ml_dtypes' bfloat16 as a NumPy dtype (registered as torchless's bfloat16), or None when ml_dtypes does not
    import."""
    if not _BFLOAT16_NUMPY:
        try:
            import ml_dtypes
        except ImportError:
            _BFLOAT16_NUMPY.append(None)
        else:
            np_dtype = np.dtype(ml_dtypes.bfloat16)
            _FROM_NUMPY[np_dtype] = bfloat16
            FLOAT_MAX[np_dtype] = _builtins.float(ml_dtypes.finfo(np_dtype).max)
            CPP_SCALAR_NAMES["bfloat16"] = "c10::BFloat16"
            from . import _opmath

            _opmath.activate()
            _BFLOAT16_NUMPY.append(np_dtype)
    return _BFLOAT16_NUMPY[0]


bfloat16 = _Bfloat16()
complex32 = chalf = _ArraylessDtype("complex32", "ComplexHalf", 4, "c")
# PyTorch's "limited support" unsigned dtypes (16-bit images): they promote only with themselves and floats
uint16 = dtype("uint16", "UInt16", np.uint16, is_signed=False)
uint32 = dtype("uint32", "UInt32", np.uint32, is_signed=False)
uint64 = dtype("uint64", "UInt64", np.uint64, is_signed=False)
ARRAYLESS = (bfloat16, complex32)
# ... and no CPU kernel for most ops: copies, casts, ==/!=, bitwise and/or/xor, mul, sum, sort and indexing run,
# arithmetic, ordering comparisons, extrema and the like raise (see refuse_wide_unsigned)
_WIDE_UNSIGNED = {uint16.numpy: "UInt16", uint32.numpy: "UInt32", uint64.numpy: "UInt64"}


def refuse_wide_unsigned(kernel, np_dtype):
    """PyTorch's NotImplementedError for its ``kernel`` run on uint16, uint32 or uint64 (``np_dtype``); nothing for
    any other dtype. Callers reach it off the float paths (in an integer dtype's branch) where they can."""
    name = _WIDE_UNSIGNED.get(np_dtype)
    if name is not None:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")


def is_wide_unsigned(np_dtype):
    """Whether ``np_dtype`` is uint16, uint32 or uint64."""
    return np_dtype.kind == "u" and np_dtype.itemsize > 1

ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool, complex64, complex128, uint16, uint32,
       uint64)
_FROM_NUMPY = {d.numpy: d for d in ALL}
# PyTorch's legacy tensor type names (``tensor.type()``, ``torch.FloatTensor``): the dtype each stands for.
TENSOR_TYPE_NAMES = {float16: "HalfTensor", bfloat16: "BFloat16Tensor", float32: "FloatTensor",
                     float64: "DoubleTensor", uint8: "ByteTensor", int8: "CharTensor", int16: "ShortTensor",
                     int32: "IntTensor", int64: "LongTensor", bool: "BoolTensor", uint16: "UInt16Tensor",
                     uint32: "UInt32Tensor", uint64: "UInt64Tensor"}


def type_text(dtype):
    """A tensor of ``dtype``'s type as ATen's toString() prints it in messages: its legacy type
    (``torchless.FloatTensor``) for the classic numeric dtypes, else its backend's (``CPUBoolType``,
    ``CPUComplexFloatType``; bfloat16's too, ``CPUBFloat16Type``: no legacy type of ATen's names it)."""
    if dtype is bool or dtype not in TENSOR_TYPE_NAMES or dtype in (uint16, uint32, uint64, bfloat16):
        return f"CPU{dtype.scalar_name}Type"
    return f"torchless.{TENSOR_TYPE_NAMES[dtype]}"
_BY_NAME = {d.name: d for d in ALL + ARRAYLESS}

_default_float = float32


def _by_name(name):
    return _BY_NAME[name]


_PYTORCH_NUMPY_TYPES = ("float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, "
                        "uint16, uint8, and bool")


def from_numpy_dtype(np_dtype):
    """The torchless dtype for a NumPy dtype, or TypeError for one PyTorch has no equivalent of."""
    np_dtype = np.dtype(np_dtype)
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type numpy.{np_dtype.type.__name__}. The only supported types "
                        f"are: {_PYTORCH_NUMPY_TYPES}.") from None


def from_user_numpy_dtype(np_dtype):
    """from_numpy_dtype for a NumPy array or scalar given to torchless (``from_numpy``, ``tensor``): ml_dtypes'
    bfloat16, which bfloat16 tensors hold, is refused there as PyTorch refuses it."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind == "V":
        raise TypeError(f"can't convert np.ndarray of type {np_dtype.type.__module__}.{np_dtype.type.__name__}. The "
                        f"only supported types are: {_PYTORCH_NUMPY_TYPES}.")
    return from_numpy_dtype(np_dtype)


def to_numpy_dtype(d):
    """Accept a torchless dtype, a NumPy dtype or a Python type (float is float64, as in PyTorch's parser); return
    the NumPy dtype."""
    if isinstance(d, dtype):
        return d.numpy
    if d is builtins_float:
        return np.dtype(np.float64)
    if d is builtins_int:
        return np.dtype(np.int64)
    if d is builtins_bool:
        return np.dtype(np.bool_)
    if d is builtins_complex:
        return np.dtype(np.complex128)
    return from_numpy_dtype(d).numpy


def is_argument(d):
    """Whether PyTorch's parser takes ``d`` as a dtype."""
    return isinstance(d, dtype) or d is builtins_float or d is builtins_int or d is builtins_bool or \
        d is builtins_complex


def argument(d, function):
    """The NumPy dtype for a factory's ``dtype`` argument: a dtype or Python's float, int, bool or complex (float64,
    int64, bool, complex128); PyTorch's parser refuses anything else, NumPy dtypes and names too."""
    if is_argument(d):
        return to_numpy_dtype(d)
    from .nn._functional._args import _tp_name
    raise TypeError(f"{function}(): argument 'dtype' must be torchless.dtype, not {_tp_name(d)}")


def from_tensor_type_name(name):
    """The dtype of a type string such as ``'torch.LongTensor'`` (``torchless.`` reads as ``torch.``);
    ``'torch.Tensor'`` is the default dtype. PyTorch's ValueError for any other string."""
    prefix, _, short = name.rpartition(".")
    if prefix in ("torch", "torchless"):
        if short == "Tensor":
            return _default_float
        for d, type_name in TENSOR_TYPE_NAMES.items():
            if type_name == short:
                return d
    if prefix in ("torch.cuda", "torchless.cuda"):
        raise RuntimeError(NO_CUDA_LIBRARY)
    raise ValueError(f"invalid type: '{name}'")


# What a CPU-only PyTorch raises for a conversion to a CUDA tensor type (x.type(torch.cuda.FloatTensor)).
NO_CUDA_LIBRARY = (
    "Cannot initialize CUDA without ATen_cuda library. PyTorch splits its backend into two shared libraries: a CPU "
    "library and a CUDA library; this error has occurred because you are trying to use some CUDA functionality, but "
    "the CUDA library has not been loaded by the dynamic linker for some reason.  The CUDA library MUST be loaded, "
    "EVEN IF you don't directly use any symbols from the CUDA library! One common culprit is a lack of "
    "-Wl,--no-as-needed in your link arguments; many dynamic linkers will delete dynamic library dependencies if you "
    "don't depend on any of their symbols.  You can check if this has occurred by using ldd on your binary to see if "
    "there is a dependency on *_cuda.so library."
)


def get_default_dtype():
    """The dtype of floating-point tensors created without an explicit dtype (float32 unless changed)."""
    return _default_float


def set_default_dtype(d):
    """Set the default floating-point dtype: ``torchless.float32``, ``float64`` or ``float16``."""
    global _default_float
    if not isinstance(d, dtype):
        raise TypeError("invalid dtype object: only floating-point types are supported as the default type")
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    d.numpy  # noqa: B018 - bfloat16, which PyTorch takes, has no tensors here: its TypeError says so
    _default_float = d


def can_cast(source, target):
    """PyTorch's rule for writing a result of NumPy dtype ``source`` into a tensor of dtype ``target`` (in-place
    ops): no complex into a real dtype, no float into an integer or bool, nothing but bool into bool. Unlike NumPy's
    "same_kind", any integer goes into any integer (an int64 result wraps into uint8)."""
    if source.kind in "fV":  # ("V": bfloat16)
        return target.kind in "fcV"
    if source.kind == "c":
        return target.kind == "c"
    return target.kind != "b" or source.kind == "b"


# The largest finite value of each float dtype (the name float is taken by the dtype here).
FLOAT_MAX = {np.dtype(t): np.finfo(t).max.item() for t in (np.float16, np.float32, np.float64)}
_FLOAT32 = np.dtype(np.float32)
# The C++ type PyTorch names when a scalar does not fit an integer dtype.
_C_TYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t", "uint8": "uint8_t",
            "uint16": "uint16_t", "uint32": "uint32_t", "uint64": "uint64_t"}


def fill_value(value, np_dtype, check_half=True):
    """``value`` (a Python or NumPy number) as PyTorch converts a fill value to ``np_dtype``.

    Integer dtypes refuse values beyond their range, except that an unsigned dtype takes a negative
    integer down to -max, modulo 2**bits (c10's ``overflows``: filling uint8 with -100 gives 156);
    floats are truncated. float32 and float16 refuse finite values beyond their range, except that
    float16 rounds them to inf with ``check_half`` False: PyTorch skips that check where it writes
    the value directly (``t[i] = v``, where()'s number operand, a fill of a single element).
    """
    if type(value) is _builtins.float and np_dtype.kind == "f":  # the common case, without the checks for others
        return _float_fill(value, np_dtype, check_half)
    if isinstance(value, (_builtins.bool, np.bool_)):
        return value
    value = as_parsed_number(value)
    if isinstance(value, _builtins.int):
        check_64_bits(value)
    elif isinstance(value, np.unsignedinteger):
        check_numpy_number(value)
    elif isinstance(value, (_builtins.complex, np.complexfloating)) and np_dtype.kind != "c":
        if np_dtype.kind == "b":
            return _builtins.bool(value)
        if value.imag:  # PyTorch's check of a complex number converted to a real type
            # (a float16 element written directly converts the number through double first)
            c_type = "double" if np_dtype == np.float16 and not check_half else \
                _C_TYPES.get(np_dtype.name) or CPP_SCALAR_NAMES[np_dtype.name]
            raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
        value = value.real
    elif np_dtype == _COMPLEX64:
        _check_complex64(value)
    if np_dtype.kind in "fV":  # ("V": bfloat16)
        return _float_fill(value, np_dtype, check_half)
    if np_dtype.kind not in "iu":
        return value
    if not isinstance(value, (_builtins.int, np.integer)):
        value = _builtins.float(value)
    smallest, largest, bits = integer_limits(np_dtype)
    lowest = -largest if np_dtype.kind == "u" and isinstance(value, (_builtins.int, np.integer)) else smallest
    if not lowest <= value <= largest:  # False for NaN too
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES[np_dtype.name]} without overflow")
    return _builtins.int(value) % (1 << bits) if value < 0 and np_dtype.kind == "u" else _builtins.int(value)


def integer_limits(np_dtype):
    """(min, max, bits) of the integer NumPy dtype ``np_dtype``, kept per dtype (np.iinfo's lookup costs as much
    as a small factory's draw)."""
    limits = _INTEGER_LIMITS.get(np_dtype)
    if limits is None:
        info = np.iinfo(np_dtype)
        limits = _INTEGER_LIMITS[np_dtype] = (info.min, info.max, info.bits)
    return limits


_INTEGER_LIMITS = {}


def _float_fill(value, np_dtype, check_half):
    """fill_value's float ``value`` (not complex) in the float ``np_dtype``."""
    if np_dtype == _FLOAT32 and FLOAT_MAX[np_dtype] < abs(_builtins.float(value)) < np.inf:
        raise RuntimeError("value cannot be converted to type float without overflow")
    if np_dtype == _FLOAT16 and check_half and FLOAT_MAX[np_dtype] < abs(_builtins.float(value)) < np.inf:
        raise RuntimeError("value cannot be converted to type c10::Half without overflow")
    if np_dtype.kind == "V" and check_half and FLOAT_MAX[np_dtype] < abs(_builtins.float(value)) < np.inf:
        raise RuntimeError("value cannot be converted to type c10::BFloat16 without overflow")
    if type(value) in (_builtins.float, _builtins.int) and (np_dtype == _FLOAT32 or np_dtype == _FLOAT64):
        return np_dtype.type(value)  # (nothing to silence: a double or int64 fits either, float32's range checked)
    with np.errstate(over="ignore"):  # float16 overflows to inf silently, as in PyTorch
        # (bfloat16 from float, as c10::BFloat16 converts a double: ml_dtypes would round once)
        return np_dtype.type(np.float32(value) if np_dtype.kind == "V" else value)


_COMPLEX64 = np.dtype(np.complex64)
_FLOAT16, _FLOAT64 = np.dtype(np.float16), np.dtype(np.float64)


def _check_complex64(value):
    """PyTorch refuses a number whose real or imaginary part is finite beyond float32's range as a complex64 fill
    (where NumPy rounds it to inf)."""
    value = _builtins.complex(value)
    for part in (value.real, value.imag):
        if FLOAT_MAX[_FLOAT32] < abs(part) < np.inf:
            raise RuntimeError("value cannot be converted to type c10::complex<float> without overflow")


def scalar_argument(value, np_dtype):
    """A Python number argument of an op (a clamp bound) in ``np_dtype``, checked as PyTorch converts it: as a
    fill value."""
    return fill_value(value, np_dtype)


# The C++ names of the element types of integer and bool dtypes, which some PyTorch messages print.
CPP_TYPE_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
                  "int32": "int", "int64": "long int", "uint16": "short unsigned int", "uint32": "unsigned int",
                  "uint64": "long unsigned int"}
# ... and of every dtype, as messages that print a C++ type name show them (lerp's "expected dtype float")
CPP_SCALAR_NAMES = {**CPP_TYPE_NAMES, "float16": "c10::Half", "float32": "float", "float64": "double",
                    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def cpp_name(np_dtype):
    """The C++ name of a NumPy dtype's element type as PyTorch's messages print it ('float', 'long int',
    'c10::Half')."""
    return CPP_SCALAR_NAMES[np_dtype.name]


def tensor_options(np_dtype):
    """How PyTorch prints the options of a CPU tensor of ``np_dtype`` in its errors."""
    return (f"TensorOptions(dtype={cpp_name(np_dtype)}, device=cpu, layout=Strided, requires_grad=false (default), "
            "pinned_memory=false (default), memory_format=(nullopt))")


def check_64_bits(value):
    """PyTorch reads a Python int as int64, or as uint64 if positive: it refuses ints that fit neither."""
    if value >= 2**64:
        raise OverflowError("int too big to convert")
    if value < -2**63:
        raise OverflowError("can't convert negative int to unsigned")


def wrap_int(value, np_dtype):
    """A Python int operand of an op on an integer ``np_dtype`` tensor, as PyTorch converts it.

    Unlike a fill value it is not range-checked: read as int64 (uint64 from 2**63), it is cast the way C
    casts, modulo 2**bits (uint8 + -1 adds 255, int32 > 2**40 compares with 0).
    """
    check_64_bits(value)
    bits = 8 * np_dtype.itemsize
    value %= 1 << bits
    return value - (1 << bits) if np_dtype.kind == "i" and value >> (bits - 1) else value


# PyTorch warns once per process (TORCH_WARN_ONCE) when a cast drops imaginary parts; NumPy warns on every such cast,
# with its own ComplexWarning.
_COMPLEX_TO_REAL_WARNING = ("Casting complex values to real discards the imaginary part (Triggered internally at "
                            "/__w/pytorch/pytorch/aten/src/ATen/native/Copy.cpp:307.)")
_complex_to_real_warned = [False]


def cast_source(array, target):
    """``array`` as a cast into the NumPy dtype ``target`` reads it: a complex array's real part for a real, non-bool
    target (bool tests for nonzero), with PyTorch's once-per-process UserWarning; a double one rounded to float first
    for a half or bfloat16 target (c10::Half and c10::BFloat16 convert from float, so PyTorch rounds twice where NumPy
    and ml_dtypes round once), a double one through int64 for a uint8 target, a bfloat16 one through float for an
    integer target."""
    if array.dtype.kind == "c" and target.kind not in "cb":
        if not _complex_to_real_warned[0]:
            from ._user_warnings import warn_from_user_code

            _complex_to_real_warned[0] = True
            warn_from_user_code(_COMPLEX_TO_REAL_WARNING)
        array = array.real
    if array.dtype == np.float64:
        if target == np.float16 or target.kind == "V":  # (bfloat16, too, converts from float)
            with np.errstate(over="ignore"):  # beyond float32: inf, silently as in PyTorch
                return array.astype(np.float32)
        if target == np.uint8:
            # PyTorch converts a double to uint8 through int64, wrapping what lies beyond 255 (6067851765.5 is 245),
            # where NumPy's direct conversion gives 0
            with np.errstate(invalid="ignore"):
                return array.astype(np.int64)
    elif array.dtype.kind == "V" and target.kind in "iu":
        # bfloat16 converts to an integer as the float it widens to (ml_dtypes gives 0 where float32 overflows)
        return array.astype(np.float32)
    return array


import builtins as _builtins  # noqa: E402  (after the module-level names that shadow the builtins)

builtins_float, builtins_int, builtins_bool, builtins_complex = _builtins.float, _builtins.int, _builtins.bool, \
    _builtins.complex
