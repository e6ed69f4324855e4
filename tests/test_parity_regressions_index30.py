"""Parity regressions of session 30's indexing sweep: scatters through an empty index whose src is smaller than it,
narrow_copy's own checks, repeat_interleave's checks in PyTorch's order. Every expectation is torch's, computed at
run time."""

import numpy as np
import pytest

import torchless
from helpers import tensor_outcome

torch = pytest.importorskip("torch")


def _assert_same(call):
    assert tensor_outcome(call, torchless) == tensor_outcome(call, torch)


# ---------------------------------------------------------------------------- scatters through an empty index
# PyTorch checks no shape against an empty index (nothing is written), so src may be smaller than the index in
# some dim; src's gradient then has the index's shape, which the engine refuses.
_EMPTY_INDEX_CASES = [((4, 4, 4), 0, (3, 0, 4), (3, 4, 3)), ((3, 1, 3), 0, (3, 1, 0), (2, 3, 4)),
                      ((4, 2), 0, (3, 0), (2, 3)), ((4, 0), -1, (4, 0), (3, 3)), ((2, 0, 1), 2, (0, 0, 1), (2, 1, 0))]


def _scatter_call(name, dim, index, src, lib):
    if name == "scatter_reduce":
        return lambda x: lib.scatter_reduce(x, dim, index, src, "amax", include_self=False)
    if name.startswith("legacy"):
        return lambda x: x.scatter(dim, index, src, reduce=name[len("legacy_"):])
    return lambda x: getattr(lib, name)(x, dim, index, src)


@pytest.mark.parametrize("shape, dim, index_shape, src_shape", _EMPTY_INDEX_CASES)
@pytest.mark.parametrize("name", ["scatter", "scatter_add", "scatter_reduce", "legacy_add", "legacy_multiply"])
@pytest.mark.parametrize("in_place", [False, True])
def test_scatter_through_an_empty_index_with_a_smaller_src(shape, dim, index_shape, src_shape, name, in_place):
    def call(lib):
        x = lib.arange(float(np.prod(shape))).reshape(shape)
        index, src = lib.zeros(index_shape, dtype=lib.int64), lib.ones(src_shape)
        if in_place:
            op = name.replace("legacy_add", "scatter").replace("legacy_multiply", "scatter") + "_"
            kwargs = {"reduce": name[len("legacy_"):]} if name.startswith("legacy") else {}
            args = ("amax",) if name == "scatter_reduce" else ()
            return getattr(x, op)(dim, index, src, *args, **kwargs)
        return _scatter_call(name, dim, index, src, lib)(x)
    _assert_same(call)


@pytest.mark.parametrize("name", ["scatter", "scatter_add", "scatter_reduce"])
@pytest.mark.parametrize("src_shape", [(3, 4, 3), (2, 1, 2), (3, 0, 4)])
def test_scatter_through_an_empty_index_src_gradient(name, src_shape):
    def call(lib):
        x = lib.zeros(4, 4, 4, dtype=lib.float64, requires_grad=True)
        src = lib.ones(src_shape, dtype=lib.float64, requires_grad=True)
        out = _scatter_call(name, 0, lib.zeros(3, 0, 4, dtype=lib.int64), src, lib)(x)
        out.sum().backward()
        return lib.cat([x.grad.reshape(-1), src.grad.reshape(-1)])
    _assert_same(call)


# ---------------------------------------------------------------------------- narrow_copy
# narrow_copy does not share narrow's checks: a negative length is refused only after start's range, in words of
# a range exceeding the dim, and a dim past the last one fails a bare assertion.
@pytest.mark.parametrize("shape", [(), (3,), (2, 0), (2, 3)])
@pytest.mark.parametrize("dim", [-3, -1, 0, 1, 2])
@pytest.mark.parametrize("start", [-5, -3, -1, 0, 1, 3, 4])
@pytest.mark.parametrize("length", [-2, -1, 0, 1, 4])
def test_narrow_copy_checks(shape, dim, start, length):
    _assert_same(lambda lib: lib.narrow_copy(lib.arange(float(np.prod(shape))).reshape(shape), dim, start, length))


# ---------------------------------------------------------------------------- repeat_interleave
# With a tensor of counts PyTorch checks their rank, then the dim (a 0-d input's own words) and their number, and
# only then (its kernel) their dtype, an output size against their total, and their signs; with an int count, its
# sign before the dim is looked up.
_REPEATS = [2, 0, -1, [], [2], [1, 2, 0], [1, -1, 2], [[1]], np.array(2), [2.0], [2.0, 1.0, 1.0], [True], "uint8"]


def _repeats(rep, lib):
    if isinstance(rep, (int, np.integer)) and not isinstance(rep, np.ndarray):
        return rep
    if rep == "uint8":
        return lib.tensor([1, 2, 0], dtype=lib.uint8)
    return lib.tensor(rep, dtype=lib.float32 if isinstance(rep, list) and not rep else None)


@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3), (0,), (2, 0)])
@pytest.mark.parametrize("dim", [None, 0, 1, -1, -3])
@pytest.mark.parametrize("rep", _REPEATS, ids=repr)
@pytest.mark.parametrize("output_size", [None, 3, 0])
def test_repeat_interleave_checks(shape, dim, rep, output_size):
    _assert_same(lambda lib: lib.arange(float(np.prod(shape))).reshape(shape).repeat_interleave(
        _repeats(rep, lib), dim=dim, output_size=output_size))


@pytest.mark.parametrize("rep", [[2, 1], [2, -1], [-1, -2], [], [[2]], 2, [2.0], [[2.0]], [3, 0, 1]], ids=repr)
@pytest.mark.parametrize("dtype", [None, "int32", "uint8", "float64"])
@pytest.mark.parametrize("output_size", [None, 0, 3, 4, -1, -3])
def test_repeat_interleave_of_counts_alone(rep, dtype, output_size):
    if rep == [2, -1] and output_size == 1:
        pytest.skip("PyTorch writes out of bounds there")
    _assert_same(lambda lib: lib.repeat_interleave(lib.tensor(rep, dtype=getattr(lib, dtype) if dtype else None),
                                                   output_size=output_size))


@pytest.mark.parametrize("reduce", ["add", "multiply"])
@pytest.mark.parametrize("value", [False, True])
def test_legacy_scatter_reduction_result_is_c_contiguous(reduce, value):
    # (scatter's clone of self, then its in-place kernel: not laid out as an elementwise op's result)
    def call(lib):
        src = 2.0 if value else lib.ones(2, 2)
        return lib.arange(12.).reshape(3, 4).t().scatter(0, lib.tensor([[0, 1], [2, 0]]), src, reduce=reduce)
    _assert_same(call)


# ---------------------------------------------------------------------------- tensor_split
@pytest.mark.parametrize("split", ["tensor(2.)", "tensor([1.])", "tensor([[1]])", "tensor([1], dtype=lib.int32)",
                                   "tensor([])", "tensor(True)", "tensor(2)", "tensor([2, 1])"])
@pytest.mark.parametrize("shape", [(), (4,), (3, 2)])
def test_tensor_split_of_a_0d_tensor_is_refused_first(split, shape):
    _assert_same(lambda lib: lib.stack(lib.tensor_split(lib.zeros(shape), eval("lib." + split), 0)[:1]))


# ---------------------------------------------------------------------------- scatter_reduce's mean of bools
@pytest.mark.parametrize("count", [0, 2])
@pytest.mark.parametrize("include_self", [False, True])
def test_scatter_reduce_mean_of_bools_is_refused_by_the_kernel_that_runs(count, include_self):
    _assert_same(lambda lib: lib.zeros(3, dtype=lib.bool).scatter_reduce(
        0, lib.zeros(count, dtype=lib.int64), lib.ones(count, dtype=lib.bool), "mean", include_self=include_self))


# ---------------------------------------------------------------------------- float16 accumulation
# PyTorch's scatter kernels (scatter_add, scatter_reduce's sum, prod and mean, the legacy reductions) and the
# backwards that run one (gather's, masked_select's over broadcast dims) accumulate float16 in float32, rounding
# once; index_reduce's kernel rounds after each step.
def _half_case(seed):
    rng = np.random.RandomState(seed)
    ndim = rng.randint(1, 4)
    shape = tuple(rng.randint(1, 5, size=ndim))
    dim = rng.randint(0, ndim)
    index_shape = tuple(rng.randint(1, size + 1) if d != dim else rng.randint(1, 7) for d, size in enumerate(shape))
    a = (rng.randn(*shape) * 3).astype(np.float16)
    src = (rng.randn(*index_shape) * 3).astype(np.float16)
    return a, dim, rng.randint(0, shape[dim], size=index_shape), src


_HALF_OPS = {
    "scatter_add": lambda x, dim, i, s, lib: x.scatter_add(dim, i, s),
    "legacy_add": lambda x, dim, i, s, lib: x.scatter(dim, i, s, reduce="add"),
    "legacy_multiply": lambda x, dim, i, s, lib: x.scatter(dim, i, s, reduce="multiply"),
    "legacy_multiply_value": lambda x, dim, i, s, lib: x.scatter(dim, i, 1.3, reduce="multiply"),
    **{f"{reduce}_{include_self}": (lambda reduce, include_self: lambda x, dim, i, s, lib: x.scatter_reduce(
        dim, i, s, reduce, include_self=include_self))(reduce, include_self)
       for reduce in ("sum", "prod", "mean") for include_self in (False, True)},
}


@pytest.mark.parametrize("name", sorted(_HALF_OPS))
def test_scatter_float16_accumulates_in_float32(name):
    for seed in range(40):
        a, dim, index, src = _half_case(seed)
        outs = [_HALF_OPS[name](lib.tensor(a), dim, lib.tensor(index), lib.tensor(src), lib).numpy()
                for lib in (torch, torchless)]
        np.testing.assert_array_equal(outs[1], outs[0])


@pytest.mark.parametrize("name", ["gather", "take_along_dim", "masked_select_broadcast"])
def test_gradient_of_a_float16_gather_accumulates_in_float32(name):
    for seed in range(40):
        a, dim, index, _ = _half_case(seed)
        index = index[tuple(slice(None) if d == dim else slice(0, 1) for d in range(a.ndim))]  # (broadcastable)
        grads = []
        for lib in (torch, torchless):
            x = lib.tensor(a, requires_grad=True)
            if name == "gather":
                out = x.gather(dim, lib.tensor(index))
            elif name == "take_along_dim":
                out = lib.take_along_dim(x, lib.tensor(index), dim)
            else:
                out = x[..., :1].masked_select(lib.ones((3,) + a.shape, dtype=lib.bool))
            out.backward(lib.tensor((np.random.RandomState(seed).randn(*out.shape) * 3).astype(np.float16)))
            grads.append(x.grad.numpy())
        np.testing.assert_array_equal(grads[1], grads[0])


def test_index_reduce_float16_rounds_each_step():
    for seed in range(40):
        rng = np.random.RandomState(seed)
        a = (rng.randn(4, 3) * 3).astype(np.float16)
        index, source = rng.randint(0, 4, size=6), (rng.randn(6, 3) * 3).astype(np.float16)
        for include_self in (False, True):
            outs = [lib.tensor(a).index_reduce(0, lib.tensor(index), lib.tensor(source), "prod",
                                               include_self=include_self).numpy() for lib in (torch, torchless)]
            np.testing.assert_array_equal(outs[1], outs[0])


# ---------------------------------------------------------------------------- index_put's accumulation
# (NumPy's ufunc.at misreads a vector of values against an index array of several dims into a vector: each value
# was added once, or memory past the values read)
@pytest.mark.parametrize("index", [[[0, 1], [0, 1]], [[0, 0], [0, 0]], [[[0, 1], [2, 1]]], [[2, 2], [1, 0], [0, 0]]])
@pytest.mark.parametrize("dtype", ["float64", "int64", "float32"])
def test_index_put_accumulates_a_broadcast_vector_into_a_vector(index, dtype):
    _assert_same(lambda lib: lib.arange(3).to(getattr(lib, dtype)).index_put(
        (lib.tensor(index),), lib.tensor([1, 10]).to(getattr(lib, dtype)), accumulate=True))


def test_index_put_accumulate_gradients_of_a_broadcast_vector():
    def call(lib):
        x = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        values = lib.tensor([1.0, 10.0], dtype=lib.float64, requires_grad=True)
        out = (x * 1).index_put((lib.tensor([[0, 1], [0, 1]]),), values, accumulate=True)
        out.backward(lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64))
        return lib.cat([out.detach(), x.grad, values.grad])
    _assert_same(call)


# ---------------------------------------------------------------------------- assignments through whole keys
# Ellipses and full slices only, however many Ellipses: PyTorch copies into the tensor itself (CopyBackwards, or
# FillBackward3 for a number), a slice after a second Ellipsis landing past the last dim, of size 0 there.
_E, _S = Ellipsis, slice(None)


@pytest.mark.parametrize("key", [(_E, _E), (_E, _E, _E), (_S, _E, _E), (_E, _E, _S), (_E, _S, _E), (_S, _S, _E, _E),
                                 (_E, _E, slice(0, 5)), (_E, slice(0, 5), _E), (_E, _E, slice(0, 2)),
                                 (_E, _E, slice(1, 2)), (_E, _E, slice(0, -1)), (_E, _S, _S, _S), (_E, _E, None)],
                         ids=repr)
@pytest.mark.parametrize("shape", [(2, 3), (3,), ()])
@pytest.mark.parametrize("number", [False, True])
def test_assignment_through_several_ellipses(key, shape, number):
    def call(lib):
        y = lib.zeros(shape, dtype=lib.float64, requires_grad=True) * 1
        y[key] = 2.0 if number else lib.ones(shape[-1:], dtype=lib.float64)
        return y.grad_fn.name()
    outcomes = []
    for lib in (torch, torchless):
        try:
            outcomes.append(call(lib))
        except Exception as error:  # noqa: BLE001 (the error is the outcome compared)
            outcomes.append(type(error).__name__)
    assert outcomes[1] == outcomes[0]


# ---------------------------------------------------------------------------- assignments through index arrays
# PyTorch applies a key's ints, None and slices short of their dim as views first and index_puts into that view,
# which its graph records as a write into a view (CopySlices); index arrays with full slices alone write into the
# tensor itself (IndexPutBackward0). The values and gradients are the same either way.
_KEYS = ["None, m", "m, None", "t, ..., None", "None, t", "t, None", "t, 1:", "t, 0", "None, None, t", "t, :",
         "m, 1:", "1:, m2", "t, ...", "t, 0, None", "0, m2", "m, 1", ":2, m2", "m, :", "t, ::2", ":, m2, None"]


@pytest.mark.parametrize("key", _KEYS)
@pytest.mark.parametrize("value", ["7.0", "vector", "column", "scalar"])
def test_assignment_through_index_arrays_and_views(key, value):
    def call(lib):
        m, m2, t = lib.tensor([True, False, True]), lib.tensor([True, False]), lib.tensor([0, 2])
        x = lib.arange(6.0, dtype=lib.float64).reshape(3, 2).requires_grad_()
        v = {"7.0": 7.0, "vector": lib.tensor([5.0, 6.0], dtype=lib.float64, requires_grad=True),
             "column": lib.tensor([[5.0], [6.0]], dtype=lib.float64, requires_grad=True),
             "scalar": lib.tensor(9.0, dtype=lib.float64, requires_grad=True)}[value]
        y = x * 1
        y[eval(f"np.s_[{key}]", {"np": np, "m": m, "m2": m2, "t": t})] = v
        (y * lib.arange(6.0, dtype=lib.float64).reshape(3, 2)).sum().backward()
        return y.grad_fn.name(), y.tolist(), x.grad.tolist(), v.grad.tolist() if value != "7.0" else None
    outcomes = []
    for lib in (torch, torchless):
        try:
            outcomes.append(call(lib))
        except Exception as error:  # noqa: BLE001 (the error is the outcome compared)
            outcomes.append((type(error).__name__, str(error).replace("torchless", "torch")))
    assert outcomes[1] == outcomes[0]


# ---------------------------------------------------------------------------- views of no elements, 0-d pieces
# PyTorch's empty slice starts at the slice's start (clamped to the dim) and strides by the step; NumPy's starts at
# the first element with the dim's stride. An empty diagonal starts at the input's first element.
def _layout(t):
    return tuple(t.shape), t.stride(), t.storage_offset(), t._base is not None


_EMPTY_VIEWS = ["t[7:1]", "t[30:]", "t[5:5:2]", "t[-3:-3:3]", "m[1:1]", "m[:, 2:2:3]", "m[5:]", "m[1, 3:1]",
                "m[None, 2:2]", "m.narrow(1, 4, 0)", "m.split(2, 1)", "m.split([4, 0], 1)", "m.split([0, 3, 0], 0)",
                "m.tensor_split(6, 1)", "m.chunk(5, 0)", "m.t()[2:2]", "m.diagonal(5)", "m.diagonal(-4)",
                "m.unsqueeze(0).diagonal(3, 1, 2)"]


@pytest.mark.parametrize("view", _EMPTY_VIEWS)
def test_views_of_no_elements_are_placed_as_pytorch_s(view):
    def layouts(lib):
        out = eval(view, {"t": lib.arange(10.0), "m": lib.arange(12.0).reshape(3, 4)})
        return [_layout(piece) for piece in (out if isinstance(out, tuple) else (out,))]
    assert layouts(torchless) == layouts(torch)


@pytest.mark.parametrize("dim", [0, -1])
def test_unbinding_a_vector_gives_views(dim):
    # (NumPy hands back a copy for an int per dim: writes through the pieces were lost)
    def call(lib):
        vector = lib.arange(4.0)
        pieces = vector.unbind(dim)
        pieces[1].fill_(5.0)
        pieces[3].add_(2.0)
        rows = list(vector)
        rows[0].fill_(-1.0)
        return vector.tolist(), [_layout(p) for p in pieces], vector._version, pieces[1]._version
    assert call(torchless) == call(torch)
