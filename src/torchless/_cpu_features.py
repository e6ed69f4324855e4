"""What this CPU can do, as NumPy detected it at its import (free to ask), and who made it.

Three things depend on it: which kernels are fastest here (OpenBLAS runs 512-bit kernels where the CPU
has AVX-512), which of PyTorch's CPU backends a call would reach, whose errors and roundings torchless
repeats (oneDNN takes half-precision convolutions where the CPU has AVX-512 FP16 arithmetic), and how
PyTorch's MKL rounds (its kernels for Intel CPUs fuse multiply-adds that its code for AMD's rounds twice).
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


def _read_vendor():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("vendor_id"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # not Linux: Windows names the vendor in the processor's description
        pass
    import platform

    for vendor in ("GenuineIntel", "AuthenticAMD"):
        if vendor in platform.processor():
            return vendor
    return ""


_VENDOR = None  # read on first use: `import torchless` need not open /proc/cpuinfo


def vendor():
    """The CPU's vendor string ("GenuineIntel", "AuthenticAMD"; empty where it cannot be read)."""
    global _VENDOR
    if _VENDOR is None:
        _VENDOR = _read_vendor()
    return _VENDOR


def mkl_fuses_multiply_adds():
    """Whether PyTorch's MKL fuses the multiply-adds of its GEMM and LU kernels here: its kernels for Intel's CPUs
    do; the code it runs on AMD's rounds each product and each sum (measured on Intel Xeon and AMD EPYC hosts:
    affine grids, so the pixel a nearest warp picks at a tie, and the pivots of singular matrices differ)."""
    return vendor() != "AuthenticAMD"


def mkl_gemm_rounds_each_product(rows, columns, depth):
    """Whether PyTorch's MKL computes a (rows x depth) @ (depth x columns) float32 or float64 product, one thread or
    two, by adding each product, rounded, to its output in order of depth, from zero (or from C where beta = 1),
    with no fused multiply-add: its code for AMD's CPUs does so for one row, and for two or three where the
    columns come in fours or the depth is at most 3 (measured on an AMD EPYC, Zen 4, torch 2.13.0's MKL, every
    shape probed: 1-3 rows, 9-7,680 columns, depths 1-2,000. With other column counts its first columns % 4 come
    in another order; from four rows on, from a fused kernel, whose sums OpenBLAS's equal up to a depth of ~27)."""
    if mkl_fuses_multiply_adds():
        return False
    return rows == 1 or (rows <= 3 and (columns % 4 == 0 or depth <= 3))
