"""``torch.nn.parallel``: DataParallel as PyTorch runs it without GPUs (a plain call of the wrapped module), and
DistributedDataParallel in a one-process world."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
