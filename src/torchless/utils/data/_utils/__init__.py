"""Where PyTorch keeps the DataLoader's helpers (``torch.utils.data._utils``): its ``collate`` module is the
documented way to extend ``default_collate`` (``collate`` with a copy of ``default_collate_fn_map``)."""
from . import collate

__all__ = ["collate"]
