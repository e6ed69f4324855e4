"""Selection by index or mask: gather and scatter (scatter_add, scatter_reduce), index_select, masked_select,
take, nonzero/argwhere and where.

Methods of torchless.Tensor: see ``_tensor_methods.attach``.
"""

import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._ops import indexing, inplace
from .._ops._util import normalize_dim, raise_if_not_broadcastable
from ..autograd import grad_mode
from ..autograd.graph import save_tensor_versions
from .._tensor import Tensor
from .._type_promotion import NUMBERS
from .._parser_errors._messages import is_number_argument
from .._user_warnings import warn_from_user_code
from ..autograd import forward_ad
from ..autograd._basic_ops import NotImplementedDerivative
from ._arguments import check_index_along, check_index_values, check_scatter_arguments


class SelectionMethods:
    def gather(self, dim, index, *, sparse_grad=False):
        if type(dim) is not int:
            dim = _parser_errors.method_arguments("gather", (dim, index))["dim"]
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        axis = normalize_dim(dim, self._data.ndim)
        if not idx.size and isinstance(index, Tensor):  # (PyTorch's kernel checks nothing more of an empty index)
            nothing = np.zeros(0, np.int64)
            return self.reshape(-1)._gather(0, nothing, "GatherBackward0", {"dim": dim, "index": nothing,
                                                                             "sparse_grad": sparse_grad}).reshape(idx.shape)
        check_index_along(self._data.shape, axis, idx, "gather", "input")
        if self._data.dtype.kind == "u":
            self._no_kernel_for("U", "scatter_gather_tensor_cpu")
        if sparse_grad and self._requires_grad and grad_mode.is_grad_enabled():
            raise NotImplementedError("torchless does not support sparse gradients: use gather with sparse_grad=False")
        shown = {"dim": dim, "index": idx, "sparse_grad": sparse_grad}
        if not self._data.ndim or not idx.ndim:  # PyTorch takes a 0-d tensor or index as one element
            return self.reshape(-1)._gather(0, idx.reshape(-1), "GatherBackward0", shown).reshape(idx.shape)
        return save_tensor_versions(self._gather(axis, idx, "GatherBackward0", shown), index)

    def _gather(self, axis, indices, name, shown=None):
        """The entries at ``indices`` along ``axis`` (indices already checked; None: a 0-d tensor's value);
        ``shown``: the arguments the node ``name`` shows (see indexing.Index)."""
        if indices is None:  # a 0-d tensor: its one value
            return indexing.Index.apply(self, key=(), name=name, shown=shown)
        key = list(np.indices(indices.shape, sparse=True))
        key[axis] = indices
        # (PyTorch allocates the result C-contiguous, where NumPy's indexing follows a permuted index's layout)
        return _memory_format.in_c_order(indexing.Index.apply(self, key=tuple(key), name=name, shown=shown))

    def index_select(self, dim, index):
        """The entries at ``index`` (a vector of int64 or int32) along ``dim``."""
        if type(dim) is not int:
            dim = _parser_errors.method_arguments("index_select", (dim, index))["dim"]
        if not isinstance(index, Tensor):
            raise _parser_errors.not_tensor("index_select", "index", 2, index)
        idx = index._data
        axis = normalize_dim(dim, self._data.ndim)  # the dim first, as in PyTorch
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        if not self._data.ndim and idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        if idx.dtype not in (np.int64, np.int32):
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if forward_ad.state.vmap_levels and forward_ad.batched(self):
            forward_ad.check_batched_index(self, axis, idx)
        if self._data.dtype.kind == "u":
            self._no_kernel_for("U", "index_select")
        if not self._data.ndim:
            if idx.reshape(-1)[0] != 0:
                raise IndexError("index out of range in self")
            return indexing.Index.apply(self, key=(Ellipsis,), name="IndexSelectBackward0",
                                        shown={"dim": dim, "index": idx})
        n = self._data.shape[axis]
        outside = (idx < 0) | (idx >= n)
        if self._data.ndim == 1 and outside.any():  # (PyTorch's kernel for a vector checks each index alone)
            raise IndexError("index out of range in self")
        if idx.size and not n:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        if outside.any():
            if axis == 1 or not self._data.size:  # PyTorch's kernels for dim 1 and an empty self have their own words
                raise RuntimeError(f"INDICES element is out of DATA bounds, id={idx.reshape(-1)[np.argmax(outside)]} "
                                   f"axis_dim={n}")
            raise IndexError("index out of range in self")
        # (into a contiguous result, as PyTorch's index_select resizes an empty tensor)
        return save_tensor_versions(_memory_format.in_c_order(indexing.Index.apply(
            self, key=(slice(None),) * axis + (idx.reshape(-1),), name="IndexSelectBackward0",
            shown={"dim": dim, "index": idx})), index)

    def masked_select(self, mask):
        """The elements where the bool ``mask`` (broadcast with self) is True, as a vector."""
        if mask._data.dtype != np.bool_:
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        if forward_ad.state.vmap_levels and forward_ad.batched(mask):
            raise RuntimeError("vmap: Attempted to vmap over `mask` in torch.masked_select(self, mask) We cannot "
                               "support this because for each batch this would return a differently shaped Tensor. "
                               "Please file an issue at https://github.com/pytorch/pytorch/issues if you need this "
                               "feature.")
        raise_if_not_broadcastable(mask, self)
        if self._data.dtype.kind == "u":
            self._no_kernel_for("U", "masked_select")
        shape = np.broadcast_shapes(self._data.shape, mask._data.shape)
        shown = {"mask": mask._data}
        if self._data.shape == shape:
            return indexing.Index.apply(self, key=mask._data if mask._data.shape == shape else
                                        np.broadcast_to(mask._data, shape), name="MaskedSelectBackward0", shown=shown)
        # a self broadcast to the mask: the positions in self of the selected ones (one node on self, as PyTorch's;
        # a 0-d self, which NumPy cannot index by arrays, as its one-element vector)
        source = self if self._data.ndim else self.reshape(1)
        selected, lead = np.nonzero(np.broadcast_to(mask._data, shape)), len(shape) - source._data.ndim
        key = tuple(np.zeros_like(selected[lead + d]) if n == 1 else selected[lead + d]
                    for d, n in enumerate(source._data.shape))
        return indexing.Index.apply(source, key=key, name="MaskedSelectBackward0", shown=shown)

    def take(self, index):
        """The elements at ``index`` of the flattened tensor, in index's shape."""
        idx, n = index._data, self._data.size
        if idx.dtype != np.int64:  # int64 only (NumPy would index with any integer, or mask with bools)
            raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype.scalar_name}")
        if not n and idx.size:
            raise IndexError("take(): tried to take from an empty tensor")
        outside = (idx < -n) | (idx >= n)
        if outside.any():
            raise IndexError(f"out of range: tried to access index {idx[outside].flat[0]} on a tensor of {n} "
                             "elements.")
        if self._data.dtype.kind == "u":
            self._no_kernel_for("U", "take_cpu")
        shown = {"index": idx}
        if forward_ad.state.vmap_levels:
            forward_ad.warn_fallback("aten::take", (self, index))
        if not self._data.ndim or not n:
            taken = indexing.Index.apply(self.reshape(-1), key=idx, name="TakeBackward0", shown=shown)
        else:  # the flat positions as one index per dim: one node on self itself, as PyTorch's (no view before it)
            taken = save_tensor_versions(indexing.Index.apply(self, key=np.unravel_index(idx % n, self._data.shape),
                                                              name="TakeBackward0", shown=shown), index)
        # (PyTorch allocates the result C-contiguous, where NumPy's indexing follows a permuted index's layout)
        return _memory_format.in_c_order(taken)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """A copy with ``src[i][j]`` written at ``[index[i][j]][j]`` (for dim 0; likewise for other dims), or the
        number ``value`` (also accepted in src's place); ``reduce`` ('add' or 'multiply') combines them with the
        values there instead (PyTorch's legacy form, without a derivative)."""
        return self._scatter_call(dim, index, src, value, reduce, "scatter")

    def _scatter_call(self, dim, index, src, value, reduce, op):
        """scatter's arguments read; ``op``: the aten name of the call (scatter, or scatter_ whose node the legacy
        form's refusal to differentiate names)."""
        operand_ok = (isinstance(src, Tensor) or is_number_argument(src)) if value is None else \
            src is None and is_number_argument(value)
        if type(dim) is not int or not operand_ok:  # (a NumPy array, a Fraction: the parser's TypeError)
            given = {key: v for key, v in (("value", value), ("reduce", reduce)) if v is not None}
            dim = _parser_errors.method_arguments("scatter", (dim, index) + ((src,) if src is not None else ()),
                                                  given)["dim"]
        if value is not None:  # (a Number: a 0-d tensor given for it is read as its value)
            src = value.item() if isinstance(value, Tensor) else value
        if reduce is None:
            return save_tensor_versions(self._scatter(dim, index, src, add=False, name="scatter"), index)
        return self._scatter_reduced_legacy(dim, index, src, reduce, op)

    def _scatter_reduced_legacy(self, dim, index, src, reduce, op):
        if not isinstance(reduce, str):
            from ..nn._functional._args import _describe_call

            got = _describe_call((dim, index, src), {"reduce": reduce})
            raise TypeError(f"scatter() received an invalid combination of arguments - got {got}, but expected one "
                            "of:\n * (int dim, Tensor index, Tensor src)\n * (int dim, Tensor index, Tensor src, *, "
                            "str reduce)\n * (int dim, Tensor index, Number value)\n * (int dim, Tensor index, "
                            "Number value, *, str reduce)\n")
        # (the reduction's name is checked after the arguments, before the kernel converts a number)
        check_scatter_arguments(self._data, normalize_dim(dim, self._data.ndim), index._data,
                                src._data if isinstance(src, Tensor) else None, "scatter")
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if self._data.dtype.kind == "u":
            self._no_kernel_for("U", "scatter_gather_tensor_cpu" if isinstance(src, Tensor) else
                                "scatter_gather_scalar_cpu")
        if isinstance(src, Tensor):
            warn_from_user_code("The reduce argument of torch.scatter with Tensor src is deprecated and will be "
                                "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
                                "reduction options. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/"
                                "native/TensorAdvancedIndexing.cpp:225.)")
        with grad_mode.no_grad():
            base = self.detach()
            source = src.detach() if isinstance(src, Tensor) else \
                Tensor._wrap(np.full(index._data.shape, _dtype.fill_value(src, self._data.dtype) if index._data.size
                                     else 0, self._data.dtype))
            if reduce == "add":
                out = base._scatter(dim, index, source, add=True, name="scatter")
            else:
                if source._data.dtype != self._data.dtype:
                    raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
                out = inplace.scatter_reduce(base, dim, index, source, "prod")
        inputs = (self, src) if isinstance(src, Tensor) else (self,)
        # (laid out as scatter's clone of self, C-contiguous: not as an elementwise op's result)
        return NotImplementedDerivative.apply(*inputs, kernel=lambda *arrays: out._data, op=op)

    def scatter_add(self, dim, index, src):
        """As scatter, but adding ``src`` at the indexed positions (repeated indices add up)."""
        if type(dim) is not int:
            dim = _parser_errors.method_arguments("scatter_add", (dim, index, src))["dim"]
        result = self._scatter(dim, index, src, add=True, name="scatter_add")
        # (only src's gradient reads the index: PyTorch saves it for that one)
        return save_tensor_versions(result, index) if getattr(src, "requires_grad", False) else result

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._inplace(lambda t: t._scatter_call(dim, index, src, value, reduce, "scatter_"), src,
                             overlap="any", name="scatter_")

    def scatter_add_(self, dim, index, src):
        return self._inplace(lambda t: t.scatter_add(dim, index, src), src, overlap="any", name="scatter_add_")

    def _scatter_axis(self, dim, index, src, name):
        """The axis ``dim`` names, after PyTorch's checks of a scatter's arguments: the dim, the index dtype, the
        source's, the shapes, then (in its kernel: not for an empty index) a number source's conversion to self's
        dtype and the index values. Returns (axis, the number converted; None for a tensor source)."""
        axis = normalize_dim(dim, self._data.ndim)
        check_scatter_arguments(self._data, axis, index._data, src._data if isinstance(src, Tensor) else None, name)
        if self._data.dtype.kind == "u":
            self._no_kernel_for("U", "scatter_gather_tensor_cpu" if isinstance(src, Tensor) else
                                "scatter_gather_scalar_cpu")
        if not index._data.size:
            return axis, 0
        value = None if isinstance(src, Tensor) else _dtype.fill_value(src, self._data.dtype)
        check_index_values(self._data.shape, axis, index._data)
        return axis, value

    def _scatter(self, dim, index, src, add, name):
        axis, value = self._scatter_axis(dim, index, src, name)
        if isinstance(src, Tensor) and not src._data.ndim and index._data.ndim == 1:
            src = src.reshape(1)  # (PyTorch's kernel reads a 0-d source as one of one element, as its checks do)
        idx = index._data
        if not idx.size and self._data.ndim:  # nothing written (an index of any dtype and rank, a source of any shape)
            key = (np.zeros(0, np.intp),) * self._data.ndim
            if isinstance(src, Tensor) and idx.ndim == self._data.ndim == src._data.ndim:
                # (of the index's shape, for src's gradient: PyTorch's gather of the incoming one by the index)
                key = (np.zeros(idx.shape, np.intp),) * self._data.ndim
                return indexing.Scatter.apply(self, src, key=key, add=add, dim=dim)
            if isinstance(src, Tensor):
                return indexing.Scatter.apply(self, src.reshape(-1), key=key, add=add, dim=dim)
            return indexing.Scatter.apply(self, None, key=key, value=value, dim=dim)
        if not self._data.ndim or not idx.ndim:  # PyTorch scatters into a 0-d tensor as into one element
            source = src.reshape(-1) if isinstance(src, Tensor) else src
            return self.reshape(-1)._scatter(0, index.reshape(-1), source, add, name).reshape(self.shape)
        key = list(np.indices(idx.shape, sparse=True))
        key[axis] = idx
        if isinstance(src, Tensor):
            return indexing.Scatter.apply(self, src, key=tuple(key), add=add, dim=dim)
        return indexing.Scatter.apply(self, None, key=tuple(key), value=value, dim=dim)

    def nonzero(self, *, as_tuple=False):
        """The indices of the nonzero elements: one row per element (or a tuple of index vectors, one per dim)."""
        _parser_errors.check_bool("nonzero", "as_tuple", as_tuple)
        if forward_ad.state.vmap_levels and forward_ad.batched(self):
            if as_tuple:  # (PyTorch's batching fallback cannot run the op returning several tensors)
                raise RuntimeError("Batching rule not implemented for aten::nonzero_numpy. We could not generate a "
                                   "fallback.")
            forward_ad.refuse_dynamic_shape(self, "nonzero")
        if self._data.dtype.kind == "u":
            self._no_kernel_for("U", "nonzero_count_cpu")
        if as_tuple:  # a 0-d tensor counts as one of one element
            return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(self._data)))
        if not self._data.ndim:  # a row without columns, if nonzero
            rows = int(bool(self._data))  # (laid out as the transpose of a (0, rows) array, as PyTorch's)
            return Tensor._wrap(_memory_format.with_strides(np.zeros((rows, 0), np.int64), (1, rows)))
        # (N, ndim) with strides (1, N), as PyTorch's kernel writes the indices dim after dim: its transpose
        indices = np.stack(np.nonzero(self._data)).astype(np.int64, copy=False).T
        # (the transpose of an (ndim, N) array, as PyTorch's: of no rows (1, 0) strided, where NumPy's are all 0)
        return Tensor._wrap(indices if indices.size else _memory_format.with_strides(indices, (1, 0)))

    def argwhere(self):
        return self.nonzero()

    def where(self, condition, other):
        from .._functions import where

        if not (isinstance(condition, Tensor) and isinstance(other, (Tensor, NUMBERS))):
            raise _parser_errors.invalid_where((condition, other), method=True)
        return where(condition, self, other)
