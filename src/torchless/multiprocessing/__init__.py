"""``torch.multiprocessing``: Python's ``multiprocessing`` with PyTorch's additions, so scripts that set a
sharing strategy (``torch.multiprocessing.set_sharing_strategy('file_system')``, a common fix for DataLoader
worker errors) or start workers with ``spawn`` run unchanged. Tensors are NumPy arrays here and are pickled to
other processes, so the strategy is recorded and changes nothing."""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403 - the module PyTorch's extends, as PyTorch re-exports it

from .spawn import (ProcessContext, ProcessException, ProcessExitedException, ProcessRaisedException, spawn,
                    start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies"] + multiprocessing.__all__

_all_sharing_strategies = {"file_descriptor", "file_system"}
_sharing_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy):
    """Set the strategy for sharing CPU tensors: one of :func:`get_all_sharing_strategies`."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of {_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    """The current strategy for sharing CPU tensors."""
    return _sharing_strategy


def get_all_sharing_strategies():
    """The set of sharing strategies this system supports."""
    return _all_sharing_strategies
