"""The DLPack protocol's Tensor methods, whose implementation (torchless.utils.dlpack) loads on first use."""


class DLPackMethods:
    def __dlpack__(self, *, stream=-1, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule of the tensor's memory, for another library's from_dlpack."""
        from ..utils import dlpack

        return dlpack.export(self, stream, max_version, dl_device, copy)

    def __dlpack_device__(self):
        """The DLPack (device type, device index) of the tensor's memory."""
        from ..utils import dlpack

        return dlpack.device_of(self)
