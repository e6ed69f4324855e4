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
