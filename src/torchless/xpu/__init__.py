"""``torch.xpu`` as a PyTorch build without Intel GPU support has it: no device is available; seeding and the memory
counters answer without one, what needs a device raises its AssertionError."""
__all__ = ["current_device", "device_count", "empty_cache", "get_device_name", "get_device_properties",
           "get_rng_state", "is_available", "is_bf16_supported", "is_initialized", "manual_seed", "manual_seed_all",
           "memory_allocated", "memory_reserved", "max_memory_allocated", "max_memory_reserved", "seed", "seed_all",
           "set_device", "set_rng_state", "synchronize"]


def is_available():
    """False: torchless computes on the CPU."""
    return False


def device_count():
    return 0


def is_initialized():
    return False


def is_bf16_supported(including_emulation=True):
    return False


def _no_device(*args, **kwargs):
    raise AssertionError("Torch not compiled with XPU enabled")


current_device = synchronize = get_device_name = get_device_properties = set_device = _no_device
get_rng_state = set_rng_state = _no_device


def _nothing(*args, **kwargs):
    """Nothing to do without a device (PyTorch defers seeding until a device is initialised)."""


manual_seed = manual_seed_all = seed = seed_all = empty_cache = _nothing


def memory_allocated(device=None):
    return 0


memory_reserved = max_memory_allocated = max_memory_reserved = memory_allocated
