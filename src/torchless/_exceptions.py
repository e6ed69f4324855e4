"""PyTorch's exception classes at the top of its namespace, which scripts name in ``except`` clauses
(``except torch.cuda.OutOfMemoryError:`` around a batch-size search). torchless has no accelerator and leaves
memory to NumPy, so it never raises them."""


class AcceleratorError(RuntimeError):
    """An error an accelerator reported."""

    __module__ = "torchless"


class OutOfMemoryError(RuntimeError):
    """An accelerator's allocator ran out of memory (``torch.cuda.OutOfMemoryError`` is this class)."""

    __module__ = "torchless"
