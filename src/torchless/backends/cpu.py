"""``torch.backends.cpu``: which vector instructions the CPU kernels may use.

PyTorch picks one level of its kernels per machine; torchless's arithmetic is NumPy's, which makes the same
kind of choice for itself, so the answer describes the CPU as PyTorch would see it.
"""
import os
import platform

from .. import _cpu_features as cpu_features

__all__ = ["get_cpu_capability"]

_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")


def _supported_level():
    if cpu_features.has("AVX512VL") and cpu_features.has("AVX512BW") and cpu_features.has("AVX512DQ") \
            and cpu_features.has("FMA3"):
        return "AVX512"
    if cpu_features.has("AVX2") and cpu_features.has("FMA3"):
        return "AVX2"
    return "DEFAULT"


def get_cpu_capability():
    r"""Return cpu capability as a string value: on x86 "AVX512", "AVX2" or "DEFAULT" (a lower level than the
    CPU's when the ``ATEN_CPU_CAPABILITY`` environment variable asks for one), elsewhere "DEFAULT"."""
    if not _X86:
        return "DEFAULT"
    level = _supported_level()
    requested = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    order = ["DEFAULT", "AVX2", "AVX512"]
    wanted = {"default": "DEFAULT", "avx2": "AVX2", "avx512": "AVX512"}.get(requested)
    if wanted is not None and order.index(wanted) < order.index(level):
        return wanted
    return level
