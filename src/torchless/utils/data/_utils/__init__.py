"""Where PyTorch keeps the DataLoader's helpers (``torch.utils.data._utils``): its ``collate`` module is the
documented way to extend ``default_collate`` (``collate`` with a copy of ``default_collate_fn_map``); ``worker``
defines ``WorkerInfo`` and ``get_worker_info``."""
import sys

from . import collate, worker

IS_WINDOWS = sys.platform == "win32"
MP_STATUS_CHECK_INTERVAL = 5.0  # (seconds: PyTorch's workers check their parent is alive this often)

__all__ = ["collate", "worker"]
