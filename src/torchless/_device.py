"""``torchless.device`` and ``torchless.layout``: the names PyTorch gives where a tensor lives and how it is laid
out. torchless computes on the CPU only, in strided tensors."""
import re

# The device types PyTorch's parser knows, in the order its error message lists them.
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
                 "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9][0-9]*|0))?")


class device:
    """A device, ``torch.device``: any device PyTorch names can be described (``device('cuda:0')``), but
    torchless computes on the CPU only, so only CPU devices hold tensors (see :func:`require_cpu`).

    ``device(type)`` with ``type`` like ``'cpu'`` or ``'cuda:1'``, or ``device(type, index)``.
    """

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if isinstance(type, int) and not isinstance(type, bool):
            # PyTorch reads a bare index as one of the current accelerator, which a CPU-only build lacks.
            raise RuntimeError("Device index must not be negative" if type < 0 else
                               "Cannot access accelerator device when none is available.")
        text = str(type)
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
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: "
                                   f"{type}")
            index = int(number)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = name, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

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


def require_cpu(where):
    """The CPU ``device`` named by ``where`` (a string or device), or PyTorch's error for a device this
    CPU-only build has no support for (a CUDA device: 'Torch not compiled with CUDA enabled')."""
    target = where if isinstance(where, device) else device(where)
    if target.type == "cpu":
        return target
    if target.type in ("cuda", "xpu"):
        raise AssertionError(f"Torch not compiled with {target.type.upper()} enabled")
    if target.type == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    raise RuntimeError(f"torchless runs on the CPU only; got device '{target}'")


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

