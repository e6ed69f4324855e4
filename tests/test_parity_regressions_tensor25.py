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


class _Values:
    """A tensor's values, equal to another's within float64 rounding (the libraries' libm may differ in the last
    bit), NaNs equal."""

    def __init__(self, tensor):
        self.array = np.asarray(tensor.detach().tolist())

    def __eq__(self, other):
        return self.array.shape == other.array.shape and np.allclose(self.array, other.array, rtol=1e-12, atol=0,
                                                                     equal_nan=True)

    def __repr__(self):
        return repr(self.array)


def _record(value):
    if isinstance(value, (tuple, list)):
        return tuple(_record(item) for item in value)
    if isinstance(value, (torch.Tensor, torchless.Tensor)):
        return str(value.dtype).split(".")[-1], tuple(value.shape), tuple(value.stride()), _Values(value)
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


def _operands(lib):
    return {"f": lib.tensor([1.5, -2.]), "c": lib.tensor([1 + 1j, 2]), "i": lib.tensor([1, -2]),
            "z": lib.tensor(2 + 1j), "e": lib.zeros(0, dtype=lib.complex64)}


_SCALAR_RANGE = [
    "c + 2**64", "c - (-2**63 - 1)", "2**64 / c", "c // 2**64", "c * 2**63", "f.float_power(2**64)",
    "lib.float_power(2**64, f)", "lib.float_power(-2**64, f)", "lib.float_power(f, -2**63)", "f.lerp(f, 2**64)",
    "f.lerp(f, -2**63 - 1)", "f.lerp(f, 2**63)", "lib.add(2**64, 2)", "lib.add(-2**64, 2)",
    "lib.div(2**64, 1e20, rounding_mode='trunc')", "f + 2**64", "i + 2**64",
]


@pytest.mark.parametrize("source", _SCALAR_RANGE)
def test_python_ints_beyond_a_scalar_refused_as_torch(source):
    _assert_same(source, **{name: (lambda lib, name=name: _operands(lib)[name]) for name in ("f", "c", "i")})


@pytest.mark.parametrize("source", [
    "z.cummax(0)", "z.cummin(-1)", "z.mode()", "z.mode(0)", "z.mode(1)", "z.cummax(1)", "c.mode()", "c.cummax(0)",
    "e.histc()", "e.histc(4, 0, 1)", "c.histc()"])
def test_complex_scans_and_histograms_dispatch_as_torch(source):
    _assert_same(source, **{name: (lambda lib, name=name: _operands(lib)[name]) for name in ("z", "c", "e")})


@pytest.mark.parametrize("layout", sorted(_LAYOUTS))
@pytest.mark.parametrize("source, dtype", [
    ("lib.float_power(2, x)", "float32"), ("lib.float_power(2., x)", "int32"), ("lib.float_power(1j, x)", "int32"), ("lib.float_power(2.5, x)", "float64"),
    ("lib.float_power(True, x)", "float32"), ("lib.logical_and(x, x.contiguous())", "float32"),
    ("lib.logical_or(x, x.contiguous().double())", "float32"),
    ("lib.logical_xor(x.int(), x.contiguous().half())", "float32"), ("lib.logical_and(x.contiguous(), x)", "int64"),
])
def test_binary_results_laid_out_as_torch(source, dtype, layout):
    _assert_same(source, x=lambda lib: _LAYOUTS[layout](lib, getattr(lib, dtype)))


def test_float_power_of_a_number_base_records_a_pow():
    def graph(lib):
        x = lib.tensor([1.5, 2.], requires_grad=True)
        y = lib.float_power(2, x)
        y.sum().backward()
        return y.grad_fn.name(), y.grad_fn.next_functions[0][0].name(), x.grad.tolist()
    assert graph(torchless) == graph(torch)


_SCATTERS = [
    # masked_scatter: the mask broadcast with self, the source's dtype, the mask's; masked_scatter_: the source's
    # dtype, the mask expanded to self, the mask's dtype
    "f.masked_scatter(lib.tensor([1, 0, 1]), i)", "f.masked_scatter(lib.tensor([[True], [False]]), f)",
    "f.masked_scatter(lib.tensor([1, 0]), i)", "f.masked_scatter(lib.tensor([1, 0]), f)",
    "f.masked_scatter(lib.tensor([True, False]), i)", "f.clone().masked_scatter_(lib.tensor([1, 0, 1]), i)",
    "f.clone().masked_scatter_(lib.tensor([1, 0, 1]), f)", "f.clone().masked_scatter_(lib.tensor([1, 0]), f)",
    "f.clone().masked_scatter_(lib.tensor([[True, False]]), f)",
    "f.clone().masked_scatter_(lib.tensor([True, False]), f)",
    # scatter: an empty index is not checked; the legacy reduction's name after the arguments
    "lib.scatter(f, 0, lib.zeros(2, 0, dtype=lib.int64), f)", "lib.scatter(f, 0, lib.zeros(0), f)",
    "lib.scatter(f, 0, lib.zeros(2, 0, dtype=lib.int64), 2.)", "lib.scatter(f, 0, lib.zeros(0), 1j)",
    "lib.scatter_add(f, 0, lib.zeros(0, dtype=lib.bool), lib.tensor(2.))",
    "lib.tensor(1.).scatter(0, lib.zeros(0, dtype=lib.bool), lib.tensor(2.))",
    "lib.scatter(f, 0, lib.zeros(0), i)", "lib.scatter(f, 5, lib.tensor([0]), f, reduce='bad')",
    "lib.scatter(f, 0, lib.tensor([0.]), f, reduce='bad')", "lib.scatter(f, 0, lib.tensor([[0]]), f, reduce='bad')",
    "lib.scatter(f, 0, lib.zeros(2, 0, dtype=lib.int64), 1., reduce='bad')",
    "lib.scatter(lib.arange(12.).reshape(3, 4), -1, lib.zeros(0), True, reduce='multiply')",
    "lib.zeros(2, 3).scatter(0, lib.zeros(1, 1, dtype=lib.int64), lib.ones(5))",
    "lib.zeros(2, 3).scatter(0, lib.zeros(3, 1, dtype=lib.int64), lib.ones(5))",
    "lib.zeros(2, 3).scatter(0, lib.zeros(1, 1, dtype=lib.int64), lib.ones(()))",
    "lib.zeros(2, 3).scatter(0, lib.zeros(1, 1, dtype=lib.int64), lib.ones(1, 0))",
    "lib.zeros(2, 3).scatter(1, lib.zeros(1, 4, dtype=lib.int64), lib.ones(5, 5))",
    "lib.zeros(2, 3).scatter_add(1, lib.tensor([[-1, 3, 2]]), lib.ones(0))",
    # scatter_reduce: the dim, the dtypes, the shapes, the reduction's name, the kernel, the index values
    "lib.scatter_reduce(f, 5, lib.tensor([0]), f, 'bad')", "lib.scatter_reduce(f, 0, lib.tensor([0.]), f, 'bad')",
    "lib.scatter_reduce(f, 0, lib.tensor([0]), i, 'bad')", "lib.scatter_reduce(f, 0, lib.tensor([[0]]), f, 'bad')",
    "lib.scatter_reduce(f, 0, lib.tensor([5]), f, 'bad')", "lib.scatter_reduce(c, 0, lib.tensor([[0]]), c, 'amax')",
    "lib.scatter_reduce(lib.arange(12.).reshape(4, 1, 3), 0, lib.zeros(0), lib.ones(1, 5), 'mean')",
    "lib.scatter_reduce(lib.arange(6).reshape(2, 3), 1, lib.zeros(2, 0), lib.ones(4, 1, 3).long(), 'amin')",
    "lib.scatter_reduce(lib.tensor(2.), 0, lib.zeros(2, 0), lib.ones(4, 1, 3), 'amin')",
    # index_add: the index's rank before its dtype; a 0-d source's dim after the dim check
    "f.index_add(0, lib.tensor([[0.]]), f)", "f.index_add(0, lib.tensor([0.]), f)",
    "f.index_add(0, lib.tensor([0, 1]), lib.tensor(1.))", "f.index_add(0, lib.tensor([0]), lib.tensor(1.))",
    "lib.zeros(2, 0).index_add(0, lib.tensor([-1, -3]), lib.tensor(3.5))",
    "lib.zeros(2, 3).index_add(1, lib.tensor([0, 1]), lib.tensor(3.5))",
    "lib.zeros(2, 3).index_add(1, lib.tensor([0]), lib.tensor(3.5))",
    # take_along_dim without a dim views the input flat; index_select of a vector checks each index alone
    "lib.take_along_dim(lib.arange(6.).reshape(2, 3).t(), lib.tensor([0]))",
    "lib.take_along_dim(lib.arange(6.).reshape(2, 3).t(), lib.zeros(0, dtype=lib.int64))",
    "lib.take_along_dim(lib.arange(6.).reshape(2, 3), lib.tensor([[0, 1]]).t())",
    "lib.take_along_dim(lib.arange(6.).reshape(2, 3), lib.tensor([[0, 1]]))",
    "lib.zeros(0).index_select(0, lib.tensor([0]))", "lib.zeros(0).index_select(0, lib.tensor(0))",
    "lib.zeros(3).index_select(-1, lib.tensor([0, 3]))",
]


@pytest.mark.parametrize("source", _SCATTERS)
def test_scatters_check_in_torchs_order(source):
    _assert_same(source, **{name: (lambda lib, name=name: _operands(lib)[name]) for name in ("f", "c", "i")})


def test_scatter_of_an_empty_index_is_recorded():
    def graph(lib):
        x, s = lib.tensor([1.5, 2.], requires_grad=True), lib.tensor([[3.]], requires_grad=True)
        y = lib.scatter(x, 0, lib.zeros(2, 0, dtype=lib.int64), s)
        (y * lib.tensor([2., 3.])).sum().backward()
        return y.grad_fn.name(), x.grad.tolist(), s.grad.tolist()
    assert graph(torchless) == graph(torch)


@pytest.mark.parametrize("source", [
    "lib.where(lib.tensor([1, 0]), 300, u)", "lib.where(lib.tensor([1, 0]), u, 300)",
    "lib.where(lib.tensor([1., 0]), 300, u)", "lib.where(lib.tensor([1, 0]), 2**64, u)",
    "lib.where(lib.tensor([1, 0], dtype=lib.uint8), 300, u)", "lib.where(lib.tensor([1, 0]), u, 3)",
    "lib.where(lib.tensor([1, 0]), 1e40, f)", "lib.where(lib.tensor([1, 0]), 2**64, 1)",
    "lib.where(lib.tensor([1, 0, 1]), f, u)", "lib.where(lib.tensor([True, False]), 300, u)",
])
def test_where_converts_its_numbers_before_checking_the_condition(source):
    _assert_same(source, f=lambda lib: _operands(lib)["f"], u=lambda lib: lib.tensor([1, 200], dtype=lib.uint8))


@pytest.mark.parametrize("source", [
    "lib.zeros(2, 1, 0).index_put_((lib.tensor([5]),), lib.ones(1), accumulate=True)",
    "lib.zeros(2, 1, 0).index_put_((lib.tensor([5]), lib.tensor([3])), lib.ones(1), accumulate=True)",
    "lib.zeros(2, 0).index_put_((lib.tensor([5]), lib.tensor([3])), lib.ones(1), accumulate=True)",
    "lib.zeros(2, 1).index_put_((lib.tensor([5]),), lib.ones(1), accumulate=True)",
    "lib.zeros(2, 1, 0).requires_grad_().clone().index_put_((lib.tensor([5]),), lib.ones(1), accumulate=True)"
    ".grad_fn.name()",
])
def test_accumulating_into_nothing_reads_no_index(source):
    _assert_same(source)


@pytest.mark.parametrize("key", [
    "..., ..., True", "..., ..., 0", "..., 0, ...", "..., lib.tensor(1), ..., []", "..., ..., 0:1", "..., ..., None",
    "..., 0, ..., 0", "0, ..., ...", "..., None, ...", "..., [0], ...", "..., [0], ..., [0]", "..., ..., [0]",
    "..., ..., :", "None, ..., ..., None", "..., 1, 2, ...", "..., 1, 2, 3, ...", "..., ..., lib.tensor([True, False])",
    "..., lib.tensor([[True, False, True, True]] * 4), ...", "..., 1:, ..., 2", "..., ..., ..., 1", "1, ..., 2, ...",
    "lib.tensor([True, False]), ..., ...", "[-4, 2], ..., ..., 0",
])
@pytest.mark.parametrize("access", ["x[{}]", "x.__setitem__(({},), 5.)"])
def test_keys_of_several_ellipses_walk_as_torch(key, access):
    _assert_same(access.format(key), x=_grid)


_EMPTY_RESULTS = [
    "x.unique()", "x.unique(return_inverse=True, return_counts=True)", "x.unique_consecutive()",
    "x.unique_consecutive(return_inverse=True, return_counts=True)", "lib.bincount(x.long().reshape(-1))",
    "lib.isclose(x, x)", "x.nonzero()", "lib.cat([x, x])", "x.masked_fill(x > 0, 1)",
    "x.scatter(0, lib.zeros_like(x, dtype=lib.int64), x)",
]


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 3), (2, 0, 3)])
@pytest.mark.parametrize("source", _EMPTY_RESULTS)
def test_empty_results_strided_as_torch(source, shape):
    _assert_same(source, x=lambda lib: lib.zeros(shape))


@pytest.mark.parametrize("source", [
    "lib.zeros(0, 3).unique(dim=0, return_inverse=True, return_counts=True)",
    "lib.zeros(2, 0).unique_consecutive(dim=1, return_inverse=True, return_counts=True)",
    "lib.tensor(0.).nonzero()", "lib.tensor(1.).nonzero()", "lib.ones(2, 3).nonzero()",
])
def test_more_empty_results_strided_as_torch(source):
    _assert_same(source)


@pytest.mark.parametrize("layout", sorted(_LAYOUTS))
@pytest.mark.parametrize("source", ["lib.isclose(x, x)", "lib.isclose(x, x.contiguous())",
                                    "lib.isclose(x.contiguous(), x, equal_nan=True)"])
def test_isclose_laid_out_as_torch(source, layout):
    _assert_same(source, x=lambda lib: _LAYOUTS[layout](lib, lib.float32))
