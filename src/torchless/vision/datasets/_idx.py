"""Reading IDX files (the MNIST format), plain or gzip-compressed, with every header field checked.

An IDX file is a big-endian header -- magic ``0x0000TTNN`` (TT the element type, 0x08 for uint8; NN the
number of dimensions), then NN 32-bit sizes -- followed by the elements. The sizes are checked against
how much data the file can hold before anything is allocated, so a corrupt header cannot ask for
gigabytes; any inconsistency is a RuntimeError naming the file.
"""
import gzip
import math
import os
import zlib

import numpy as np

IMAGES_MAGIC = 0x0803  # 2051: uint8, 3 dimensions (count, rows, columns)
LABELS_MAGIC = 0x0801  # 2049: uint8, 1 dimension (count)
INT_TABLE_MAGIC = 0x0C02  # 3074: big-endian int32, 2 dimensions (count, fields): QMNIST's labels
# The element types of the format (the magic's third byte), stored big-endian
_ELEMENT_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

# DEFLATE cannot expand data by more than about 1032:1, which bounds a .gz file's content before reading it.
_MAX_DEFLATE_RATIO = 1032


class _Corrupt(Exception):
    pass


def _read_exactly(stream, size):
    data = stream.read(size)
    if len(data) != size:
        raise _Corrupt(f"file ends inside the header ({len(data)} of {size} bytes)")
    return data


def _content_bound(path):
    """An upper bound on the decompressed size of ``path``."""
    size = os.path.getsize(path)
    return size * _MAX_DEFLATE_RATIO if str(path).endswith(".gz") else size


def _read_into(stream, buffer):
    view = memoryview(buffer).cast("B")
    filled = 0
    while filled < len(view):
        count = stream.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled


def read_idx(path, magic):
    """The array stored in the IDX file at ``path`` (``.gz`` files are decompressed), in native byte order.

    Args:
        path: file to read.
        magic (int): the expected magic number, e.g. ``IMAGES_MAGIC`` (2051), ``LABELS_MAGIC`` (2049) or
            ``INT_TABLE_MAGIC`` (3074); it fixes the element type and the number of dimensions.

    Raises:
        RuntimeError: naming the file, if it is truncated, has trailing bytes, a wrong magic number,
            zero-sized image dimensions, is not valid gzip, or cannot be read at all.
    """
    try:
        return _read(path, magic)
    except _Corrupt as problem:
        raise RuntimeError(f"Corrupt IDX file {path}: {problem}") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise RuntimeError(f"Corrupt IDX file {path}: {error}") from error
    except OSError as error:
        raise RuntimeError(f"Cannot read IDX file {path}: {error}") from error


def _read(path, magic):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as stream:
        found = int.from_bytes(_read_exactly(stream, 4), "big")
        if found != magic:
            raise _Corrupt(f"magic number {found}, expected {magic}")
        ndim = magic & 0xFF
        element = np.dtype(_ELEMENT_TYPES[magic >> 8])
        header_size = 4 + 4 * ndim
        shape = tuple(int.from_bytes(_read_exactly(stream, 4), "big") for _ in range(ndim))
        if any(size == 0 for size in shape[1:]):
            raise _Corrupt(f"header gives an empty item shape {shape[1:]}")
        count = math.prod(shape)
        payload = count * element.itemsize
        bound = _content_bound(path)
        if header_size + payload > bound:
            raise _Corrupt(f"header announces shape {shape} ({payload} bytes of data) but the file can hold at "
                           f"most {bound - header_size}: truncated, or a corrupt header")
        data = np.empty(count, element)
        filled = _read_into(stream, data)
        if filled != payload:
            raise _Corrupt(f"truncated: header announces shape {shape} ({payload} bytes of data), file holds "
                           f"{filled}")
        if stream.read(1):
            raise _Corrupt(f"trailing bytes after the {payload} bytes of data announced for shape {shape}")
    return data.astype(element.newbyteorder("="), copy=False).reshape(shape)
