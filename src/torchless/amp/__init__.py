"""``torch.amp``: mixed precision. ``autocast("cpu")`` runs PyTorch's CPU autocast lists in bfloat16 with the
optional ml_dtypes package (torchless[bf16]), and changes no dtype without it; ``GradScaler`` is PyTorch's loss
scaler, working on the CPU as PyTorch's does, and disabled (with PyTorch's warning) when asked for CUDA."""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "is_autocast_available"]
