"""``torch.version``: the build's versions, as a CPU-only PyTorch build has them (no CUDA, ROCm or XPU).

``__version__`` is the PyTorch release whose API and numbers torchless follows, with torchless's own release as
its local label (``2.13.0+torchless.0.1.0``): code written for PyTorch compares ``torch.__version__`` to choose
between APIs (``torch.__version__ >= (2, 0)``), and the package's own number would send it down PyTorch 0.1's
paths. ``torchless`` is the package's release alone."""
from .torch_version import TorchVersion

__all__ = ["__version__", "debug", "cuda", "git_version", "hip", "rocm", "xpu"]

torchless = "0.1.0"  # the package's release (its distribution metadata's version)
pytorch = "2.13.0"  # the PyTorch release whose behaviour torchless matches
torchvision = "0.29.1"  # and torchvision's, for torchless.vision
__version__ = TorchVersion(f"{pytorch}+torchless.{torchless}")

debug = False
cuda = None
git_version = None
hip = None
rocm = None
xpu = None
