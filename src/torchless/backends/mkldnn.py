"""``torch.backends.mkldnn``: oneDNN, which torchless does not use (its kernels are NumPy's); its flags are kept
and have no effect."""
import sys
from contextlib import contextmanager

enabled = True
deterministic = False
allow_tf32 = None  # (PyTorch's getter without an Intel GPU)
fp32_precision = "none"


def is_available():
    return False


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None, _fp32_precision="none"):
    """Set the flags given (not None) and return all of them as they were, for :func:`flags` to restore."""
    module = sys.modules[__name__]
    names = ("enabled", "deterministic", "allow_tf32", "fp32_precision")
    orig_flags = tuple(getattr(module, name) for name in names)
    for name, value in zip(names, (_enabled, _deterministic, _allow_tf32, _fp32_precision)):
        if value is not None:
            setattr(module, name, value)
    return orig_flags


@contextmanager
def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    """Every flag set for the block (to these defaults unless given), and restored after it."""
    orig_flags = set_flags(enabled, deterministic, allow_tf32, fp32_precision)
    try:
        yield
    finally:
        set_flags(*orig_flags)
