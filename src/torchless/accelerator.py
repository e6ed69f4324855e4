"""``torch.accelerator``: the device-agnostic way PyTorch code asks for an accelerator (PyTorch's MNIST
example: ``torch.accelerator.is_available()``). torchless has none, so it answers as a CPU-only PyTorch:
nothing is available, and what needs a device raises PyTorch's RuntimeError."""

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "current_stream", "device_count",
           "empty_cache", "get_device_capability", "get_memory_info", "is_available", "max_memory_allocated",
           "max_memory_reserved", "memory_allocated", "memory_reserved", "memory_stats",
           "reset_accumulated_memory_stats", "reset_peak_memory_stats", "set_device_idx", "set_device_index",
           "set_stream", "synchronize"]


def is_available():
    return False


def device_count():
    return 0


def current_accelerator(check_available=False):
    """None: there is no accelerator (so ``device = torch.accelerator.current_accelerator() or "cpu"`` picks the CPU)."""
    return None


def _no_accelerator(*args, **kwargs):
    raise RuntimeError("Cannot access accelerator device when none is available.")


current_device_idx = current_device_index = current_stream = empty_cache = get_device_capability = _no_accelerator
get_memory_info = max_memory_allocated = max_memory_reserved = memory_allocated = memory_reserved = _no_accelerator
memory_stats = reset_accumulated_memory_stats = reset_peak_memory_stats = set_device_idx = _no_accelerator
set_device_index = set_stream = synchronize = _no_accelerator
