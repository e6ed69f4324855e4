"""Parity regressions of session 28's indexing sweep: keys of several Ellipses, rot90's and diag_embed's layouts,
repeat_interleave's, index_reduce's, index_fill's and index_copy's errors, and the src gradients of scatters
whose index is smaller than src. Every expectation is torch's, computed at run time."""
import warnings

import numpy as np
import pytest

import torchless
from helpers import tensor_outcome

torch = pytest.importorskip("torch")


def _assert_same(call):
    assert tensor_outcome(call, torchless) == tensor_outcome(call, torch)


# ---------------------------------------------------------------------------- keys with several Ellipses
# Each Ellipsis skips the dims the rest of the key leaves, so a part after a second one may land past the last
# dim: PyTorch reads that dim's size as 0 there, so a slice from 0 by 1 to at least 0 returns the tensor, any other
# slice fails to find the dim, and a backward or zero step fails first.
@pytest.mark.parametrize("ellipses", [2, 3, 4])
@pytest.mark.parametrize("part", [slice(None), slice(0, None), slice(0, 0), slice(0, 1), slice(0, 5), slice(1, None),
                                  slice(0, -1), slice(-1, None), slice(None, None, 2), slice(None, None, -1),
                                  slice(None, None, 0)])
def test_slice_past_the_last_dim_after_a_second_ellipsis(ellipses, part):
    for key in [(Ellipsis,) * ellipses + (part,), (Ellipsis,) * ellipses + (0, part),
                (0,) + (Ellipsis,) * ellipses + (part,), (Ellipsis,) * ellipses + (slice(None), part)]:
        _assert_same(lambda lib: lib.arange(12.).reshape(4, 3)[key])


def test_slice_past_the_last_dim_in_an_assignment():
    for part in (slice(0, None), slice(1, None)):
        def assign(lib):
            x = lib.zeros(4, 3)
            x[..., ..., part] = 5.0
            return x
        _assert_same(assign)


# ---------------------------------------------------------------------------- rot90, diag_embed layouts
@pytest.mark.parametrize("k", range(-5, 6))
@pytest.mark.parametrize("shape,dims,transposed", [((2, 3), (0, 1), False), ((2, 3), (0, 1), True),
                                                   ((3, 2, 3), (0, 2), True), ((1, 3, 1), (-1, -3), False),
                                                   ((4, 1, 4), (2, -2), False), ((1, 2, 1), (-2, -3), False)])
def test_rot90_values_and_strides(k, shape, dims, transposed):
    def rotate(lib):
        x = lib.arange(float(np.prod(shape))).reshape(shape)
        return (x.transpose(0, 1) if transposed else x).rot90(k, dims)
    _assert_same(rotate)


def test_rot90_returns_a_copy_for_every_turn():
    for k in range(4):
        x = torchless.arange(6.).reshape(2, 3)
        x.rot90(k)[0, 0] = 100.0
        assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


@pytest.mark.parametrize("shape,offset,dim1,dim2", [((2, 2, 3), -1, -4, -3), ((4, 4), -1, 1, 2), ((1, 4, 4), 3, 1, 3),
                                                    ((1, 3), 0, 0, 1), ((1, 2), -1, -3, -2), ((1, 1, 2), 0, 1, 2),
                                                    ((3, 2), 0, 2, 0)])
def test_diag_embed_is_c_contiguous(shape, offset, dim1, dim2):
    _assert_same(lambda lib: lib.diag_embed(lib.arange(1., 1. + np.prod(shape)).reshape(shape), offset, dim1, dim2))


def test_diag_embed_gradient():
    def gradient(lib):
        x = lib.arange(1., 7., dtype=lib.float64).reshape(2, 3).requires_grad_()
        y = lib.diag_embed(x, 1, 0, 2)
        (g,) = lib.autograd.grad((y * y).sum(), x)
        return g.contiguous()  # (its values: PyTorch's is a diagonal view of the incoming gradient)
    _assert_same(gradient)


# ---------------------------------------------------------------------------- repeat_interleave
@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(()).repeat_interleave(lib.tensor([1]), dim=-1),
    lambda lib: lib.ones(()).repeat_interleave(lib.tensor([2, 1]), dim=0),
    lambda lib: lib.ones(2, 2).repeat_interleave(lib.tensor([1, 2, 3]), dim=-2),
    lambda lib: lib.ones(0, 1).repeat_interleave(lib.tensor([], dtype=lib.long), dim=-1),
    lambda lib: lib.ones(2, 2).repeat_interleave(lib.tensor([1, 2])),
])
def test_repeat_interleave_errors_name_the_dim_as_given(call):
    _assert_same(call)


# ---------------------------------------------------------------------------- index_reduce
_INDEX_REDUCE_CASES = [
    ((), 0, [0, 1], (), "prod", True), ((), -1, [0], (), "prod", True), ((3,), -1, [0, 1], (), "prod", True),
    ((3,), 0, [0], (), "amax", False), ((), 0, [0], (1,), "prod", True), ((), 0, [0, 0], (2,), "prod", True),
    ((), 0, [3], (1,), "prod", True), ((2, 4), 1, [0, 1], (2,), "prod", True),
    ((2, 4), -1, [0, 1], (3, 3), "prod", True), ((2, 4), 1, [0, 1], (3, 2, 1), "prod", True),
    ((2, 3), 0, [0, 5], (2, 3), "amax", False), ((2, 3), 0, [0, 5], (2, 3), "amax", True),
    ((4,), 0, [0, 5], (2,), "amax", False), ((4,), 0, [0, -1], (2,), "amax", True),
    ((4,), 0, [0, -1], (2,), "amax", False), ((0, 3), 0, [0, 1], (2, 3), "prod", False),
    ((0, 3), 0, [5, 1], (2, 3), "prod", True), ((2, 0), 0, [5, 1], (2, 0), "prod", False),
    ((0,), 0, [0, 1], (2,), "prod", True), ((0,), 0, [0, 1], (2,), "prod", False),
    ((2, 3), 0, [0, 1], (2, 3, 1), "mean", True), ((2,), 0, [0, 1], (2, 1), "mean", False),
    ((2, 3), 0, [1, 1], (2, 3), "mean", True), ((2,), 0, [1, 1], (2,), "mean", True), ((), 0, [0], (), "mean", True),
    ((3, 4), 1, [0, -9], (3, 2), "amin", False), ((3, 4), 1, [0, -2], (3, 2), "amin", False),
    ((3, 4), 1, [3, 0], (3, 2), "amin", False), ((2, 3), 0, [1, 1], (2, 3), "prod", True),
    ((3, 1), 1, [], (3, 0), "mean", True), ((3,), 0, [], (0,), "mean", True), ((3, 1), 1, [], (3, 0), "prod", False),
]


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8"])
@pytest.mark.parametrize("case", _INDEX_REDUCE_CASES)
def test_index_reduce_checks_and_values(dtype, case):
    shape, dim, index, source_shape, reduce, include_self = case

    def reduce_into(lib):
        self = lib.arange(float(np.prod(shape))).reshape(shape).to(getattr(lib, dtype))
        source = (lib.arange(float(np.prod(source_shape))).reshape(source_shape) + 2).to(getattr(lib, dtype))
        return self.index_reduce(dim, lib.tensor(index), source, reduce, include_self=include_self)
    _assert_same(reduce_into)


# ---------------------------------------------------------------------------- index_fill, index_copy
@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(0, 4).index_fill_(0, lib.tensor([0]), 1.0),
    lambda lib: lib.zeros(0, 4).index_fill_(1, lib.tensor([0]), 1.0),
    lambda lib: lib.zeros(3, 0).index_fill_(1, lib.tensor([0, 1]), 1.0),
    lambda lib: lib.zeros(0, dtype=lib.float16).index_fill(0, lib.tensor([0, 1, 2, 3]), lib.tensor(1.0)),
    lambda lib: lib.zeros(0).index_fill_(0, lib.tensor([5]), 1.0),
    lambda lib: lib.zeros(2, 0).index_fill_(0, lib.tensor([5]), 1.0),
    lambda lib: lib.zeros(5, 4)[:0].index_fill_(0, lib.tensor([5]), 1.0),
    lambda lib: lib.zeros(5, 4)[:, :0].index_fill_(1, lib.tensor([5]), 1.0),
    lambda lib: lib.zeros(3, 0).index_copy_(1, lib.tensor([0, 1]), lib.ones(3, 2)),
    lambda lib: lib.zeros(1, 0, dtype=lib.float64).index_copy(1, lib.tensor([0, 1]), lib.ones(1, 2, dtype=lib.float64)),
    lambda lib: lib.zeros(0).index_copy_(0, lib.tensor([0, 1]), lib.ones(2)),
    lambda lib: lib.zeros(2, 0).index_copy_(0, lib.tensor([5]), lib.ones(1, 0)),
])
def test_index_fill_and_copy_into_an_empty_tensor(call):
    _assert_same(call)


@pytest.mark.parametrize("dtype,value", [("uint8", -1.5), ("uint8", 300), ("float16", 1e6), ("int8", 200),
                                         ("bool", 3.5), ("int8", True), ("int32", -7.9)])
@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("as_tensor", [False, True])
@pytest.mark.parametrize("shape,index", [((2, 3), [2, 0]), ((2, 3), [5]), ((2, 0), [1]), ((0, 3), [2])])
def test_index_fill_range_checks_its_value(dtype, value, in_place, as_tensor, shape, index):
    """The value, a tensor's too, is converted as a number: after self's restriding, before the index values."""
    def fill(lib):
        x = lib.zeros(shape, dtype=getattr(lib, dtype))
        given = lib.tensor(value) if as_tensor else value
        return getattr(x, "index_fill_" if in_place else "index_fill")(-1, lib.tensor(index), given)
    _assert_same(fill)


# ---------------------------------------------------------------------------- scatters with a smaller index
def _gradients(lib, call, shapes, create_graph):
    rng = np.random.default_rng(0)
    inputs = [lib.tensor(rng.integers(-2, 3, shape).astype(np.float64), requires_grad=True) for shape in shapes]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = call(lib, *inputs)
            grads = lib.autograd.grad((out * out).sum(), inputs, allow_unused=True, create_graph=create_graph)
    except Exception as error:  # noqa: BLE001 (the error is the outcome compared)
        return type(error).__name__, str(error)
    return [None if g is None else np.round(g.detach().numpy(), 10).tolist() for g in grads]


_SMALLER_INDICES = [([[0]], [(4, 3), (2, 2)]), ([[0, 1, 1]], [(4, 3), (2, 3)]), ([[0], [1]], [(4, 3), (2, 3)]),
                    ([[0, 1]], [(4, 3), (2, 3)]), ([[0, 1, 0]], [(4, 3), (1, 3)]),
                    ([[1, 0, 1], [1, 1, 0]], [(2, 3), (2, 3)]), (np.zeros((0, 2), np.int64), [(3, 2), (1, 2)]),
                    (np.zeros((0, 2), np.int64), [(3, 2), (2, 2)])]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("index,shapes", _SMALLER_INDICES)
@pytest.mark.parametrize("reduce", ["sum", "mean", "prod", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_src_gradient_for_an_index_smaller_than_src(index, shapes, reduce, include_self,
                                                                   create_graph):
    def call(lib, a, b):
        return a.scatter_reduce(0, lib.tensor(index, dtype=lib.long), b, reduce, include_self=include_self)
    assert _gradients(torchless, call, shapes, create_graph) == _gradients(torch, call, shapes, create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("index,shapes", _SMALLER_INDICES)
@pytest.mark.parametrize("name", ["scatter", "scatter_add"])
def test_scatter_src_gradient_for_an_index_smaller_than_src(index, shapes, name, create_graph):
    def call(lib, a, b):
        return getattr(a, name)(0, lib.tensor(index, dtype=lib.long), b)
    assert _gradients(torchless, call, shapes, create_graph) == _gradients(torch, call, shapes, create_graph)


# ---------------------------------------------------------------------------- in-place scatters into 0-d tensors
@pytest.mark.parametrize("call", [
    lambda lib, a, b: a.scatter_reduce_(0, lib.tensor(0), b, "sum"),
    lambda lib, a, b: a.scatter_reduce_(0, lib.tensor(0), b, "prod", include_self=False),
    lambda lib, a, b: a.scatter_reduce_(0, lib.tensor(0), b, "amax"),
    lambda lib, a, b: a.scatter_reduce_(0, lib.tensor([0]), b.reshape(1), "mean"),
    lambda lib, a, b: a.index_reduce_(0, lib.tensor([0]), b, "prod"),
    lambda lib, a, b: a.index_reduce(0, lib.tensor([0]), b, "amin"),
])
def test_in_place_reductions_into_a_0d_tensor_are_differentiable(call):
    def gradients(lib):
        a = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(2.5, dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = call(lib, a.clone(), b)
        return [g.item() for g in lib.autograd.grad(out * out, [a, b])]
    assert gradients(torchless) == pytest.approx(gradients(torch), rel=1e-12)


# ---------------------------------------------------------------------------- assignments through a 0-d mask
@pytest.mark.parametrize("key", [(False, 0), (True, 0), (Ellipsis, True, -1), (1, False)])
def test_assignment_through_a_0d_mask_after_an_int_is_differentiable(key):
    def gradients(lib):
        x = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
        z = x * 1
        z[key] = v * 2
        weights = lib.tensor([0.5, -1.5], dtype=lib.float64)
        return [g.tolist() for g in lib.autograd.grad((z * weights).sum(), [x, v])]
    assert gradients(torchless) == gradients(torch)


# ---------------------------------------------------------------------------- put, take_along_dim, scatter_
def test_put_into_an_empty_tensor_is_refused_under_put_s_name():
    _assert_same(lambda lib: lib.zeros(0, 4).put(lib.tensor([0, 1]), lib.ones(2)))


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(0).take_along_dim(lib.tensor([0, 1]), 0),
    lambda lib: lib.zeros(2, 0).take_along_dim(lib.tensor([[0, 1]]), 1),
    lambda lib: lib.zeros(2, 0).take_along_dim(lib.zeros(1, 0, dtype=lib.long), 1),
    lambda lib: lib.zeros(2, 0).take_along_dim(lib.zeros(0, 3, dtype=lib.long), 1),
])
def test_take_along_an_empty_dim(call):
    _assert_same(call)


@pytest.mark.parametrize("call", [
    lambda lib, a, b: a.scatter_(0, lib.tensor([0]), b, reduce="add"),
    lambda lib, a, b: a.scatter_(0, lib.tensor([0]), 2.0, reduce="multiply"),
    lambda lib, a, b: a.scatter_(0, lib.tensor([0]), value=2.0, reduce="add"),
    lambda lib, a, b: a.scatter(0, lib.tensor([0]), b, reduce="add"),
])
def test_legacy_scatter_reduction_names_its_in_place_op(call):
    def gradient(lib):
        a, b = lib.ones(3, requires_grad=True), lib.ones(2, requires_grad=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lib.autograd.grad(call(lib, a.clone(), b).sum(), a)
        except RuntimeError as error:
            return str(error)
    assert gradient(torchless) == gradient(torch)


# ---------------------------------------------------------------------------- assignments into expanded tensors
_EXPANDED_VIEWS = [lambda x: x.expand(2, 3, 4), lambda x: x[:1].expand(3, 4), lambda x: x[:, :1].expand(3, 4),
                   lambda x: x[:1].expand(2, 3, 4)]
_EXPANDED_KEYS = [0, (0, 1), slice(1, None), (Ellipsis, 0), [0, 2], (slice(None), [1, 3]), [0, 1], (1, [1, 1]),
                  (0, [True, False, True]), "mask", (slice(None), slice(None), [0, 3])]
_EXPANDED_VALUES = [1.5, lambda lib: lib.tensor(2.0), lambda lib: lib.tensor([1.0, 2.0, 3.0, 4.0]),
                    lambda lib: lib.ones(1, 1), lambda lib: lib.ones(2, 3), lambda lib: lib.ones(3, 2)]


@pytest.mark.parametrize("view", _EXPANDED_VIEWS)
@pytest.mark.parametrize("key", _EXPANDED_KEYS)
@pytest.mark.parametrize("value", _EXPANDED_VALUES)
def test_assignment_into_an_expanded_tensor(view, key, value):
    """A basic key copies into a view (refused where that view overlaps itself), an advanced one index_puts with a
    deprecation warning; the key, its index values and the value's shape are checked first."""
    def assign(lib):
        x = lib.arange(12.0).reshape(3, 4)
        part = lib.ones(3, 4, dtype=lib.bool) if key == "mask" else key
        view(x)[part] = value(lib) if callable(value) else value
        return x
    _assert_same(assign)


@pytest.mark.parametrize("key,value", [([0, 1], 1.5), ((slice(None), [1, 2]), "ones4"), ("mask", 2.0),
                                       ("mask", "scalar_tensor"), ("mask", "ones24"), ((0, [0, 1]), 2.0)])
def test_assignment_into_an_expanded_tensor_warns_as_index_put(key, value):
    def warnings_of(lib):
        y = lib.arange(12.0).reshape(3, 4).expand(2, 3, 4)
        part = lib.ones(2, 3, 4, dtype=lib.bool) if key == "mask" else key
        given = {"ones4": lambda: lib.ones(4), "scalar_tensor": lambda: lib.tensor(2.0),
                 "ones24": lambda: lib.ones(24)}.get(value, lambda: value)()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y[part] = given
        return [(str(w.message), w.filename) for w in caught]
    assert warnings_of(torchless) == [(message, __file__) for message, _ in warnings_of(torch)]


@pytest.mark.parametrize("layout", [lambda lib: lib.ones(3, 2).t(), lambda lib: lib.ones(4, 6)[::2, 1:],
                                    lambda lib: lib.ones(2, 3, 4, 5).to(memory_format=lib.channels_last),
                                    lambda lib: lib.ones(3, 1).t()])
@pytest.mark.parametrize("name", ["index_fill", "index_copy", "index_add"])
def test_index_writes_result_layout(layout, name):
    """index_fill writes into a clone in self's layout, index_copy and index_add into a contiguous one."""
    def write(lib):
        x = layout(lib)
        source = lib.full(x.shape[:-1] + (1,), 2.0)
        argument = 2.0 if name == "index_fill" else source
        return getattr(x, name)(-1, lib.tensor([0]), argument)
    _assert_same(write)


@pytest.mark.parametrize("shape,dim", [((4, 3), 0), ((3, 4), 1), ((2, 4, 3), 1), ((2, 3, 4), -1), ((6,), 0)])
@pytest.mark.parametrize("index_dtype", ["int64", "int32"])
@pytest.mark.parametrize("alpha", [1, 2])
def test_index_add_rounding_of_float16(shape, dim, index_dtype, alpha):
    """PyTorch's slice-wise kernel (int64 index, alpha 1, first or last of two or more dims) sums a 16-bit float
    tensor's repeated indices in float32, rounding once; its elementwise one rounds after each addend."""
    rng = np.random.default_rng(7)
    base = rng.standard_normal(shape).astype(np.float32)
    source_shape = list(shape)
    source_shape[dim] = 8
    source = (rng.standard_normal(source_shape) * 0.01).astype(np.float32)
    index = rng.integers(0, 2, 8).tolist()

    def add(lib):
        return lib.from_numpy(base).half().index_add(dim, lib.tensor(index, dtype=getattr(lib, index_dtype)),
                                                     lib.from_numpy(source).half(), alpha=alpha)
    _assert_same(add)


@pytest.mark.parametrize("shape,dim", [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1), ((2, 3, 4), -1), ((6,), 0)])
@pytest.mark.parametrize("index_dtype", ["int64", "int32"])
def test_index_select_gradient_rounding_of_float16(shape, dim, index_dtype):
    """index_select's backward index_add_s the gradient: in float32 by the slice-wise kernel (see above)."""
    rng = np.random.default_rng(3)
    base = rng.standard_normal(shape).astype(np.float16)
    index = rng.integers(0, 2, 8)

    def gradient(lib):
        x = lib.from_numpy(base).requires_grad_()
        y = x.index_select(dim, lib.from_numpy(index.astype(index_dtype)))
        weights = lib.from_numpy(np.random.default_rng(4).standard_normal(tuple(y.shape)).astype(np.float16))
        return lib.autograd.grad(y, x, weights)[0]
    _assert_same(gradient)
