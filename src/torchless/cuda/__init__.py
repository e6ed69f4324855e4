"""``torch.cuda`` as a CPU-only PyTorch build has it: no device is available.

Code written for both (``device = torch.device("cuda" if torch.cuda.is_available() else "cpu")``) takes
its CPU branch. What a CPU-only build answers without a device (seeding, emptying the cache, memory
counters) answers the same here; what needs a device raises its AssertionError.
"""

__all__ = ["amp", "device", "device_count", "empty_cache", "is_available", "is_bf16_supported", "is_initialized",
           "manual_seed", "manual_seed_all", "max_memory_allocated", "max_memory_reserved", "memory_allocated",
           "memory_reserved", "seed", "seed_all", "synchronize", "current_device", "get_device_name",
           "get_device_properties", "get_device_capability", "set_device", "init", "initial_seed",
           "get_rng_state", "set_rng_state", "ipc_collect", "mem_get_info", "reset_peak_memory_stats",
           "OutOfMemoryError", "Stream", "Event", "current_stream", "default_stream", "memory_stats",
           "get_arch_list", "memory_cached", "max_memory_cached"]

import collections

from . import amp
from .._exceptions import OutOfMemoryError
from .._legacy_types import CUDA_LEGACY_TYPES as _LEGACY_TYPES

_NOT_COMPILED = "Torch not compiled with CUDA enabled"
# FloatTensor, LongTensor, ...: nameable, never instantiable here
globals().update(_LEGACY_TYPES)


def is_available():
    """False: torchless computes on the CPU."""
    return False


def device_count():
    return 0


# (code checks the flag itself: reformer's ``if torch.cuda._initialized:`` before saving device random states)
_initialized = False


def is_initialized():
    return _initialized


def is_bf16_supported(including_emulation=True):
    return False


def _no_device(*args, **kwargs):
    raise AssertionError(_NOT_COMPILED)


current_device = synchronize = get_device_name = get_device_properties = get_device_capability = _no_device
set_device = init = initial_seed = get_rng_state = set_rng_state = mem_get_info = _no_device
reset_peak_memory_stats = ipc_collect = current_stream = default_stream = _no_device


def _nothing(*args, **kwargs):
    """Nothing to do without a device (PyTorch defers CUDA seeding until a device is initialised)."""


manual_seed = manual_seed_all = seed = seed_all = empty_cache = _nothing


def memory_allocated(device=None):
    return 0


memory_reserved = max_memory_allocated = max_memory_reserved = memory_cached = max_memory_cached = memory_allocated


def memory_stats(device=None):
    """No allocator, no statistics: an empty dictionary, as a CPU-only PyTorch gives."""
    return collections.OrderedDict()


def get_arch_list():
    """The CUDA architectures this build was compiled for: none."""
    return []


class Stream:
    """``torch.cuda.Stream``: nameable (``isinstance`` checks, annotations), never made without CUDA."""

    def __new__(cls, device=None, priority=0, **kwargs):
        raise RuntimeError("torch.cuda.Stream requires CUDA support")


class Event:
    """``torch.cuda.Event``, the timer of CUDA code: nameable, never made without CUDA (PyTorch's dummy base)."""

    def __new__(cls, enable_timing=False, blocking=False, interprocess=False, external=False):
        raise RuntimeError("Tried to instantiate dummy base class Event")


class device:
    """``with torch.cuda.device(i):`` selects CUDA device ``i``; only the "no device" index -1 works here."""

    def __init__(self, device):
        self.idx = device

    def __enter__(self):
        if not (isinstance(self.idx, int) and self.idx < 0):
            raise RuntimeError("PyTorch was compiled without CUDA support")
        return self

    def __exit__(self, *exc):
        return False
