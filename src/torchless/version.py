"""``torch.version``: the build's versions, as a CPU-only PyTorch build has them (no CUDA, ROCm or XPU)."""
from . import __version__

__all__ = ["__version__", "debug", "cuda", "git_version", "hip", "rocm", "xpu"]

debug = False
cuda = None
git_version = None
hip = None
rocm = None
xpu = None
