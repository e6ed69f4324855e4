"""``torch.autocast``: a context manager (and decorator) that would run ops in lower precision.

On a CUDA device, which torchless has not, PyTorch's CPU-only build warns and disables it: so does this
one. On the CPU, PyTorch would compute in bfloat16; torchless has no bfloat16, so it warns once and
keeps float32 (outputs keep their float32 dtype where PyTorch's would be bfloat16).
"""
import functools
import warnings

from .._device import device

_state = {"enabled": False, "warned_cpu": False}


def is_autocast_available(device_type):
    """Whether PyTorch has autocast for the device type (CUDA's is then disabled at run time here)."""
    return device_type in ("cpu", "cuda")


def is_autocast_enabled(device_type=None):
    """Whether an enabled CPU autocast region is active; without a device type PyTorch asks about CUDA."""
    return _state["enabled"] and device_type == "cpu"


class autocast:
    """``with torchless.autocast(device_type="cpu"):``; see the module docstring for what it does here."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        device(device_type)  # PyTorch's error for a name that is no device type
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = enabled
        if enabled and device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
            self._enabled = False
        elif enabled and device_type == "cpu" and not _state["warned_cpu"]:
            _state["warned_cpu"] = True
            warnings.warn("torchless has no bfloat16 or float16 kernels: autocast(device_type='cpu') computes in "
                          "float32, so outputs keep float32 where PyTorch's would be reduced precision.", stacklevel=2)
        elif enabled and device_type != "cpu":
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")

    def __enter__(self):
        self._previous = _state["enabled"]
        _state["enabled"] = self._enabled and self.device == "cpu"
        return self

    def __exit__(self, *exc):
        _state["enabled"] = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def decorated(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return decorated
