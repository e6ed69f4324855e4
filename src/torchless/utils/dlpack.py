"""torch.utils.dlpack: tensors exchanged with other libraries (NumPy, PyTorch, JAX, CuPy, ...) through the DLPack
protocol, sharing memory both ways. NumPy's own DLPack support makes and reads the capsules."""
import enum

import numpy as np

__all__ = ["DLDeviceType", "from_dlpack", "to_dlpack"]


class DLDeviceType(enum.IntEnum):
    kDLCPU = 1,
    kDLCUDA = 2,
    kDLCUDAHost = 3,
    kDLOpenCL = 4,
    kDLVulkan = 7,
    kDLMetal = 8,
    kDLVPI = 9,
    kDLROCM = 10,
    kDLROCMHost = 11,
    kDLExtDev = 12,
    kDLCUDAManaged = 13,
    kDLOneAPI = 14,
    kDLWebGPU = 15,
    kDLHexagon = 16,
    kDLMAIA = 17,


_INVALID_CAPSULE = ("from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only once, "
                    "so you might have already constructed a tensor from it once.")


def export(tensor, stream=-1, max_version=None, dl_device=None, copy=None):
    """Tensor.__dlpack__: a DLPack capsule of ``tensor``'s memory (versioned when ``max_version`` is 1.0 or more),
    with PyTorch's refusals."""
    if tensor.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    if stream is not None and type(stream) is not int:
        raise TypeError("stream must be ``int`` or ``none``")
    if stream is not None and stream != -1:
        raise AssertionError("stream should be None on cpu.")
    return _capsule(tensor, max_version, dl_device, copy)


def _capsule(tensor, max_version=None, dl_device=None, copy=None):
    array = tensor._data
    if not array.flags.writeable:  # (a broadcast view's memory: PyTorch exports it writable)
        from .._creation.from_data import _writable_alias

        array = _writable_alias(array)
    keywords = {"dl_device": dl_device, "copy": copy}
    if max_version is not None and max_version[0] >= 1:
        keywords["max_version"] = max_version
    return array.__dlpack__(**keywords)


def device_of(tensor):
    """Tensor.__dlpack_device__: (device type, index)."""
    return DLDeviceType.kDLCUDAHost if tensor.is_pinned() else DLDeviceType.kDLCPU, 0


def to_dlpack(tensor):
    """An unversioned DLPack capsule ("dltensor") of ``tensor``, sharing its memory."""
    from .._tensor import Tensor
    from .. import _parser_errors

    if not isinstance(tensor, Tensor):
        raise _parser_errors.not_tensor("_to_dlpack", "data", 1, tensor)
    return _capsule(tensor)  # (PyTorch's native export: a tensor requiring grad too)


class _Capsule:
    """A bare capsule as an object NumPy's from_dlpack reads (it takes only producers of capsules)."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **keywords):
        return self.capsule

    def __dlpack_device__(self):
        return DLDeviceType.kDLCPU, 0


def _tensor_of_capsule(capsule):
    from .._creation.from_data import _plain_array, _writable_alias
    from .._tensor import Tensor

    if type(capsule).__name__ != "PyCapsule":
        raise RuntimeError(_INVALID_CAPSULE)
    try:
        array = np.from_dlpack(_Capsule(capsule))
    except (TypeError, ValueError, BufferError, RuntimeError):  # a used capsule, or not a DLPack one
        raise RuntimeError(_INVALID_CAPSULE) from None
    if not array.flags.writeable:  # a read-only producer's: PyTorch ignores the flag
        array = _writable_alias(array)
    return Tensor._wrap(_plain_array(array))


def _dl_device(device):
    if device.type == "meta":
        raise BufferError("Cannot pack tensors on meta")
    return (DLDeviceType.kDLCPU, 0) if device.type == "cpu" else None


def from_dlpack(ext_tensor, *, device=None, copy=None):
    """A tensor sharing the memory of ``ext_tensor``: an object with ``__dlpack__`` (a NumPy array, a PyTorch or
    torchless tensor, ...) or a DLPack capsule (which can be read once). ``copy=True`` copies."""
    from .._device import device as Device

    if not hasattr(ext_tensor, "__dlpack__"):
        if device is not None or copy is not None:
            raise AssertionError("device and copy kwargs not supported when ext_tensor is already a DLPack capsule.")
        return _tensor_of_capsule(ext_tensor)
    keywords = {"max_version": (1, 0)}
    if copy is not None:
        keywords["copy"] = copy
    ext_device = ext_tensor.__dlpack_device__()
    cross_device = False
    if device is not None:
        if isinstance(device, str):
            device = Device(device)
        if not isinstance(device, Device):
            raise AssertionError(f"from_dlpack: unsupported device type: {type(device)}")
        target = _dl_device(device)
        cross_device = ext_device != target
        if not cross_device:
            keywords["dl_device"] = target
        elif copy is False:
            raise ValueError(f"cannot move DLPack tensor from device {ext_device} to {target} without copying. "
                             "Set copy=None or copy=True.")
    capsule, producer_copied = _capsule_from(ext_tensor, keywords)
    tensor = _tensor_of_capsule(capsule)
    if copy is True and not producer_copied and not cross_device:
        tensor = tensor.clone()
    if cross_device:
        tensor = tensor.to(device)
    return tensor


def _capsule_from(producer, keywords):
    """The producer's capsule, asked for with fewer keywords each time it refuses them (older producers take
    none), as PyTorch asks; and whether the producer was asked to copy."""
    asked_to_copy = "copy" in keywords
    for refused in ("max_version", "copy", "dl_device"):
        try:
            return producer.__dlpack__(**keywords), asked_to_copy
        except TypeError:
            keywords.pop(refused, None)
            asked_to_copy = asked_to_copy and refused != "copy"
    return producer.__dlpack__(**keywords), asked_to_copy
