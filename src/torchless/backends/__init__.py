"""``torch.backends``: the switches PyTorch code sets for its accelerators' libraries.

torchless has none of those libraries, so the flags are accepted and kept (``torch.backends.cudnn.benchmark
= True`` runs unchanged) and change nothing: its kernels choose their algorithm per shape, and are
deterministic, whatever they say. Availability queries answer as PyTorch's CPU-only build does.
"""
from . import cpu, cuda, cudnn, mkldnn, mps

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps"]
