"""``torch.autocast``: a context manager (and decorator) that runs ops in lower precision.

On a CUDA device, which torchless has not, PyTorch's CPU-only build warns and disables it: so does this
one. On the CPU, with bfloat16 tensors (the optional ml_dtypes package, torchless[bf16]), the ops on PyTorch's CPU
autocast lists run as PyTorch runs them (convolutions, matrix products and linear in bfloat16, losses in float32:
see torchless._opmath); without ml_dtypes, or for another dtype than bfloat16, it warns once and keeps float32
(outputs keep their float32 dtype where PyTorch's would be reduced precision).
"""
import functools
import warnings

from .._device import device

_state = {"warned_cpu": False, "cache_enabled": True, "nesting": 0}
# Whether autocast is on, per device type: PyTorch keeps the flag for every type, and a CPU-only build sets CUDA's too
_enabled = {}
_dtypes = {}  # the autocast dtypes set per device type (set_autocast_dtype), over PyTorch's defaults


def is_autocast_available(device_type):
    """Whether PyTorch has autocast for the device type (CUDA's is then disabled at run time here)."""
    return device_type in ("cpu", "cuda")


def _device_type(device_type):
    return device(device_type).type  # (PyTorch's error for a name that is no device type)


def is_autocast_enabled(device_type="cuda"):
    """Whether autocast is on for ``device_type``; without one PyTorch asks about CUDA."""
    return _enabled.get(_device_type(device_type), False)


def set_autocast_enabled(*args):
    """``set_autocast_enabled(device_type, enabled)``, or PyTorch's older ``set_autocast_enabled(enabled)`` for CUDA:
    switches the flag is_autocast_enabled reads, and for the CPU the ops autocast lowers (as the autocast context
    manager, without it)."""
    device_type, enabled = ("cuda",) + args if len(args) == 1 else args
    if type(enabled) is not bool:
        from .._parser_errors import wrong_type

        raise wrong_type("set_autocast_enabled", "enabled", len(args), enabled, "bool")
    kind = _device_type(device_type)
    _enabled[kind] = enabled
    if kind == "cpu":
        from .. import _opmath

        _opmath.autocast_state[0] = _lowering(get_autocast_dtype("cpu")) if enabled else None


def _lowering(fast_dtype):
    """The NumPy dtype the CPU autocast lowers its ops to for ``fast_dtype``: bfloat16's when that is it and
    ml_dtypes imports; else None (ops keep float32)."""
    from .. import _dtype

    return _dtype.bfloat16_numpy() if fast_dtype is _dtype.bfloat16 else None


def get_autocast_dtype(device_type):
    """The dtype autocast would compute in on ``device_type`` (torchless computes in float32 regardless)."""
    kind = _device_type(device_type)
    if kind == "meta":
        raise RuntimeError("unsupported scalarType")
    if kind in _dtypes:
        return _dtypes[kind]
    from .. import _dtype

    return _dtype.bfloat16 if kind == "cpu" else _dtype.float16


def set_autocast_dtype(device_type, dtype):
    from .. import _dtype

    if not isinstance(dtype, _dtype.dtype):
        from .._parser_errors import wrong_type

        raise wrong_type("set_autocast_dtype", "dtype", 2, dtype, "torchless.dtype")
    _dtypes[_device_type(device_type)] = dtype


def _deprecated(old, new):
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def set_autocast_cpu_dtype(dtype):
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def set_autocast_gpu_dtype(dtype):
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


def is_autocast_cpu_enabled():
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def is_autocast_cache_enabled():
    return _state["cache_enabled"]


def set_autocast_cache_enabled(enabled):
    _state["cache_enabled"] = bool(enabled)


def clear_autocast_cache():
    """Nothing to clear: torchless casts no weights ahead of time."""


def autocast_increment_nesting():
    """The depth of nested autocast regions after entering one (PyTorch's counter, kept for its API)."""
    _state["nesting"] += 1
    return _state["nesting"]


def autocast_decrement_nesting():
    _state["nesting"] -= 1
    return _state["nesting"]


class autocast:
    """``with torchless.autocast(device_type="cpu"):``; see the module docstring for what it does here."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        device(device_type)  # PyTorch's error for a name that is no device type
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._enabled = enabled
        if enabled and device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
            self._enabled = False
        elif enabled and device_type == "cpu" and self._lowers_to() is None and not _state["warned_cpu"]:
            _state["warned_cpu"] = True
            warnings.warn("torchless has no bfloat16 or float16 kernels: autocast(device_type='cpu') computes in "
                          "float32, so outputs keep float32 where PyTorch's would be reduced precision.", stacklevel=2)
        elif enabled and device_type != "cpu":
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")

    def _lowers_to(self):
        """The NumPy dtype the CPU autocast lowers its ops to: bfloat16's when that is its dtype and ml_dtypes
        imports; else None (ops keep float32)."""
        return _lowering(self.fast_dtype)

    def __enter__(self):
        from .. import _opmath

        self._previous = _enabled.get(self.device, False)
        self._previous_lowering = _opmath.autocast_state[0]
        _enabled[self.device] = self._enabled and self.device == "cpu"
        if self.device == "cpu":
            _opmath.autocast_state[0] = self._lowers_to() if self._enabled else None
        return self

    def __exit__(self, *exc):
        from .. import _opmath

        _enabled[self.device] = self._previous
        if self.device == "cpu":
            _opmath.autocast_state[0] = self._previous_lowering
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def decorated(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return decorated


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom autograd Function's ``forward(ctx, ...)`` under autocast: it records the autocast
    state on ``ctx`` for custom_bwd, and with ``cast_inputs``, inside an autocast region of ``device_type``, casts
    its floating-point tensor arguments to that dtype and runs with autocast off."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorated(*args, **kwargs):
        ctx, enabled = args[0], is_autocast_enabled(device_type)
        ctx._dtype = get_autocast_dtype(device_type)
        ctx._fwd_used_autocast = enabled and cast_inputs is None
        if cast_inputs is None or not enabled:
            return fwd(*args, **kwargs)
        with autocast(device_type=device_type, enabled=False):
            return fwd(*_cast(args, cast_inputs), **_cast(kwargs, cast_inputs))

    return decorated


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom autograd Function's ``backward(ctx, ...)``: it runs in the autocast state its forward
    (decorated with custom_fwd) ran in."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorated(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type=device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)

    return decorated


def _cast(value, dtype):
    from .._tensor import Tensor

    if isinstance(value, Tensor):
        return value.to(dtype) if value.is_floating_point() else value
    if isinstance(value, dict):
        return {key: _cast(item, dtype) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(item, dtype) for item in value)
    return value
