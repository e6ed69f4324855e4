"""LinearCrossEntropyOptions: PyTorch's settings for the chunked ``linear_cross_entropy``, validated as there.

torchless has one implementation, the reference one (the logits in full), whatever the options: chunking only
bounds PyTorch's peak memory, the loss and gradients are the same. The options are still checked, and resolved
(``_adjust``) at call time, so that invalid ones fail as in PyTorch.
"""
import dataclasses
from typing import NamedTuple

from ... import _dtype

__all__ = ["LinearCrossEntropyOptions"]


class _AutoDefault(NamedTuple):
    acc_policy: str
    chunking_method: str


# PyTorch's picks for "auto" by (device type, input dtype); other pairs take the fallback
_AUTO_DEFAULTS = {
    ("cuda", _dtype.bfloat16): _AutoDefault("compact", "aspect_ratio:2"),
    ("cuda", _dtype.float16): _AutoDefault("compact", "aspect_ratio:2"),
    ("cpu", _dtype.bfloat16): _AutoDefault("accurate", "aspect_ratio"),
    ("cpu", _dtype.float16): _AutoDefault("accurate", "aspect_ratio"),
}
_AUTO_FALLBACK = _AutoDefault("compact", "aspect_ratio:2")
_ACC_DTYPES = (_dtype.float16, _dtype.bfloat16, _dtype.float32, _dtype.float64)


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """Configuration of the chunked :func:`~torchless.nn.functional.linear_cross_entropy` (PyTorch's fields:
    ``allow_retain_graph``, ``batch_chunk_size``, ``chunking_method``, ``acc_policy``, ``acc_dtype``).

    ``options=None`` selects the reference path; an instance opts in to chunking, which in torchless computes
    the same loss the reference way.
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in {"auto", "accurate", "balanced", "compact"}:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            if not sep:
                factor = "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None
                or (isinstance(self.batch_chunk_size, int) and self.batch_chunk_size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {self.batch_chunk_size!r}")
        if self.acc_dtype is not None and self.acc_dtype not in _ACC_DTYPES:
            raise ValueError("acc_dtype must be one of {None, torchless.float16, torchless.bfloat16, "
                             f"torchless.float32, torchless.float64}}, got {self.acc_dtype!r}. Pass acc_dtype=None "
                             "to let the op pick automatically.")

    @staticmethod
    def _ceil_div(a, b):
        return -(-a // b)

    @staticmethod
    def _resolve_auto_acc_dtype(dtype, device):
        """float32 for float16 / bfloat16 input on the CPU (its mixed-precision mm); None otherwise."""
        if device is None or dtype not in (_dtype.float16, _dtype.bfloat16) or device.type != "cpu":
            return None
        return _dtype.float32

    def _compute_batch_chunk_size(self, num_batches, in_features, num_classes, method=None):
        """The rows per chunk ``chunking_method`` picks: "aspect_ratio[:N]" makes a chunk's logits about the
        input's size (the next power of two), divided by N."""
        method = str(method if method is not None else self.chunking_method)
        if method.startswith("aspect_ratio"):
            factor = int(method.split(":", 1)[1]) if ":" in method else 1
            target = self._ceil_div(num_batches, self._ceil_div(num_classes, in_features))
            return min((1 << (target - 1).bit_length()) // factor, num_batches)
        raise AssertionError(f"unhandled chunking_method: {method!r}")

    def _adjust(self, num_batches, in_features, num_classes, dtype, device=None):
        """These options made concrete for one call ("auto" and None resolved); refuses a ``batch_chunk_size``
        that ``chunking_method`` contradicts."""
        acc_policy, chunking_method = self.acc_policy, self.chunking_method
        if chunking_method == "auto" and self.batch_chunk_size is not None:
            chunking_method = None  # an explicit size wins over the automatic one
        if acc_policy == "auto" or chunking_method == "auto":
            picked = _AUTO_DEFAULTS.get((device.type, dtype), _AUTO_FALLBACK) if device is not None else \
                _AUTO_FALLBACK
            acc_policy = picked.acc_policy if acc_policy == "auto" else acc_policy
            chunking_method = picked.chunking_method if chunking_method == "auto" else chunking_method
        batch_chunk_size = num_batches if self.batch_chunk_size is None else min(self.batch_chunk_size, num_batches)
        if chunking_method is not None:
            batch_chunk_size = self._compute_batch_chunk_size(num_batches, in_features, num_classes, chunking_method)
            if self.batch_chunk_size is not None and self.batch_chunk_size != batch_chunk_size:
                raise ValueError(f"batch_chunk_size (={self.batch_chunk_size}) and chunking_method "
                                 f"('{chunking_method}') give different chunk sizes ({self.batch_chunk_size} vs "
                                 f"{batch_chunk_size}); pass only one.")
        if self.acc_dtype is None:
            auto = self._resolve_auto_acc_dtype(dtype, device) if self.acc_policy == "auto" else None
            acc_dtype = auto if auto is not None else dtype
        else:
            acc_dtype = self.acc_dtype
        return dataclasses.replace(self, acc_policy=acc_policy, chunking_method=chunking_method,
                                   batch_chunk_size=max(1, batch_chunk_size), acc_dtype=acc_dtype)
