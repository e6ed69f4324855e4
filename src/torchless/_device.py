"""``torchless.device`` and ``torchless.layout``: the names PyTorch gives where a tensor lives and how it is laid
out. torchless computes on the CPU only, in strided tensors."""
import re

import numpy as np

# The device types PyTorch's parser knows, in the order its error message lists them.
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
                 "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9][0-9]*|0))?")


# torch.device's overloads as schemas for PyTorch's parser (see _parser_errors), and as its TypeErrors print them.
_OVERLOADS = ("device device", "str type, int? index=-1")
_PRINTED_OVERLOADS = ("torchless.device device", "str type, int index = -1")


def _bind(type, index=None):
    return type, index


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _arguments(args, kwargs):
    """``(type, index)`` of a call of ``torch.device``: a device, a device string (bytes too) or an accelerator
    index, and an optional index; else PyTorch's TypeError, from its parser."""
    try:
        type, index = _bind(*args, **kwargs)
    except TypeError:
        type = index = ...  # (a wrong count or keyword: the parser words it below)
    if isinstance(type, bytes):
        type = type.decode()
    if index is None:
        if isinstance(type, (str, device)) or _is_int(type):
            return type, None
    elif isinstance(type, str):
        if _is_int(index):
            return type, int(index)
        from ._ops._util import is_int_argument

        if is_int_argument(index):  # (the parser's int takes a 0-d integer tensor too, as its value)
            return type, int(index)
    from . import _parser_errors

    _parser_errors.parse("device", _OVERLOADS, args, kwargs)  # raises, but for a bool, which its check lets pass
    raise _parser_errors.invalid_combination("device", _PRINTED_OVERLOADS, args, kwargs)


def _device_index(index):
    """A device index outside 0 .. 127 as PyTorch keeps it: refused when negative, else cut to its int8
    DeviceIndex (wrapping around; one that wraps to -1 is no index, None)."""
    if not -2**63 <= index < 2**63:  # (the parser's int64, read once the string is)
        raise ValueError("Overflow when unpacking long long")
    if index < 0:
        raise RuntimeError("Device index must not be negative")
    index = (index + 128) % 256 - 128
    return None if index == -1 else index


class device:
    """A device, ``torch.device``: any device PyTorch names can be described (``device('cuda:0')``), but
    torchless computes on the CPU only, so only CPU devices hold tensors (see :func:`require_cpu`).

    ``device(type)`` with ``type`` like ``'cpu'`` or ``'cuda:1'``, or ``device(type, index)``.
    """

    __slots__ = ("type", "index")

    def __init__(self, *args, **kwargs):
        type, index = _arguments(args, kwargs)
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            if not -2**63 <= type < 2**63:
                raise ValueError("Overflow when unpacking long long")
            # PyTorch reads a bare index as one of the current accelerator, which a CPU-only build lacks.
            raise RuntimeError("Device index must not be negative" if type < 0 else
                               "Cannot access accelerator device when none is available.")
        text = type
        if not text:
            raise RuntimeError("Device string must not be empty")
        # a name of letters and underscores, then optionally ':' and an index without leading zeros
        match = _DEVICE_STRING.fullmatch(text)
        if match is None:
            raise RuntimeError(f"Invalid device string: '{text}'")
        name, number = match.groups()
        if name not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device string: "
                               f"{name}")
        if number is not None:
            if int(number) > 2**31 - 1:  # (read by std::stoi)
                raise RuntimeError(f"Could not parse device index '{number}' in device string '{text}'")
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: "
                                   f"{type}")
            index = int(number)
        if index is not None and not 0 <= index <= 127:
            index = _device_index(index)
        self.type, self.index = name, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        # (PyTorch's repr prints a negative index, from an index past 127, as a 16-bit unsigned number)
        return f"device(type='{self.type}', index={self.index % 65536})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented  # as PyTorch: a device never equals a string
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return device, (self.type, self.index)

    def __enter__(self):
        """``with torch.device(...):`` makes the device the default one (:func:`torchless.get_default_device`)
        until the block ends, as PyTorch's device context does; entering checks nothing, as PyTorch's."""
        ENTERED.append(self)
        return self

    def __exit__(self, *exc_info):
        ENTERED.pop()


# The devices of the ``with device(...)`` blocks being run, innermost last.
ENTERED = []


# The device types a CPU-only PyTorch build has no backend linked for: a move there fails naming the type.
_UNLINKED_TYPES = frozenset(("ipu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
                             "vulkan", "mps"))

# The device types whose PyTorch support lives in a module (torch.hpu, ...) that a build without it lacks.
_MODULE_TYPES = frozenset(("hpu", "privateuseone"))

_NO_MTIA = ("Torch not compiled with MTIA enabled. Ensure you have "
            "`import mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
            "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!")


def require_cpu(where):
    """The CPU ``device`` named by ``where`` (a string or device), or PyTorch's error for a device this
    CPU-only build has no support for (a CUDA device: 'Torch not compiled with CUDA enabled')."""
    target = where if isinstance(where, device) else device(where)
    kind = target.type
    if kind == "cpu":
        return target
    if kind in ("cuda", "xpu"):
        raise AssertionError(f"Torch not compiled with {kind.upper()} enabled")
    if kind == "mtia":
        raise AssertionError(_NO_MTIA)
    if kind in _UNLINKED_TYPES:
        raise RuntimeError(f"PyTorch is not linked with support for {kind} devices")
    if kind in _MODULE_TYPES:
        raise ModuleNotFoundError(f"No module named 'torchless.{kind}'", name=f"torchless.{kind}")
    raise RuntimeError(f"torchless runs on the CPU only; got device '{target}'")  # (the meta and lazy devices)


CPU = device("cpu")


class layout:
    """A tensor memory layout (``torchless.strided``, the only one torchless's tensors have; ``sparse_coo`` is named,
    as scripts compare against it)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torchless.{self.name}"

    def __reduce__(self):
        return self.name  # the module attribute of that name: unpickled as the same object


strided, sparse_coo = layout("strided"), layout("sparse_coo")

