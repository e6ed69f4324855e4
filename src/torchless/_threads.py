"""``torch.get_num_threads`` / ``torch.set_num_threads``: how many threads a kernel call may use."""
import numbers

from ._kernels import parallel


def get_num_threads():
    """How many threads one kernel call may be split over (at start: the cores this process may use)."""
    return parallel.get_num_threads()


def set_num_threads(int):  # noqa: A002 - PyTorch's parameter name
    """Lets one kernel call use at most ``int`` threads.

    torchless splits large convolutions, matrix products, pooling and element-wise updates into at
    most that many parts run at once; 1 runs every call whole.
    """
    if isinstance(int, bool) or not isinstance(int, numbers.Integral):
        from .nn._functional._args import _tp_name  # (a NumPy scalar named with its module, as CPython's C types)

        raise RuntimeError(f"set_num_threads expects an int, but got {_tp_name(int)}")
    if int <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    parallel.set_num_threads(int)
