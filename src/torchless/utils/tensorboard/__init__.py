"""``torch.utils.tensorboard`` for torchless: ``SummaryWriter`` logging to TensorBoard event files.

Built on the ``tensorboard`` package (``pip install torchless[tensorboard]``), as PyTorch's is; importing this
module without it fails as PyTorch's does.
"""
import tensorboard


def _release(version):
    """The leading numeric components of a version string: '2.21.0rc1' -> (2, 21, 0)."""
    parts = []
    for piece in str(version).split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts)


if not hasattr(tensorboard, "__version__") or _release(tensorboard.__version__) < (1, 15):
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above")

del tensorboard

from tensorboard.summary.writer.record_writer import RecordWriter  # noqa: E402

from .writer import FileWriter, SummaryWriter  # noqa: E402

__all__ = ["FileWriter", "RecordWriter", "SummaryWriter"]
