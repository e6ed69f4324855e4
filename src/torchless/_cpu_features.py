"""What this CPU can do, as NumPy detected it at its import (free to ask).

Two things depend on it: which kernels are fastest here (OpenBLAS runs 512-bit kernels where the CPU
has AVX-512) and which of PyTorch's CPU backends a call would reach, whose errors (and roundings) torchless
repeats (oneDNN takes half-precision convolutions where the CPU has AVX-512 FP16 arithmetic).
"""


def _numpy_features():
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return {}
    return __cpu_features__


_FEATURES = _numpy_features()


def has(feature):
    """Whether the CPU has ``feature``, by NumPy's name for it ("AVX512F", "AVX512FP16", ...)."""
    return bool(_FEATURES.get(feature))


def _vendor():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("vendor_id"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


_VENDOR = None


def is_intel():
    """Whether the CPU is Intel's: MKL, inside PyTorch, takes its tuned kernels (fused multiply-adds) only there;
    on AMD's CPUs its GEMMs multiply and add separately."""
    global _VENDOR
    if _VENDOR is None:
        _VENDOR = _vendor()
    return _VENDOR == "GenuineIntel"
