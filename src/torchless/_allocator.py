"""glibc malloc settings that keep NumPy's large temporaries off the page-fault path.

A training step allocates and frees many arrays of 0.1-10 MB (activations, their
gradients, the kernels' outputs).  With glibc's defaults the top of the heap is
handed back to the kernel as soon as more than a few megabytes are free there,
so the next step's arrays land on fresh pages and pay one page fault per 4 KiB:
measured here, 635 faults per course-CNN training step, 15-20% of its time.
Keeping up to ``TRIM_THRESHOLD_BYTES`` of freed heap for reuse removes them (0.4
faults per step).  Peak memory is unchanged; memory freed after a peak is
returned to the system only once more than that is free.

This is process-wide, as every malloc setting is, so it is applied once at
import and only where it is unambiguous: on glibc, and only when the user has
not tuned malloc themselves (``MALLOC_*_`` variables or ``GLIBC_TUNABLES``).
``TORCHLESS_MALLOC_TUNING=0`` turns it off.
"""
import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

# Freed heap kept for reuse before any is returned to the system.
TRIM_THRESHOLD_BYTES = 64 * 2**20
# Larger blocks get their own mapping, as glibc's adaptive threshold would eventually decide
# (32 MiB is its upper bound); setting it fixes it there instead of letting it adapt.
MMAP_THRESHOLD_BYTES = 32 * 2**20

_USER_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES")


def _glibc():
    """The running C library if it is glibc, else None."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
        return libc
    except (OSError, AttributeError):
        return None


def tune_malloc(environ=os.environ, platform=sys.platform):
    """Apply the settings above; returns whether they were applied."""
    if not platform.startswith("linux") or environ.get("TORCHLESS_MALLOC_TUNING") == "0":
        return False
    if any(name in environ for name in _USER_SETTINGS):
        return False
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))


applied_at_import = False  # whether importing torchless applied the settings (see tune_malloc_at_import)


def tune_malloc_at_import():
    """tune_malloc() with the process's environment, its outcome kept in ``applied_at_import``."""
    global applied_at_import
    applied_at_import = tune_malloc()
