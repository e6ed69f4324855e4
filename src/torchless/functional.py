"""``torch.functional``: the torch functions PyTorch writes in Python (``split``, ``einsum``, ``stft``, ...), which
torch.fx records under this module's name (``torch.functional.split``) and a GraphModule's code calls so. Each is
the ``torchless`` function of its name."""
import torchless as _torchless

_NAMES = ("atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors", "cartesian_prod",
          "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu", "norm", "meshgrid", "pca_lowrank", "split",
          "stft", "svd_lowrank", "tensordot", "unique", "unique_consecutive", "unravel_index")
__all__ = list(_NAMES)  # (the functions are given by __getattr__)


def __getattr__(name):
    # (looked up when asked: some are loaded on first use, and while fx traces they are its recording versions)
    if name in _NAMES:
        return getattr(_torchless, name)
    raise AttributeError(f"module 'torchless.functional' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
