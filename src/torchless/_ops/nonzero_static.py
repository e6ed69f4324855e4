"""torch.nonzero_static: the indices of the nonzero elements as nonzero gives them, cut or padded to ``size``
rows (padding rows are ``fill_value``), so that the result's shape does not depend on the values."""
import numpy as np

from .. import _numpy_names, _parser_errors

_SCHEMA = "Tensor input, *, SymInt size, int fill_value=-1, Tensor? out=None"


def _nonzero_static(input, size, fill_value=-1):
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    input._no_kernel_for("U", "nonzero_count_cpu")
    from .._tensor import Tensor

    data = input._data
    indices = np.argwhere(data)[:size] if data.ndim else np.zeros((min(int(bool(data)), size), 0), np.int64)
    result = np.full((size, data.ndim), fill_value, np.int64)
    result[:len(indices)] = indices
    return Tensor._wrap(result)


def nonzero_static(*args, **kwargs):
    """torch.nonzero_static(input, *, size, fill_value=-1, out=None)."""
    arguments = _parser_errors.parse("nonzero_static", (_SCHEMA,), args, kwargs)
    out = arguments.pop("out")
    result = _nonzero_static(**arguments)
    if out is None:
        return result
    if out.dtype.scalar_name != "Long":
        raise RuntimeError("nonzero_static: Expected out tensor to have scalar type Long but got scalar type"
                           f"{out.dtype.scalar_name}")
    return out.resize_(result.shape).copy_(result)


def _method(self, *args, **kwargs):
    """Tensor.nonzero_static(*, size, fill_value=-1)."""
    arguments = _parser_errors.parse("nonzero_static", ("*, SymInt size, int fill_value=-1",), args, kwargs)
    return _nonzero_static(self, arguments["size"], arguments["fill_value"])


_numpy_names.install_functions(globals())  # x= for input, as PyTorch's parser takes it
