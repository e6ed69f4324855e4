"""Utilities; ``torchless.utils.data`` (datasets, samplers, DataLoader) loads on first use."""
import importlib as _importlib

_LAZY_SUBMODULES = {"data", "checkpoint", "dlpack", "deterministic", "_pytree"}


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
