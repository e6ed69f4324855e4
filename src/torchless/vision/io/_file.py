"""Raw file bytes as a one-dimensional uint8 tensor, and back."""
import numbers
import warnings

import numpy as np

from ..._creation import as_tensor
from ..._tensor import Tensor
from ... import _dtype


# torchvision 0.29 deprecates its image decoding and encoding in favour of TorchCodec, and says so on every call
_DEPRECATION = ("The image decoding and encoding capabilities of TorchVision are deprecated since torchvision 0.29 and "
                "will be removed in a future release. They are superseded by the more complete decoders and encoders "
                "of TorchCodec (from torchcodec 0.16). Please see "
                "https://meta-pytorch.org/torchcodec/0.16/generated_examples/migration/torchvision_migration.html "
                "on how to migrate your code.")


def warn_deprecated():
    """torchvision's DeprecationWarning, attributed (as there) to the io module itself: Python's default filters
    hide it outside test runners and ``-W`` options."""
    warnings.warn(_DEPRECATION, DeprecationWarning, stacklevel=2)


def read_file(path):
    """The bytes of the file at ``path`` as a one-dimensional uint8 tensor.

    Raises:
        RuntimeError: for a file that cannot be read or is empty, as torchvision's C++ reader raises.
    """
    warn_deprecated()
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
    """Write a one-dimensional uint8 tensor's bytes to ``filename`` and return ``data`` (as torchvision does).

    Raises:
        RuntimeError: for data that is not a one-dimensional uint8 tensor (empty is fine), or a file that cannot
            be opened for writing.
    """
    warn_deprecated()
    check_op_arguments("image::write_file(str filename, Tensor data) -> Tensor", str(filename), data)
    if data.dtype != _dtype.uint8:
        raise RuntimeError("Input tensor dtype should be uint8")
    if data.ndim != 1:
        raise RuntimeError("Input data should be a 1-dimensional tensor")
    try:
        with open(str(filename), "wb") as f:
            f.write(data.numpy(force=True).tobytes())
    except OSError:
        raise RuntimeError("Error opening output file") from None
    return data


def check_op_arguments(declaration, *values):
    """The type check torchvision's C++ operators make of their arguments (``values``, in the order of
    ``declaration``, the operator's schema): a Tensor where the schema says ``Tensor``, an integer (or bool) for
    ``int`` / ``SymInt``, a bool, number or None for ``bool``, a real number for ``float`` (the dispatcher also
    takes a one-element tensor for any of these, and NumPy's scalars), with the RuntimeError it raises otherwise."""
    name, parameters = declaration.split("(", 1)
    parameters = [parameter.split("=")[0].split() for parameter in parameters.split(")")[0].split(", ")]
    for position, ((kind, argument), value) in enumerate(zip(parameters, values)):
        kind = "int" if kind == "SymInt" else kind
        if kind == "Tensor":
            if isinstance(value, Tensor):
                continue
            details = f"Unable to cast {value} to Tensor"  # (str, not repr)
        else:
            if kind == "str" or _schema_accepts(kind, value):
                continue
            details = (f"Unable to cast Python instance of type {type(value)} to C++ type '?' (#define "
                       "PYBIND11_DETAILED_ERROR_MESSAGES or compile in debug mode for details)")
        raise RuntimeError(f"{name}() Expected a value of type '{kind}' for argument '{argument}' but instead found "
                           f"type '{type(value).__name__}'.\nPosition: {position}\nValue: {value!r}\n"
                           f"Declaration: {declaration}\nCast error details: {details}")


def _schema_accepts(kind, value):
    if isinstance(value, Tensor):
        return value.numel() == 1
    if kind == "bool" and value is None:  # an absent optional flag
        return True
    if isinstance(value, (numbers.Integral, np.bool_)):
        return True
    if kind == "int":
        return False
    if isinstance(value, np.ndarray):
        return kind == "float" and value.ndim == 0
    return isinstance(value, numbers.Real)


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
    whose wording differs from ``decode_image``'s: contiguous, then uint8, then one-dimensional and non-empty."""
    if not isinstance(data, Tensor):
        check_byte_tensor(data)
    if not data.is_contiguous():  # checked first, as torchvision's C++ reads the bytes straight from memory
        raise RuntimeError("Input tensor must be contiguous.")
    if data.dtype != _dtype.uint8:
        name = str(data.dtype).rsplit(".", 1)[-1]
        raise RuntimeError(f"Input tensor must have uint8 data type, got {_SCALAR_TYPE_NAMES.get(name, name)}")
    if data.ndim != 1 or data.numel() == 0:
        # (sic: two spaces, as torchvision's C++ message)
        raise RuntimeError(f"Input tensor must be 1-dimensional and non-empty, got {data.ndim} dims  and "
                           f"{data.numel()} numels.")
