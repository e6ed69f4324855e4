"""The legacy tensor types (``torchless.FloatTensor``, ``torchless.cuda.LongTensor``, ...), one per dtype."""
from . import _dtype
from ._tensor import Tensor


class LegacyTensorType(type):
    """``torchless.FloatTensor`` and kin, as in PyTorch: an instance is a tensor of that dtype, and calling the
    type builds one (``torchless.LongTensor([1, 2])``, ``torchless.FloatTensor(2, 3)``)."""

    is_cuda = False

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.numpy

    def __call__(cls, *args, **kwargs):
        tensor = Tensor.__new__(Tensor)
        tensor._legacy_init(args, kwargs, cls.dtype)
        return tensor

    def __repr__(cls):
        return f"<class 'torchless.{cls.__name__}'>"


LEGACY_TYPES = {name: LegacyTensorType(name, (), {"dtype": d}) for d, name in _dtype.TENSOR_TYPE_NAMES.items()}


class CudaLegacyTensorType(LegacyTensorType):
    """``torchless.cuda.FloatTensor`` and kin, as a CPU-only PyTorch has them: scripts name them
    (``Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor``), no tensor is one, and building one or
    converting to one fails."""

    is_cuda = True

    def __instancecheck__(cls, obj):
        return False

    def __call__(cls, *args, **kwargs):
        raise TypeError(f"type torchless.cuda.{cls.__name__} not available. Torch not compiled with CUDA enabled.")

    def __repr__(cls):
        return f"<class 'torchless.cuda.{cls.__name__}'>"


CUDA_LEGACY_TYPES = {name: CudaLegacyTensorType(name, (), {"dtype": d})
                     for d, name in _dtype.TENSOR_TYPE_NAMES.items()}

