"""``torch.amp``: mixed precision. torchless computes in float32 (it has no bfloat16 or reduced-precision
kernels), so ``autocast`` changes no dtype; ``GradScaler`` is PyTorch's loss scaler, working on the CPU as
PyTorch's does, and disabled (with PyTorch's warning) when asked for CUDA."""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "is_autocast_available"]
