"""``torch.utils.benchmark``: timing Python statements with replicates, and tables comparing the results.

    >>> import torchless.utils.benchmark as benchmark
    >>> x = torchless.randn(64, 64)
    >>> m = benchmark.Timer("x @ x", globals={"x": x}, label="matmul", description="64x64").blocked_autorange()
    >>> print(m)                      # median and IQR of the per-run times
    >>> benchmark.Compare([m]).print()

Results print and tabulate as PyTorch's do. Only Python statements on the CPU are timed: PyTorch's C++
timing and Callgrind instruction counts have no counterpart here, nor have its fuzzers.
"""
from .utils.common import *  # noqa: F403
from .utils.timer import *  # noqa: F403
from .utils.compare import *  # noqa: F403
