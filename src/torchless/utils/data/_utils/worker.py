"""``torch.utils.data._utils.worker``: where PyTorch defines ``WorkerInfo`` and ``get_worker_info`` (code that
imports them from there finds torchless's)."""
from .._worker import WorkerInfo, get_worker_info

__all__ = ["WorkerInfo", "get_worker_info"]
