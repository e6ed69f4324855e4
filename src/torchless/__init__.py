"""torchless: PyTorch's convolutional-network API on NumPy alone.

``import torchless as torch`` gives tensors with autograd, ``torchless.nn`` (Conv2d, pooling, losses,
...), ``torchless.optim``, ``torchless.utils.data`` and ``torchless.vision`` (torchvision's datasets,
transforms, models, utils and io). ``cuda``, ``accelerator``, ``backends`` and ``amp`` answer as a CPU-only
PyTorch does. Submodules load on first use so that ``import torchless`` stays fast.
"""
import importlib as _importlib
import math as _math
import warnings as _warnings

from . import _dtype, _floating_point, _parser_errors, _tracer_warning
from ._allocator import tune_malloc_at_import as _tune_malloc
from ._compile import compile
from .amp.autocast_mode import (
    autocast, autocast_decrement_nesting, autocast_increment_nesting, clear_autocast_cache, get_autocast_cpu_dtype,
    get_autocast_dtype, get_autocast_gpu_dtype, is_autocast_cache_enabled, is_autocast_cpu_enabled, is_autocast_enabled,
    set_autocast_cache_enabled, set_autocast_cpu_dtype, set_autocast_cpu_enabled, set_autocast_dtype,
    set_autocast_enabled, set_autocast_gpu_dtype,
)
from . import _creation
from ._creation import (
    arange, as_tensor, asarray, empty, empty_like, empty_strided, eye, from_numpy, frombuffer, full, full_like, linspace, logspace, ones, ones_like, rand,
    rand_like, randint, randint_like, randn, randn_like, randperm, scalar_tensor, tensor, zeros, zeros_like,
)
from ._determinism import (
    are_deterministic_algorithms_enabled, get_deterministic_debug_mode, is_deterministic_algorithms_warn_only_enabled,
    set_deterministic_debug_mode, use_deterministic_algorithms,
)
from ._dtype import (
    bfloat16, bool, cdouble, cfloat, chalf, complex32, complex64, complex128, double, dtype, float, float16, float32,
    float64,
    get_default_dtype, half, int, int8, int16, int32, int64, long, set_default_dtype, short, uint8, uint16, uint32,
    uint64,
)
from ._functions import (
    atleast_1d, atleast_2d, broadcast_shapes, broadcast_tensors, broadcast_to, cartesian_prod, cat, concat,
    concatenate, hstack, is_tensor, meshgrid, numel, repeat_interleave, row_stack, stack, vstack, where,
)
from ._functions import _install as _install_function_forms
from ._ops.distance import cdist
from ._ops.einsum import einsum
from ._ops.kron import kron
from ._size import Size
from ._tensor_str import set_printoptions
from ._memory_format import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format
from ._tensor import Tensor, typename
from ._legacy_types import LEGACY_TYPES as _LEGACY_TYPES
from ._device import device, layout, sparse_coo, strided
from ._exceptions import AcceleratorError, OutOfMemoryError
from ._threads import get_num_threads, set_num_threads
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                       set_grad_enabled)
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from .random import (
    Generator, bernoulli, default_generator, get_rng_state, initial_seed, manual_seed, multinomial, normal, poisson, seed,
    set_rng_state,
)
from ._info import (
    can_cast, finfo, get_default_device, get_float32_matmul_precision, get_num_interop_threads, iinfo,
    is_warn_always_enabled, promote_types, result_type, set_default_device, set_default_tensor_type,
    set_float32_matmul_precision, set_flush_denormal, set_num_interop_threads, set_warn_always,
)
from ._namespace_nn import install as _install_nn_forms
from ._namespace_aten import install as _install_aten_entry_points
from . import _numpy_names

_install_function_forms(globals())
_install_nn_forms(globals())
_install_aten_entry_points(globals())
del _install_function_forms, _install_nn_forms, _install_aten_entry_points
# torch.i0, polygamma, igamma, igammac, mvlgamma and their methods, from torchless.special
from .special import TORCH_FUNCTIONS as _special_functions, install as _install_special_methods  # noqa: E402

globals().update(_special_functions)
_install_special_methods(Tensor)
del _special_functions, _install_special_methods
from ._functions import parse_failures as _parse_failures  # noqa: E402

_parse_failures(globals())  # PyTorch's parser TypeErrors for the failing calls it refuses
del _parse_failures
_numpy_names.install_functions(globals())  # axis=, keepdims=, x=, ... as PyTorch's parser takes them
from ._ops.legacy_methods import install as _install_legacy_methods  # noqa: E402

_install_legacy_methods(Tensor, globals())
del _install_legacy_methods
from ._tensor import name_methods as _name_methods

_name_methods(Tensor)
del _name_methods
_parser_errors.name_native_methods(Tensor)  # (the bare names of PyTorch's parser messages)
_parser_errors.word_binding_errors_as_the_parser(Tensor)
_tune_malloc()
del _tune_malloc

# PyTorch's classes say they live in the package itself (<class 'torch.Tensor'>), as messages that print a
# type show; pickles then refer to them by their public names too.
for _public in (Tensor, Size, device, Generator, dtype, layout, memory_format):
    _public.__module__ = __name__
del _public

# inf and NaN flow through PyTorch's kernels silently (a NaN from inf * 0 in a convolution, say), where NumPy
# warns about the floating-point flags its ufuncs and matmul raise. Those warnings, attributed to torchless's
# own modules, are silenced once here (a user's 'error' filter, which comes first, is met where they arise: see
# _floating_point).
_warnings.filterwarnings("ignore", _floating_point.FLAG_WARNING, RuntimeWarning, r"torchless\.")
# PyTorch ignores the tracer's warnings raised inside the library (its own shape checks read values), not in torch.jit;
# its filter is added as torch imports torch.jit: added later, it would make warnings shown once show again.
_warnings.filterwarnings("ignore", category=_tracer_warning.TracerWarning, module=r"torchless\.(?!jit)")

from .version import __version__  # PyTorch's release, torchless's as its local label (see version.py)

# PyTorch's legacy types (FloatTensor, LongTensor, ...): isinstance checks the dtype, a call builds a tensor.
globals().update(_LEGACY_TYPES)
del _LEGACY_TYPES
# torch.range (deprecated, end inclusive), bound here rather than imported so that no code in this module sees the
# builtin range shadowed while it runs
globals()["range"] = _creation.deprecated_range
pi, e, inf, nan, newaxis = _math.pi, _math.e, _math.inf, _math.nan, None

_LAZY_SUBMODULES = {"__future__", "distributed", "nn", "optim", "utils", "vision", "random", "autograd", "cli", "viz",
                    "explain", "backends", "func", "cuda", "return_types", "testing", "amp", "accelerator", "linalg",
                    "jit", "hub", "storage", "version", "onnx", "xpu", "mps", "special", "fft", "signal", "quasirandom",
                    "cpu", "multiprocessing", "distributions", "profiler", "compiler", "serialization", "fx",
                    "functional", "_C"}


from ._ops.foreach import names as _foreach_names  # noqa: E402

# Functions of modules loaded on first use: {name: module}
_LAZY_FUNCTIONS = {
    **dict.fromkeys(("bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"),
                    "._windows"),
    "stft": "._spectral", "istft": "._spectral", "from_dlpack": ".utils.dlpack", "to_dlpack": ".utils.dlpack",
    "nonzero_static": "._ops.nonzero_static", "svd_lowrank": "._lowrank", "pca_lowrank": "._lowrank",
    "gradient": "._ops.gradient", "fill": "._ops.fill", "empty_permuted": "._permuted",
    "histogramdd": "._ops.histogramdd", "binomial": "._ops.binomial", "vmap": ".func",
    "_standard_gamma": "._ops.standard_gamma", "_standard_gamma_grad": "._ops.standard_gamma",
    "_dirichlet_grad": "._ops.dirichlet", "_sample_dirichlet": "._ops.dirichlet",
    **dict.fromkeys(("chain_matmul", "cholesky", "cholesky_inverse", "cholesky_solve", "qr", "svd", "triangular_solve",
                     "matrix_rank", "solve", "lstsq", "symeig", "eig", "lu", "lu_solve"), "._ops.deprecated_linalg"),
    "lu_unpack": ".linalg.lu",
    **dict.fromkeys(_foreach_names(), "._ops.foreach"),
    **dict.fromkeys(("geqrf", "orgqr", "ormqr"), ".linalg.householder"),
    **dict.fromkeys(("permute_copy", "transpose_copy", "t_copy", "expand_copy", "squeeze_copy", "unsqueeze_copy",
                     "select_copy", "slice_copy", "diagonal_copy", "alias_copy", "view_as_real_copy",
                     "view_as_complex_copy", "unfold_copy", "view_copy", "as_strided_copy", "split_copy",
                     "split_with_sizes_copy", "unbind_copy", "detach_copy"), "._ops.view_copies"),
}


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_FUNCTIONS:
        module = _importlib.import_module(_LAZY_FUNCTIONS[name], __name__)
        function = module.functions(globals())[name] if hasattr(module, "functions") else getattr(module, name)
        from ._functions import parsing_failures

        function = globals()[name] = parsing_failures(name, function, globals())
        _tensor_docs.document_lazy_function(name)
        from . import overrides

        overrides.dispatch_functions()  # (once a Tensor subclass takes part in __torch_function__)
        return globals()[name]
    if name == "summary":  # a function, kept in _summary so that no submodule attribute shadows it
        from ._summary import summary

        return summary
    if name in ("save", "load"):
        from . import serialization

        return getattr(serialization, name)
    if name in ("TypedStorage", "UntypedStorage", "is_storage"):
        from . import storage

        return getattr(storage, name)
    if name in _DEPRECATED_HAS:
        module, function = _DEPRECATED_HAS[name]
        _warnings.warn(f"'{name}' is deprecated, please use 'torchless.{module}.{function}()'", UserWarning,
                       stacklevel=2)
        return getattr(_importlib.import_module(f"{__name__}.{module}"), function)()
    raise AttributeError(f"module 'torchless' has no attribute '{name}'")


# torch.has_cuda and co.: deprecated flags PyTorch answers (with a warning) from its backends
_DEPRECATED_HAS = {"has_mps": ("backends.mps", "is_built"), "has_cuda": ("backends.cuda", "is_built"),
                   "has_cudnn": ("backends.cudnn", "is_available"), "has_mkldnn": ("backends.mkldnn", "is_available")}


def __dir__():
    """The module's names and those __getattr__ gives on first use (the lazy submodules, save, load, summary, ...),
    so that dir() and tab completion list what ``torchless.<name>`` reaches, as ``dir(torch)`` does."""
    lazy = _LAZY_SUBMODULES | {"summary", "save", "load", "TypedStorage", "UntypedStorage", "is_storage"} | set(
        _LAZY_FUNCTIONS)
    return sorted(set(globals()) | lazy)


def is_floating_point(input):
    """is_floating_point(input) -> bool

    Returns ``True`` if the dtype of ``input`` is a floating point dtype (float16, bfloat16, float32, float64, ...).

    Args:
        input (Tensor): the input tensor

    Examples::

        >>> torch.is_floating_point(torch.tensor([1.0]))
        True
        >>> torch.is_floating_point(torch.tensor([1]))
        False
    """
    if not isinstance(input, Tensor):
        raise _parser_errors.not_tensor("is_floating_point", "input", 1, input)
    return input.is_floating_point()


def _assert(condition, message):
    """A wrapper around Python's assert which is symbolically traceable (torch.fx records it as a call)."""
    if not condition:
        raise AssertionError(message)


# Last, once every Tensor method exists: the docstrings of those without one of their own
from . import _tensor_docs  # noqa: E402
_tensor_docs.attach_all()
# and the methods taken from the class refusing what is not a tensor
from . import _unbound  # noqa: E402
_unbound.install(Tensor)
