"""Raw file bytes as a one-dimensional uint8 tensor, and back."""
import os

import numpy as np

from ..._creation import as_tensor
from ..._tensor import Tensor
from ... import _dtype


def read_file(path):
    """The bytes of the file at ``path`` as a one-dimensional uint8 tensor.

    Raises:
        RuntimeError: for a file that cannot be read or is empty, as torchvision's C++ reader raises.
    """
    path = str(path)  # as torchvision hands any path (or anything else) to its C++ reader
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise RuntimeError(f"[Errno {error.errno}] {error.strerror}: '{path}'") from None
    if not data:
        raise RuntimeError("Expected a non empty file")
    return as_tensor(np.frombuffer(data, dtype=np.uint8).copy())


def write_file(filename, data):
    """Write a one-dimensional uint8 tensor's bytes to ``filename``."""
    check_byte_tensor(data)
    with open(os.fspath(filename), "wb") as f:
        f.write(data.numpy().tobytes())


def check_byte_tensor(data):
    """RuntimeError unless ``data`` is a non-empty one-dimensional uint8 tensor, with the messages of
    torchvision's ``decode_image`` (and ``write_file``)."""
    if not isinstance(data, Tensor) or data.dtype != _dtype.uint8:
        raise RuntimeError("Expected a torch.uint8 tensor")
    if data.ndim != 1 or data.numel() == 0:
        raise RuntimeError("Expected a non empty 1-dimensional tensor")


# c10's ScalarType names, which torchvision's format-specific decoders print
_SCALAR_TYPE_NAMES = {"uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                      "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
                      "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def check_encoded_data(data):
    """The check of torchvision's decode_png / decode_jpeg / decode_gif / decode_webp (``validate_encoded_data``),
    whose wording differs from ``decode_image``'s."""
    if not isinstance(data, Tensor):
        check_byte_tensor(data)
    if data.dtype != _dtype.uint8:
        name = str(data.dtype).rsplit(".", 1)[-1]
        raise RuntimeError(f"Input tensor must have uint8 data type, got {_SCALAR_TYPE_NAMES.get(name, name)}")
    if data.ndim != 1 or data.numel() == 0:
        # (sic: two spaces, as torchvision's C++ message)
        raise RuntimeError(f"Input tensor must be 1-dimensional and non-empty, got {data.ndim} dims  and "
                           f"{data.numel()} numels.")
