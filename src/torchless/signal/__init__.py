"""torchless.signal: PyTorch's ``torch.signal`` (its window functions, in ``windows``)."""
from . import windows

__all__ = ["windows"]
