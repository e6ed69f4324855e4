"""``torch.mps`` on a machine without Apple's Metal backend: nothing is available, seeding does nothing, and what
needs the backend raises PyTorch's RuntimeError."""
__all__ = ["current_allocated_memory", "device_count", "driver_allocated_memory", "empty_cache", "get_rng_state",
           "is_available", "manual_seed", "recommended_max_memory", "seed", "set_per_process_memory_fraction",
           "set_rng_state", "synchronize"]


def is_available():
    """False: torchless computes on the CPU."""
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Nothing to do without the backend (as in PyTorch)."""


def _needs_backend(operation):
    def call(*args, **kwargs):
        raise RuntimeError(f"Cannot execute {operation}() without MPS backend.")

    call.__name__ = operation
    return call


synchronize = _needs_backend("deviceSynchronize")
empty_cache = _needs_backend("emptyCache")
seed = get_rng_state = set_rng_state = _needs_backend("getDefaultGenerator")
set_per_process_memory_fraction = _needs_backend("setMemoryFraction")
current_allocated_memory = _needs_backend("getCurrentAllocatedMemory")
driver_allocated_memory = _needs_backend("getDriverAllocatedMemory")
recommended_max_memory = _needs_backend("getRecommendedMaxMemory")
