"""Differences from PyTorch found by a fifth differential fuzz of the Tensor API, each compared with torch.

* indexing: ints select before index arrays (``t[1, :, [0, 2]]``), 0-d integer tensors select as ints, a Python
  bool is a 0-d mask (and a lone bool assigns as torch does), negative slice steps fail in torch's order;
* promotion and in-place ops: the augmented operators write in place, shifts exist, in-place ops check the
  broadcast shape and cast before computing, integer true division converts each operand straight to float,
  the tensor-only binary ops refuse numbers;
* reductions: float16 accumulation, aminmax's keepdim, median/nanmedian/mode/quantile edge cases and check
  orders, the gradients of cumprod along a size-1 dim and of nanmean over an all-NaN row.
"""
import operator

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome, outcome_named_as_torch

torch = pytest.importorskip("torch")


def _grid(lib, shape=(2, 3, 4, 5), dtype="float32"):
    return lib.arange(float(np.prod(shape))).reshape(shape).to(getattr(lib, dtype))


def _both(fn):
    """fn(lib) for torch and torchless: (torch's result, torchless's)."""
    return fn(torch), fn(torchless)


# ---------------------------------------------------------------------------- indexing
_MIXED_KEYS = [
    lambda lib: (1, slice(None), [0, 2]),
    lambda lib: (slice(None), [0, 2], slice(None), 1),
    lambda lib: (slice(None), 1, slice(None), [0, 2]),
    lambda lib: (slice(None), lib.tensor(1), slice(None), [0, 2]),
    lambda lib: (slice(None), [0, 2], 1, [1, 3]),
    lambda lib: (None, 0, lib.tensor([[True, False, True, False]] * 3), 1),
    lambda lib: (Ellipsis, 2, lib.tensor([1, 0])),
]


@pytest.mark.parametrize("key", _MIXED_KEYS)
def test_ints_select_before_index_arrays(key):
    def read(lib):
        x = _grid(lib).requires_grad_()
        y = x[key(lib)]
        (y * lib.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return y, x.grad
    assert_same_outcome(read)
    expected, actual = _both(lambda lib: _grid(lib).requires_grad_()[key(lib)].grad_fn.name())
    assert actual == expected


@pytest.mark.parametrize("key", _MIXED_KEYS)
def test_ints_select_before_index_arrays_on_assignment(key):
    def write(lib):
        x = _grid(lib)
        target = x[key(lib)]
        x[key(lib)] = -lib.arange(float(target.numel())).reshape(target.shape)
        return x
    assert_same_outcome(write)

    def recorded(lib):
        a = _grid(lib).requires_grad_()
        x = a * 2
        x[key(lib)] = lib.tensor(3.0)
        (x * x).sum().backward()
        return x, a.grad
    assert_same_outcome(recorded)


def test_a_0d_integer_tensor_selects_a_view():
    def fn(lib):
        x = _grid(lib, (3, 4))
        x[lib.tensor(1)][0] = 100.0  # written through the view
        x[lib.tensor(2), 1].fill_(-1.0)
        return x
    assert_same_outcome(fn)
    expected, actual = _both(lambda lib: _grid(lib, (3, 4)).requires_grad_()[lib.tensor(1)].grad_fn.name())
    assert actual == expected == "SelectBackward0"


@pytest.mark.parametrize("key", [True, False, (1, True), (True, 0), (None, True)])
def test_a_python_bool_indexes_as_a_0d_mask(key):
    assert_same_outcome(lambda lib: _grid(lib, (3, 4))[key])
    expected, actual = _both(lambda lib: _grid(lib, (3, 4)).requires_grad_()[key].grad_fn.name())
    assert actual == expected


@pytest.mark.parametrize("value", [lambda lib: lib.tensor([1, 2, 3, 4]), lambda lib: lib.tensor(7, dtype=lib.int64),
                                   lambda lib: lib.zeros(5, 5), lambda lib: "text"])
@pytest.mark.parametrize("key", [True, False, (True,)])
def test_assigning_through_a_lone_bool(key, value):
    def fn(lib):
        x = _grid(lib, (3, 4))
        x[key] = value(lib)
        return x
    assert_same_outcome(fn)


def test_assigning_through_true_is_a_view_of_a_leaf():
    def fn(lib):
        x = lib.zeros(3, requires_grad=True)
        x[True] = 1.0
    assert_same_outcome(fn)


@pytest.mark.parametrize("key", [
    (slice(None, None, -1), 5), (5, slice(None, None, -1)), (slice(None, None, 0),), ([5], slice(None, None, -1)),
    (slice(None, None, -1), None, None, None, None), (lambda lib: lib.tensor([True, False]), slice(None, None, -1)),
])
def test_backward_steps_fail_in_torchs_order(key):
    def build(lib):
        return tuple(part(lib) if callable(part) else part for part in key)
    assert_same_outcome(lambda lib: _grid(lib, (3, 4))[build(lib)])

    def write(lib):
        x = _grid(lib, (3, 4))
        x[build(lib)] = 1.0
    assert_same_outcome(write)


@pytest.mark.parametrize("shape, key", [
    ((), lambda lib: lib.tensor(-1)), ((), lambda lib: (None, lib.tensor(0))), ((0, 3), lambda lib: lib.tensor(0)),
    ((4, 0, 2), lambda lib: (0, lib.tensor(0))), ((2, 1, 3), lambda lib: (lib.tensor([True, True]), -1, Ellipsis, False)),
    ((4, 0, 2), lambda lib: (False, lib.tensor([-2, 1, -2]), None, [0, 0])),
])
def test_index_errors_with_0d_tensors_and_bools(shape, key):
    assert_same_outcome(lambda lib: lib.zeros(shape)[key(lib)])


@pytest.mark.parametrize("key, value_shape", [
    (lambda lib: (lib.tensor([True]),), (2, 3)),
    (lambda lib: (slice(1, 0), slice(-1, 6), False), (2,)),
    (lambda lib: (lib.tensor(2), 2), (2,)),
    (lambda lib: (lib.tensor([-1]), None, lib.tensor([0, 0, 0])), (2, 3)),
])
def test_assignment_shape_errors(key, value_shape):
    def fn(lib):
        x = lib.zeros(4, 0, 2) if value_shape == (2, 3) and len(key(lib)) == 3 else lib.zeros(3, 4)
        if len(key(lib)) == 1:
            x = lib.zeros(1)
        x[key(lib)] = lib.ones(value_shape)
    assert_same_outcome(fn)


def test_an_index_put_with_a_0d_mask_wants_the_same_dtype():
    def fn(lib):
        x = lib.zeros(4, 2)
        x[(True,)] = lib.tensor(7.0, dtype=lib.float64)
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- promotion and in-place operators
_AUGMENTED = {"//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "&=": operator.iand,
              "|=": operator.ior, "^=": operator.ixor, "<<=": operator.ilshift, ">>=": operator.irshift}


@pytest.mark.parametrize("op", list(_AUGMENTED))
@pytest.mark.parametrize("dtype", ["int64", "int16", "float32", "bool"])
@pytest.mark.parametrize("other", [2, 2.5, "tensor"])
def test_augmented_operators_write_in_place(op, dtype, other):
    def fn(lib):
        x = lib.tensor([[5, -3, 4], [1, 0, 7]]).to(getattr(lib, dtype))
        alias = x
        operand = lib.tensor([2, 3, 1]).to(getattr(lib, dtype)) if other == "tensor" else other
        x = _AUGMENTED[op](x, operand)
        assert x is alias
        return alias
    assert_same_outcome(fn)


@pytest.mark.parametrize("op", [operator.lshift, operator.rshift])
@pytest.mark.parametrize("left, right", [
    ("int16", "int8"), ("int32", 3), (3, "int32"), (-1.5, "int8"), ("bool", "int8"), ("float32", "int64"),
    ("int64", "bool0d"), (3, "int32_0d"),
])
def test_shift_operators(op, left, right):
    def operand(lib, spec):
        if not isinstance(spec, str):
            return spec
        if spec == "bool0d":
            return lib.tensor(True)
        if spec == "int32_0d":
            return lib.tensor(2, dtype=lib.int32)
        return lib.tensor([1, 2, 3]).to(getattr(lib, spec))
    assert_same_outcome(lambda lib: op(operand(lib, left), operand(lib, right)))


@pytest.mark.parametrize("name", ["floor_divide_", "remainder_", "fmod_", "bitwise_and_", "mul_", "add_", "sub_",
                                  "div_", "pow_"])
@pytest.mark.parametrize("self_spec, other_spec", [
    (("int64", ()), ("int32", (2, 3))), (("int16", (3,)), ("float32", (1, 3))), (("uint8", ()), ("bool", (3,))),
    (("bool", (3,)), (0, None)), (("int64", (3,)), (2.5, None)), (("int32", (1, 3)), ("float16", ())),
    (("float32", (3,)), ("int64", (3,))),
])
def test_in_place_ops_check_shape_and_cast_before_computing(name, self_spec, other_spec):
    def fn(lib):
        dtype, shape = self_spec
        x = lib.ones(shape, dtype=getattr(lib, dtype))
        spec, shape = other_spec
        other = spec if shape is None else lib.zeros(shape, dtype=getattr(lib, spec))
        return getattr(x, name)(other)
    assert_same_outcome(fn)


@pytest.mark.parametrize("name", ["true_divide", "div", "atan2"])
def test_integer_operands_reach_float_unpromoted(name):
    # an int8 0-d -1 beside uint8 would divide as 255 through their common integer dtype
    assert_same_outcome(lambda lib: getattr(lib, name)(lib.tensor(-1, dtype=lib.int8),
                                                       lib.tensor([4, 2], dtype=lib.uint8)))
    assert_same_outcome(lambda lib: getattr(lib, name)(lib.tensor(-1, dtype=lib.int16),
                                                       lib.tensor([4, 2], dtype=lib.uint8)))


@pytest.mark.parametrize("name", ["maximum", "minimum", "logical_and", "logical_or", "logical_xor", "ldexp", "gcd",
                                  "lcm", "isclose", "allclose", "equal", "heaviside"])
@pytest.mark.parametrize("other", [2, 2.5, True, None, "s"])
@pytest.mark.parametrize("form", ["method", "function", "inplace"])
def test_tensor_only_binary_ops_refuse_numbers(name, other, form):
    def fn(lib):
        x = lib.tensor([1, 2])
        if form == "function":
            return getattr(lib, name)(x, other)
        if form == "inplace":
            if not hasattr(torch.Tensor, name + "_"):
                pytest.skip("no in-place form")
            return getattr(x, name + "_")(other)
        return getattr(x, name)(other)
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- reductions
@pytest.mark.parametrize("name, kwargs", [("sum", {"dim": 1}), ("sum", {}), ("mean", {"dim": 0}), ("nansum", {"dim": 1}),
                                          ("cumsum", {"dim": 1}), ("cumsum", {"dim": 0})])
def test_float16_sums_accumulate_in_float32(name, kwargs):
    data = np.random.default_rng(0).standard_normal((40, 64)) * 3

    def fn(lib):
        return getattr(lib.tensor(data, dtype=lib.float16), name)(**kwargs)
    expected, actual = _both(fn)
    assert actual.dtype == torchless.float16
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


@pytest.mark.parametrize("shape", [(3, 4), (4,), (2, 3, 4)])
def test_aminmax_keepdim_without_dim(shape):
    assert_same_outcome(lambda lib: tuple(_grid(lib, shape).aminmax(keepdim=True)))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "float32"])
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_of_an_empty_tensor(name, dtype):
    assert_same_outcome(lambda lib: getattr(lib.zeros(0, 3, dtype=getattr(lib, dtype)), name)())


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(0, 3).nanmedian(dim=-2), lambda lib: lib.zeros(2, 0, 3, dtype=lib.int64).mode(dim=1),
    lambda lib: lib.zeros(0, dtype=lib.bool).mode(), lambda lib: lib.zeros(0, 3, dtype=lib.int32).aminmax(dim=-2),
    lambda lib: lib.zeros(3, 4, dtype=lib.bool).nanmedian(), lambda lib: lib.zeros(4, dtype=lib.bool).nanmedian(0),
    lambda lib: lib.zeros(3, 4, dtype=lib.bool).median(0), lambda lib: lib.zeros(0, dtype=lib.bool).median(-1),
    lambda lib: lib.zeros(0, 3, dtype=lib.bool).median(), lambda lib: lib.zeros(2, 3, 4, dtype=lib.bool).median(3),
])
def test_median_and_mode_errors(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(0, 3).quantile(1.5), lambda lib: lib.zeros(0, 3, dtype=lib.int32).quantile(0.5),
    lambda lib: lib.ones(4, dtype=lib.uint8).quantile(1.5, dim=1), lambda lib: lib.tensor([1, 2]).quantile(0.5, dim=3),
    lambda lib: lib.tensor([1.0, 2]).quantile(0.5, interpolation="bad"),
    lambda lib: lib.tensor([1, 2]).quantile(0.5, interpolation="bad"),
    lambda lib: lib.tensor([1.0, 2]).quantile(lib.tensor([1.5]), dim=3),
    lambda lib: lib.tensor([1, 2]).quantile(lib.tensor([0.5], dtype=lib.float64)),
])
def test_quantile_checks_in_torchs_order(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("dtype, requested", [("float16", "int64"), ("float64", "int64"), ("int32", "int64"),
                                              ("bool", "float64"), ("uint8", "float64")])
def test_nanmean_checks_the_input_dtype_first(dtype, requested):
    assert_same_outcome(lambda lib: lib.ones(3, 4, dtype=getattr(lib, dtype)).nanmean(dim=0,
                                                                                      dtype=getattr(lib, requested)))


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"])
@pytest.mark.parametrize("form", ["method", "function"])
def test_cumulative_ops_want_an_int_dim(name, form):
    def fn(lib):
        x = lib.ones(3, 4)
        return getattr(x, name)(None) if form == "method" else getattr(lib, name)(x, None)
    assert_same_outcome(fn)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cumulative_extremum_of_a_0d_tensor_checks_its_dim(name):
    assert_same_outcome(lambda lib: getattr(lib.tensor(1.0), name)(1))
    assert_same_outcome(lambda lib: tuple(getattr(lib.tensor(1.0), name)(-1)))


@pytest.mark.parametrize("shape, dim", [((1, 5), 0), ((), 0), ((3, 1), 1)])
def test_cumprod_gradient_through_a_single_element(shape, dim):
    def fn(lib):
        data = np.full(shape, np.nan) if shape else np.array(np.nan)
        x = lib.tensor(data, requires_grad=True)
        x.cumprod(dim).sum().backward()
        return x.grad
    assert_same_outcome(fn)


def test_nanmean_gradient_over_an_all_nan_row():
    def fn(lib):
        x = lib.tensor([[float("nan"), 1.0, 2.0]], requires_grad=True)
        x.nanmean(dim=0, keepdim=True).sum().backward()
        return x.grad
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- shape ops
@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor(1.0).narrow(0, 0, 1), lambda lib: lib.zeros(4).narrow(1, 2, -1),
    lambda lib: lib.zeros(1, 5).narrow(0, -3, -1), lambda lib: lib.zeros(4).narrow(3, 5, 1),
    lambda lib: lib.tensor(1.0).tensor_split(2), lambda lib: lib.tensor(1.0).tensor_split([1], 1),
    lambda lib: lib.tensor(1.0).roll(1, 0), lambda lib: lib.tensor(True).roll(5, -1),
    lambda lib: lib.zeros(3, 4).rot90(1, (1, -1)), lambda lib: lib.zeros(2, 3, 4).rot90(2, (-3, 0)),
    lambda lib: lib.zeros(2, 0, 3).split(-1, 3), lambda lib: lib.zeros(3, 4).split([1, 2], -1),
    lambda lib: lib.zeros(3, 4).movedim((-1, 1), (1, 0)), lambda lib: lib.zeros(2, 3, 4).movedim((2, -1), (0, 1)),
    lambda lib: lib.zeros(0, 3).view(-2, -1, -1), lambda lib: lib.zeros(0, 3).view(-1, -2, -1),
    lambda lib: lib.zeros(2, 3, dtype=lib.bool).expand(3), lambda lib: lib.zeros(2, 3, 4, dtype=lib.bool).trace(),
    lambda lib: lib.zeros(0, 3).roll((1, 2), (0,)),
])
def test_shape_op_errors(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor(2.0).movedim(0, -1), lambda lib: lib.tensor(2.0).movedim((), ()),
    lambda lib: lib.zeros(0, 3).roll(1, 2), lambda lib: lib.zeros(2, 0, 3).roll((1, 2), (3, -4)),
])
def test_shape_ops_torch_accepts(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda x: x.split([1, 2], 0), lambda x: x.split([3]), lambda x: x.split(2, 0), lambda x: (x.narrow(0, 0, 3),),
    lambda x: x.tensor_split(1), lambda x: x.tensor_split([1], 1), lambda x: (x[:0].chunk(2)[0],),
    lambda x: (x[0, 0].movedim(0, -1),), lambda x: (x[:0].roll(1, 1),),
])
def test_shape_op_gradient_nodes(call):
    def fn(lib):
        x = lib.arange(12.0).reshape(3, 4).requires_grad_()
        pieces = call(x)
        total = sum((piece * (i + 1)).sum() for i, piece in enumerate(pieces))
        total.backward()
        return x.grad, [piece.grad_fn.name() for piece in pieces]
    (expected_grad, expected_names), (actual_grad, actual_names) = _both(fn)
    assert actual_names == expected_names
    np.testing.assert_array_equal(actual_grad.numpy(), expected_grad.numpy())


# ---------------------------------------------------------------------------- sorting, searching, counting, lerp
@pytest.mark.parametrize("kwargs", [{}, {"stable": True}, {"stable": False}, {"descending": True},
                                    {"descending": True, "stable": False}, {"dim": 0, "stable": True}])
def test_sort_names_its_node_by_overload(kwargs):
    def fn(lib):
        x = lib.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], requires_grad=True)
        values, indices = x.sort(**kwargs)
        (values * lib.arange(6.0).reshape(2, 3)).sum().backward()
        return values, indices, x.grad
    assert_same_outcome(fn)
    expected, actual = _both(lambda lib: lib.tensor([3.0, 1.0], requires_grad=True).sort(**kwargs)[0].grad_fn.name())
    assert actual == expected


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(0).kthvalue(1), lambda lib: lib.zeros(0, 3, dtype=lib.int64).kthvalue(3, dim=0),
    lambda lib: lib.zeros(5, dtype=lib.bool).kthvalue(1), lambda lib: lib.zeros(3).isclose(lib.zeros(3, dtype=lib.int64)),
    lambda lib: lib.zeros(3, dtype=lib.int64).allclose(lib.zeros(3)), lambda lib: lib.zeros(3).isclose(lib.zeros(4)),
    lambda lib: lib.searchsorted(lib.tensor([False, True]), lib.tensor([True])),
    lambda lib: lib.searchsorted(lib.zeros(2, 3, dtype=lib.bool), lib.tensor([True])),
    lambda lib: lib.tensor(1.0).unique(dim=0), lambda lib: lib.tensor(1.0).unique(dim=1),
    lambda lib: lib.zeros(0, 3).unique(dim=1), lambda lib: lib.zeros(2, 0).unique(dim=0),
    lambda lib: lib.tensor(1.0).unique_consecutive(dim=-1), lambda lib: lib.zeros(0, 3).unique_consecutive(dim=1),
    lambda lib: lib.zeros(0, 3).unique_consecutive(dim=2), lambda lib: lib.tensor([1, 2]).bincount(minlength=-1),
    lambda lib: lib.tensor([1.0, 2.0]).histc(bins=0, min=3, max=1), lambda lib: lib.tensor([1, 2]).histc(min=3, max=1),
    lambda lib: lib.tensor([1, 2], dtype=lib.uint8).histc(), lambda lib: lib.tensor([], dtype=lib.uint8).histc(),
    lambda lib: lib.tensor([True]).histc(bins=3), lambda lib: lib.tensor([1.0, float("inf")]).histc(),
])
def test_search_and_count_errors(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda lib: tuple(lib.zeros(0, 3).unique_consecutive(return_inverse=True, return_counts=True)),
    lambda lib: tuple(lib.zeros(0, 3).unique_consecutive(dim=0, return_inverse=True, return_counts=True)),
    lambda lib: tuple(lib.tensor([1.0, float("nan"), float("nan"), 2.0]).unique(return_inverse=True,
                                                                              return_counts=True)),
    lambda lib: lib.tensor([], dtype=lib.int64).bincount(weights=lib.ones(0, dtype=lib.float64)),
])
def test_search_and_count_values(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("dtype", ["int64", "float32", "float16", "bool", "uint8"])
@pytest.mark.parametrize("weight_dtype", ["float32", "float64", "int64", "float16", None])
@pytest.mark.parametrize("end_dtype", ["same", "float64"])
@pytest.mark.parametrize("inplace", [False, True])
def test_lerp_promotes_with_a_0d_weight(dtype, weight_dtype, end_dtype, inplace):
    def fn(lib):
        x = lib.tensor([1, 0, 3]).to(getattr(lib, dtype))
        end = lib.ones(3, dtype=getattr(lib, dtype if end_dtype == "same" else end_dtype))
        weight = 0.3 if weight_dtype is None else lib.tensor(0.3).to(getattr(lib, weight_dtype))
        return x.lerp_(end, weight) if inplace else x.lerp(end, weight)
    assert_same_outcome(fn)


@pytest.mark.parametrize("call", [lambda x, lib: x.lerp(lib.zeros(3), lib.tensor(0.3)),
                                  lambda x, lib: x.lerp(lib.zeros(3), lib.tensor(0.3, dtype=lib.float64,
                                                                                 requires_grad=True)),
                                  lambda x, lib: x.lerp(lib.zeros(3), 0.3)])
def test_lerp_weight_tensors(call):
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = call(x, lib)
        y.sum().backward()
        return y, x.grad
    assert_same_outcome(fn)
    expected, actual = _both(lambda lib: call(lib.tensor([1.0, 2.0, 3.0], requires_grad=True), lib).grad_fn.name())
    assert actual == expected


@pytest.mark.parametrize("end, weight", [(2.0, 0.5), ("zeros", "w"), ("zeros", None)])
@pytest.mark.parametrize("name", ["lerp", "lerp_"])
def test_lerp_argument_errors(name, end, weight):
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0])
        return getattr(x, name)(lib.zeros(3) if end == "zeros" else end, weight)
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- printing
@pytest.mark.parametrize("options", [{"sci_mode": True}, {"sci_mode": False}, {"profile": "short"},
                                     {"profile": "full"}, {"profile": "short", "sci_mode": True}])
@pytest.mark.parametrize("values", [[1.5, -2.25, 1000.0], [3.0, -9.0, 11.0], [1e-6, 2.0], [0.0, float("nan")],
                                    list(range(1200)), [1e9, 1.0]])
def test_print_options(options, values):
    def shown(lib):
        lib.set_printoptions(**options)
        try:
            x = lib.tensor(values)
            return repr(x) + "\n" + str(x * 2) + "\n" + repr(x.double())
        finally:
            lib.set_printoptions(profile="default")
    expected, actual = _both(shown)
    assert actual == expected.replace("torch.", "torchless.")


def test_sci_mode_returns_to_automatic_on_the_next_call():
    def shown(lib):
        lib.set_printoptions(sci_mode=True)
        lib.set_printoptions(precision=4)  # sci_mode left out: back to the automatic choice
        return repr(lib.tensor([1.5, 2.0]))
    expected, actual = _both(shown)
    assert actual == expected


# ---------------------------------------------------------------------------- index ops
def _idx(lib, values, dtype="int64"):
    return lib.tensor(values, dtype=getattr(lib, dtype))


@pytest.mark.parametrize("call", [
    # index_fill counts negative indices from the end; its index dtype is checked before its dim
    lambda lib: lib.zeros(3, 4).index_fill(0, _idx(lib, [-1]), 2.0),
    lambda lib: lib.zeros(3, 4).index_fill(1, _idx(lib, [-4, 1]), 2.0),
    lambda lib: lib.zeros(3, 4).index_fill(0, _idx(lib, [-4]), 2.0),
    lambda lib: lib.zeros(3, 4).index_fill(5, _idx(lib, [0], "int32"), 2.0),
    lambda lib: lib.tensor(-3).index_fill(0, _idx(lib, []), 1),
    lambda lib: lib.tensor(-3).index_fill(0, _idx(lib, [0, -1]), 1),
    lambda lib: lib.tensor(-3).index_fill(0, _idx(lib, [1]), 1),
    # index_select of a 0-d tensor; the dim-1 kernel's and the empty dim's words
    lambda lib: lib.tensor(5.0).index_select(0, _idx(lib, [0, 0, 0])),
    lambda lib: lib.tensor(5.0).index_select(0, _idx(lib, [0], "int32")),
    lambda lib: lib.tensor(5.0).index_select(0, _idx(lib, [-1])),
    lambda lib: lib.tensor(5.0).index_select(0, _idx(lib, [0.5], "float32")),
    lambda lib: lib.tensor(5.0).index_select(0, _idx(lib, [[0]])),
    lambda lib: lib.zeros(3, 4).index_select(1, _idx(lib, [-1])),
    lambda lib: lib.zeros(2, 3, 4).index_select(1, _idx(lib, [3])),
    lambda lib: lib.zeros(2, 3, 4).index_select(2, _idx(lib, [4])),
    lambda lib: lib.zeros(0, 3).index_select(0, _idx(lib, [0])),
    # index_add's two kernels
    lambda lib: lib.zeros(3, 4).index_add(0, _idx(lib, [-1]), lib.ones(1, 4)),
    lambda lib: lib.zeros(3, 4).index_add(0, _idx(lib, [-1], "int32"), lib.ones(1, 4)),
    lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [9]), lib.ones(3, 1), alpha=2),
    lambda lib: lib.zeros(2, 3, 4).index_add(1, _idx(lib, [9]), lib.ones(2, 1, 4)),
    lambda lib: lib.zeros(5).index_add(0, _idx(lib, [-1]), lib.ones(1)),
    lambda lib: lib.tensor(5.0).index_add(0, _idx(lib, [0, 0]), lib.tensor(1.0)),
    lambda lib: lib.tensor(5.0).index_add(0, _idx(lib, [0]), lib.tensor(1.0)),
    # index_copy of a scalar source
    lambda lib: lib.tensor(5.0).index_copy(0, _idx(lib, [0, 0]), lib.tensor(1.0)),
    lambda lib: lib.tensor(5, dtype=lib.int64).index_copy(0, _idx(lib, [], "int32"), lib.tensor(1.0)),
    # the scatter family checks the index dtype, then the source dtype, then the index
    lambda lib: lib.zeros(5).scatter_add(0, _idx(lib, [0.0], "float32"), lib.ones(1, dtype=lib.float64)),
    lambda lib: lib.zeros(2, 3).scatter_add(0, _idx(lib, [[5, 0, 0]]), lib.ones(2, 3, dtype=lib.float64)),
    lambda lib: lib.zeros(2, 3).scatter_reduce(0, _idx(lib, [[5, 0, 0]]), lib.ones(2, 3, dtype=lib.float64), "sum"),
    lambda lib: lib.zeros(2, 3, dtype=lib.bool).scatter_reduce(0, _idx(lib, [[0.0]], "float32"),
                                                                lib.ones(2, 3, dtype=lib.bool), "mean"),
    # masked_fill checks a value tensor's rank before the mask's dtype
    lambda lib: lib.zeros(3).masked_fill(lib.ones(3, dtype=lib.uint8), lib.tensor([7.0])),
    # take_along_dim: the rank before the index dtype, a 0-d input's dim, indices wrapped around the dim
    lambda lib: lib.zeros(0, 3).take_along_dim(_idx(lib, [0], "float32"), 1),
    lambda lib: lib.tensor(1.0).take_along_dim(_idx(lib, 0), 0),
    lambda lib: lib.tensor(1.0).take_along_dim(_idx(lib, 0), 1),
    lambda lib: (lib.arange(5.0) * 10).take_along_dim(_idx(lib, [-1, 5, -6, 100]), 0),
    lambda lib: (lib.arange(12.0).reshape(3, 4)).take_along_dim(_idx(lib, [[-1], [4], [9]]), 1),
    # index_put counts its indices; put_ into an empty tensor
    lambda lib: lib.zeros(3, 4).index_put((_idx(lib, [0]),) * 3, lib.tensor(1.0)),
    lambda lib: lib.tensor(1.0).index_put((_idx(lib, [0.0], "float32"),), lib.tensor(1.0)),
    lambda lib: lib.zeros(0, 3).put_(_idx(lib, [0]), lib.tensor([1.0])),
])
def test_index_op_edges(call):
    assert_same_outcome(call)


def test_index_fill_of_a_0d_tensor_with_no_index_records_it():
    def fn(lib):
        x = lib.tensor(-3.0, requires_grad=True)
        y = x.index_fill(0, _idx(lib, []), 2.0)
        y.backward()
        return y, x.grad
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- elementwise ops
_SPECIAL_VALUES = [-2.5, -1.0, 0.0, 0.5, 3.0, float("nan"), float("inf"), -float("inf")]


@pytest.mark.parametrize("call", [
    lambda x, lib: x.clamp_min(0.5), lambda x, lib: x.clamp_max(0.5), lambda x, lib: x.clamp_min(lib.tensor(0.5)),
    lambda x, lib: x.clamp_max(lib.tensor(0.5)), lambda x, lib: lib.clamp_min(x, 1), lambda x, lib: x.clamp(min=0.5),
    lambda x, lib: x.clamp(max=lib.tensor(0.5)), lambda x, lib: (x * 1).clamp_min_(0.5),
    lambda x, lib: (x * 1).clamp_max_(0.5), lambda x, lib: x.abs(), lambda x, lib: x.angle(),
    lambda x, lib: (x * 1).positive(), lambda x, lib: (x * 1).cumsum_(0),
])
def test_elementwise_nodes_and_gradients(call):
    def fn(lib):
        x = lib.tensor(_SPECIAL_VALUES, requires_grad=True)
        y = call(x, lib)
        (y * lib.arange(float(y.numel()))).sum().backward()
        return y, x.grad
    assert_same_outcome(fn)
    expected, actual = _both(lambda lib: call(lib.tensor(_SPECIAL_VALUES, requires_grad=True), lib).grad_fn.name())
    assert actual == expected


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([True, False]).relu(), lambda lib: lib.tensor([True, False]).relu_(),
    lambda lib: lib.tensor([1, 2], dtype=lib.int8).round(decimals=0),
    lambda lib: lib.tensor([1, 2], dtype=lib.int8).round(decimals=1), lambda lib: lib.tensor([True]).round(decimals=0),
    lambda lib: lib.tensor([True]).positive(), lambda lib: lib.tensor([1, -2]).positive(),
    lambda lib: lib.tensor([1, -2]).angle(), lambda lib: lib.tensor([True, False]).angle(),
    lambda lib: lib.tensor([1, -2]).hardshrink(), lambda lib: lib.tensor([True, False]).cumsum_(0),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32).cumsum_(0),
])
def test_elementwise_dtypes_and_errors(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.ldexp(lib.tensor([-2.25, 0.75], dtype=lib.float16), lib.tensor([3, -1], dtype=lib.int16)),
    lambda lib: lib.ldexp(lib.tensor([1.5, 2.0]), lib.tensor([True, False])),
    lambda lib: lib.ldexp(lib.tensor([1, 2]), lib.tensor([True, False])),
    lambda lib: lib.copysign(lib.tensor([3, 2], dtype=lib.uint8), -2),
    lambda lib: lib.copysign(lib.tensor([3, 2], dtype=lib.int8), -2.5),
    lambda lib: lib.xlogy(lib.tensor(-3, dtype=lib.int16), lib.tensor([1, 3, 1], dtype=lib.uint8)),
    lambda lib: lib.xlogy(lib.tensor([1, 3], dtype=lib.uint8), -1),
    lambda lib: lib.xlogy(lib.tensor([1.0, 3.0]), "s"), lambda lib: lib.tensor([1.0, 3.0]).xlogy(None),
    lambda lib: lib.tensor(0, dtype=lib.uint8).lerp_(lib.ones(2, 3, dtype=lib.uint8), 0.5),
])
def test_mixed_operand_math(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("element", [lambda lib: lib.tensor([1, 2]), lambda lib: 2, lambda lib: 7.5,
                                     lambda lib: lib.tensor(4), lambda lib: "a"])
def test_membership(element):
    expected, actual = _both(lambda lib: outcome_named_as_torch(lambda: element(lib) in lib.tensor([[1, 2], [3, 4]])))
    assert actual == expected


@pytest.mark.parametrize("spec", ["", ">5", "s", ".2f"])
@pytest.mark.parametrize("values", [[1, 2], 2.5, [], [2.5]])
def test_format_specs(spec, values):
    expected, actual = _both(lambda lib: outcome_named_as_torch(lambda: format(lib.tensor(values), spec)))
    assert actual == expected


@pytest.mark.parametrize("shape, key", [
    ((4, 0, 2), lambda lib: (Ellipsis, lib.tensor([-3]))), ((2, 1, 3), lambda lib: (lib.tensor([2, 0]), slice(None, 1), None,
                                                                                     slice(-2, 1, 2))),
    ((4, 0, 2), lambda lib: (True, lib.tensor([0, 3, 4]), slice(0, None), None)),
    ((2, 1, 3), lambda lib: (lib.tensor([2]), Ellipsis, slice(-1, -2, 2))),
])
def test_out_of_range_indices_selecting_nothing(shape, key):
    # PyTorch's kernel reads no index when the result is empty, so none is out of range
    assert_same_outcome(lambda lib: lib.zeros(shape)[key(lib)])

    def write(lib, value):
        x = lib.zeros(shape)
        x[key(lib)] = value(lib)
        return x
    assert_same_outcome(lambda lib: write(lib, lambda lib: lib.tensor(1.0)))
    assert_same_outcome(lambda lib: write(lib, lambda lib: lib.ones(3, 4)))


@pytest.mark.parametrize("shape, key", [
    ((2, 3, 4), (Ellipsis, Ellipsis)), ((0, 3), (Ellipsis, slice(None, None, 3), Ellipsis)),
    ((2, 3, 4), (0, Ellipsis, 1, Ellipsis, 2)), ((4, 0, 2), (slice(None), Ellipsis, Ellipsis)),
    ((2, 3, 4), (None, 1, Ellipsis, Ellipsis)),
])
def test_several_ellipses(shape, key):
    assert_same_outcome(lambda lib: lib.arange(float(np.prod(shape))).reshape(shape)[key])

    def write(lib):
        x = lib.zeros(shape)
        x[key] = 2.0
        return x
    assert_same_outcome(write)


@pytest.mark.parametrize("call", [
    lambda x, lib: x.split(lib.tensor(2), 2), lambda x, lib: x.softmax(lib.tensor(1)),
    lambda x, lib: x.log_softmax(lib.tensor(-1)), lambda x, lib: x.unsqueeze(True), lambda x, lib: x.sum(True),
    lambda x, lib: x.transpose(True, 0), lambda x, lib: x.cumsum(False), lambda x, lib: x.flatten(True),
])
def test_int_arguments_take_0d_tensors_but_no_bools(call):
    assert_same_outcome(lambda lib: call(lib.arange(24.0).reshape(2, 3, 4), lib))


@pytest.mark.parametrize("self_shape, dim, index, source_shape", [
    ((3, 4), 1, [0], (4, 1)), ((3, 4), 1, [0, 1], (3, 1)), ((3, 4), 0, [0], (1, 5)), ((2, 3, 4), 2, [0], (3, 3, 1)),
    ((2, 3, 4), 0, [0], (1, 3)),
])
def test_index_copy_shape_errors(self_shape, dim, index, source_shape):
    assert_same_outcome(lambda lib: lib.zeros(self_shape).index_copy(dim, lib.tensor(index), lib.ones(source_shape)))


@pytest.mark.parametrize("value", [lambda lib: 2.0, lambda lib: lib.tensor(2.0), lambda lib: lib.tensor(2),
                                   lambda lib: lib.tensor(2.0, requires_grad=True)])
@pytest.mark.parametrize("inplace", [False, True])
def test_masked_fill_node_by_overload(value, inplace):
    def fn(lib):
        x = lib.ones(3, requires_grad=True)
        mask = lib.tensor([True, False, True])
        y = (x * 1).masked_fill_(mask, value(lib)) if inplace else x.masked_fill(mask, value(lib))
        (y * lib.arange(3.0)).sum().backward()
        return y.grad_fn.name(), y.detach().numpy().tolist(), x.grad.numpy().tolist()
    expected, actual = _both(fn)
    assert actual == expected


@pytest.mark.parametrize("call", [lambda x: x // 2, lambda x: _assigned(x * 1), lambda x: x.floor_divide(x)])
def test_cpp_nodes_print_short(call):
    def shown(lib):
        y = call(lib.ones(2, requires_grad=True))
        return repr(y), repr(y.grad_fn).split(" object")[0]
    expected, actual = _both(shown)
    assert actual == expected


def _assigned(x):
    x[0] = 3.0
    return x


@pytest.mark.parametrize("shape", [(4,), (1, 4), (3, 4), (2, 1)])
@pytest.mark.parametrize("name", ["cov", "corrcoef"])
def test_cov_and_corrcoef_squeeze(name, shape):
    def fn(lib):
        x = (lib.arange(float(np.prod(shape))).reshape(shape) ** 1.5).requires_grad_()
        y = getattr(x, name)()
        y.sum().backward()
        return y, x.grad
    assert_same_outcome(fn)
    expected, actual = _both(lambda lib: getattr(lib.ones(shape, requires_grad=True), name)().grad_fn.name())
    assert actual == expected
