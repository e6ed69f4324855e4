"""``torch.nn.attention``: choosing scaled_dot_product_attention's backend. On the CPU PyTorch has two, the math
one and a fused (flash) one, which torchless computes alike; the choice decides which calls are refused."""
import contextlib
import enum

from ...backends import cuda as _cuda

__all__ = ["SDPBackend", "WARN_FOR_UNFUSED_KERNELS", "can_use_efficient_attention", "can_use_flash_attention",
           "sdpa_kernel"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.Enum):
    """The backends of scaled_dot_product_attention."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self):
        return self.value

    def __repr__(self):
        return f"<SDPBackend.{self.name}: {self.value}>"


_SWITCHES = {SDPBackend.MATH: "math", SDPBackend.FLASH_ATTENTION: "flash",
             SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.CUDNN_ATTENTION: "cudnn"}


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Within the block, scaled_dot_product_attention may use only ``backends`` (an SDPBackend or a list)."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
                             f"{type(backends).__name__}")
    chosen = {backends} if isinstance(backends, SDPBackend) else set(backends)
    previous = dict(_cuda._sdp_enabled)
    for backend, switch in _SWITCHES.items():
        _cuda._sdp_enabled[switch] = backend in chosen
    try:
        yield {}
    finally:
        _cuda._sdp_enabled.update(previous)


def can_use_flash_attention(params, debug=False):
    """Whether CUDA's flash attention kernel takes ``params``: never, without CUDA."""
    return False


def can_use_efficient_attention(params, debug=False):
    """Whether CUDA's memory-efficient attention kernel takes ``params``: never, without CUDA."""
    return False
