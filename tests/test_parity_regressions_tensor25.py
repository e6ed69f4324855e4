"""Differences from PyTorch 2.13 found by session 25's differential fuzzing of indexing, index_put_ and the
layout of results, each compared with torch.

* an empty mask (``t[torch.tensor([], dtype=torch.bool)]``, also after None or a slice, read or written) was taken
  whatever the indexed dims' sizes (NumPy takes an empty bool array of any shape), where PyTorch checks its shape;
* ``index_put_`` checked its value's shape as ``t[key] = value`` does: it dropped leading size-1 dims of the value
  and read a 0-d index tensor as an int (the basic-indexing expand error), and with ``accumulate=True`` found an
  index value out of range before a value that does not broadcast;
* ``t[byte mask of too many dims] = value`` named the mask's shape, where PyTorch counts the indices first;
* results PyTorch allocates C-contiguous followed the layout of a permuted index (``gather``, ``take``,
  ``take_along_dim``) or input (a complex ``angle``); ``put`` (a clone put_ into) and the sign of a bool tensor
  (a clone) did not keep the input's layout.
"""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _record(value):
    if isinstance(value, (tuple, list)):
        return tuple(_record(item) for item in value)
    if isinstance(value, (torch.Tensor, torchless.Tensor)):
        return (str(value.dtype).split(".")[-1], tuple(value.shape), tuple(value.stride()),
                np.asarray(value.detach().tolist()).tolist())
    return repr(value)


def _outcome(source, lib, env):
    namespace = {"lib": lib, **{name: make(lib) for name, make in env.items()}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = eval(compile(source, f"<{source}>", "eval"), namespace)
        except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
            return type(error).__name__, str(error).replace("torchless", "torch")
    return _record(result), tuple(_record(namespace[name]) for name in env)


def _assert_same(source, **env):
    """``source`` gives the same result (dtype, shape, strides, values) and leaves the same ``env`` tensors, or
    raises the same error, in both libraries."""
    assert _outcome(source, torchless, env) == _outcome(source, torch, env)


def _grid(lib):
    return lib.arange(32.).reshape(2, 4, 4)


_EMPTY_MASKS = [
    "x[lib.tensor([], dtype=lib.bool)]", "x[None, lib.tensor([], dtype=lib.bool)]",
    "x[:, lib.tensor([], dtype=lib.bool)]", "x[lib.tensor([], dtype=lib.uint8)]",
    "x[None, lib.tensor([], dtype=lib.uint8)]", "x[lib.zeros(2, 0, dtype=lib.bool)]",
    "x[:, :, :0][lib.zeros(2, 4, 0, dtype=lib.bool)]", "x[:, :, :0][..., lib.zeros(0, dtype=lib.bool)]",
    "x[lib.tensor([], dtype=lib.int64)]", "x[lib.tensor([True, False]), lib.tensor([], dtype=lib.bool)]",
    "x.__setitem__(lib.tensor([], dtype=lib.bool), 1)", "x.__setitem__((None, lib.tensor([], dtype=lib.bool)), 1)",
    "x.__setitem__((None, lib.tensor([], dtype=lib.bool)), lib.tensor([1.]))",
    "x.__setitem__(lib.tensor([], dtype=lib.bool), lib.tensor([]))",
    "x[:, :, :0].__setitem__(lib.zeros(2, 4, 0, dtype=lib.bool), 1)",
]


@pytest.mark.parametrize("source", _EMPTY_MASKS)
def test_an_empty_mask_is_checked_as_any_mask(source):
    _assert_same(source, x=_grid)


def _vector(lib):
    return lib.arange(3)


_INDEX_PUT_VALUES = [
    "v.index_put_((lib.tensor([0, 1]),), lib.ones(1, 1, 2).long())",
    "v.index_put_((lib.tensor([0, 1]),), lib.ones(1, 1, 2).long(), accumulate=True)",
    "v.index_put_((lib.tensor([0, 1]),), lib.ones(1, 2).long())", "v.index_put_((lib.tensor(1),), lib.tensor(5))",
    "v.index_put_((lib.tensor(1),), lib.tensor([5]))", "v.index_put_((lib.tensor(5),), lib.ones(2).long())",
    "v.index_put_((lib.tensor(5),), lib.ones(1).long(), accumulate=True)",
    "v.index_put_((lib.tensor([0, 0, 5]),), lib.ones(2).long(), accumulate=True)",
    "v.index_put_((lib.tensor([0, 0, 5]),), lib.ones(2).long())", "v.index_put_((lib.tensor([0, 0, 1]),), "
    "lib.ones(3).long(), accumulate=True)", "v.index_put_((lib.tensor([0, 5]),), lib.ones(3).double())",
    "v.index_put_((lib.tensor([True, False, True]),), lib.ones(1, 1, 1).long())",
    "v.index_put_((lib.tensor([True, False, True]),), lib.ones(1, 1, 2).long())",
    "v.reshape(3, 1).index_put_((lib.tensor(0),), lib.ones(3).long())",
    "v.reshape(3, 1).index_put_((lib.tensor([0, 1]),), lib.ones(2).long())",
    "v.reshape(3, 1).index_put_((lib.tensor([0, 1]),), lib.ones(2, 1).long(), accumulate=True)",
]


@pytest.mark.parametrize("source", _INDEX_PUT_VALUES)
def test_index_put_checks_its_value_shape_as_torch(source):
    _assert_same(source, v=_vector)


@pytest.mark.parametrize("source", [
    "v.__setitem__(lib.tensor([1, 1], dtype=lib.uint8).reshape(2, 1), 1)",
    "v.__setitem__(lib.tensor([1, 1], dtype=lib.uint8), 1)", "v.__setitem__(lib.tensor([1, 0, 1], dtype=lib.uint8), 1)",
    "x.__setitem__((0, lib.tensor([1, 1], dtype=lib.uint8).reshape(2, 1)), 1)"])
def test_a_byte_mask_of_too_many_dims_is_counted_first(source):
    _assert_same(source, v=_vector, x=_grid)


_LAYOUTS = {
    "permuted": lambda lib, dtype: lib.arange(24.).sub(7).reshape(2, 3, 4).to(dtype).permute(2, 0, 1),
    "channels_last": lambda lib, dtype: lib.arange(48.).sub(7).reshape(2, 2, 3, 4).to(dtype).contiguous(
        memory_format=lib.channels_last),
    "transposed": lambda lib, dtype: lib.arange(12.).sub(5).reshape(3, 4).to(dtype).t(),
    "sliced": lambda lib, dtype: lib.arange(24.).sub(7).reshape(4, 6).to(dtype)[:, ::2],
}

_LAID_OUT = [
    ("x.gather(0, lib.zeros_like(x, dtype=lib.int64))", "float32"),
    ("x.gather(-1, lib.zeros_like(x, dtype=lib.int64)[..., :1])", "int64"),
    ("lib.take_along_dim(x, lib.zeros_like(x, dtype=lib.int64), 0)", "float64"),
    ("x.take(lib.tensor([[0, 1], [2, 3]]).t())", "float32"), ("x.take(lib.tensor([[0, 1], [2, 3]]))", "int32"),
    ("x.put(lib.tensor([0]), lib.tensor([1]).to(x.dtype))", "float32"),
    ("x.put(lib.tensor([0, 0]), lib.tensor([1, 2]).to(x.dtype), accumulate=True)", "int64"),
    ("x.angle()", "complex64"), ("x.angle()", "float32"), ("x.sign()", "bool"), ("x.sgn()", "bool"),
]


@pytest.mark.parametrize("layout", sorted(_LAYOUTS))
@pytest.mark.parametrize("source, dtype", _LAID_OUT)
def test_results_laid_out_as_torch(source, dtype, layout):
    _assert_same(source, x=lambda lib: _LAYOUTS[layout](lib, getattr(lib, dtype)))
