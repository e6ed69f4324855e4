"""``torch.backends.cudnn``: no cuDNN here; its flags are kept and have no effect."""
import sys
from contextlib import contextmanager

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
fp32_precision = "none"
depthwise_kernel = "auto"
benchmark_limit = None  # (PyTorch has it only where cuDNN is available)


def is_available():
    return False


def version():
    return None


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None, _allow_tf32=None,
              _fp32_precision="none", _depthwise_kernel=None):
    """Set the flags given (not None) and return all of them as they were, for :func:`flags` to restore."""
    module = sys.modules[__name__]
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32", "fp32_precision",
             "depthwise_kernel")
    orig_flags = tuple(getattr(module, name) for name in names)
    values = (_enabled, _benchmark, None, _deterministic, _allow_tf32, _fp32_precision, _depthwise_kernel)
    for name, value in zip(names, values):  # (the benchmark limit stays None: it needs cuDNN)
        if value is not None:
            setattr(module, name, value)
    return orig_flags


@contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
          fp32_precision="none", depthwise_kernel="auto"):
    """Every flag set for the block (to these defaults unless given), and restored after it."""
    orig_flags = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32, fp32_precision,
                           depthwise_kernel)
    try:
        yield
    finally:
        set_flags(*orig_flags)
