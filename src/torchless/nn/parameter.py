"""Parameter: a tensor that a Module registers as trainable when assigned as an attribute."""
import numpy as np

from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is listed in ``Module.parameters()``."""

    def __new__(cls, data=None, requires_grad=True):
        array = np.empty(0, np.float32) if data is None else (data._data if isinstance(data, Tensor) else np.asarray(data))
        p = Tensor._wrap.__func__(cls, array)
        p.requires_grad = requires_grad
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (Tensor._wrap(self._data), self._requires_grad))
