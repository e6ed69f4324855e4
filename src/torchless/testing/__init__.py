"""torchless.testing: ``assert_close`` (PyTorch's closeness check with its tolerances and messages) and
``make_tensor`` (random test tensors drawn as PyTorch draws them)."""
from ._comparison import assert_allclose, assert_close
from ._creation import make_tensor

__all__ = ["assert_allclose", "assert_close", "make_tensor"]
