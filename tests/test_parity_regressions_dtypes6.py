"""Differences from PyTorch in dtype handling found by a differential fuzz (dtypes end to end), each compared with
torch.

* factories: ``out=`` (values made in out's dtype, written into it, resized or not as torch does), the range checks
  of randint/randperm against their dtype, bool refused by logspace/randperm;
* fill values: float16 refuses finite values beyond its range where torch checks them (full, fill_, masked_fill,
  new_full, nn.init.constant_ of more than one element, linspace/logspace ends), not where it writes directly.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome

torch = pytest.importorskip("torch")


def _outcome_with_out(lib, call, out_dtype, out_shape, **kwargs):
    """call(lib, out) with a fresh out tensor: (returned is out, out's dtype, shape and values) or the error."""
    out = lib.zeros(out_shape, dtype=getattr(lib, out_dtype))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call(lib, out, **kwargs)
    except Exception as error:  # noqa: BLE001 - the error is what is compared
        return type(error).__name__, str(error).replace("torch.", "torchless.")
    return result is out, str(out.dtype).split(".")[1], tuple(out.shape), out.detach().numpy().tolist()


# ---------------------------------------------------------------------------- factories with out=
_DETERMINISTIC_OUT = {
    "zeros": lambda lib, out: lib.zeros(2, 3, out=out),
    "ones": lambda lib, out: lib.ones(2, out=out),
    "full float": lambda lib, out: lib.full((2,), 1.5, out=out),
    "full int": lambda lib, out: lib.full((3,), 3, out=out),
    "full bool": lambda lib, out: lib.full((2,), True, out=out),
    "arange": lambda lib, out: lib.arange(3, out=out),
    "arange float step": lambda lib, out: lib.arange(0, 3, 0.5, out=out),
    "linspace": lambda lib, out: lib.linspace(0, 4, 3, out=out),
    "logspace": lambda lib, out: lib.logspace(0, 2, 3, out=out),
    "eye": lambda lib, out: lib.eye(2, 3, out=out),
}


@pytest.mark.parametrize("out_dtype", ["float32", "float64", "float16", "int64", "int32", "bool"])
@pytest.mark.parametrize("name", list(_DETERMINISTIC_OUT))
def test_factory_out_gets_the_values_in_its_own_dtype(name, out_dtype):
    call = _DETERMINISTIC_OUT[name]
    assert _outcome_with_out(torchless, call, out_dtype, (3,)) == _outcome_with_out(torch, call, out_dtype, (3,))


@pytest.mark.parametrize("out_shape", [(0,), (3,), (3, 1), (2, 3), (5,)])
@pytest.mark.parametrize("name", ["zeros", "ones", "arange", "linspace", "eye"])
def test_factory_out_of_another_shape_is_resized_or_kept_as_torch_does(name, out_shape):
    call = _DETERMINISTIC_OUT[name]
    assert _outcome_with_out(torchless, call, "float32", out_shape) == \
        _outcome_with_out(torch, call, "float32", out_shape)


def test_arange_warns_when_it_resizes_out():
    for lib in (torch, torchless):
        with pytest.warns(UserWarning, match=r"The number of elements in the out tensor of shape \[2\] is 2 which does "
                                             r"not match the computed number of elements 3\. .* shape \(3,\)\."):
            lib.arange(3, out=lib.zeros(2))


@pytest.mark.parametrize("out_dtype", ["float32", "float64", "float16", "int64", "int32", "bool"])
@pytest.mark.parametrize("name", ["rand", "randn", "randint", "randperm", "empty"])
def test_random_and_empty_factories_with_out_keep_its_dtype(name, out_dtype):
    calls = {"rand": lambda lib, out: lib.rand(3, out=out), "randn": lambda lib, out: lib.randn(3, out=out),
             "randint": lambda lib, out: lib.randint(0, 2, (3,), out=out), "randperm": lambda lib, out: lib.randperm(3, out=out),
             "empty": lambda lib, out: lib.empty(3, out=out)}

    def shape_and_dtype(lib):
        got = _outcome_with_out(lib, calls[name], out_dtype, (2,))
        return got[:3] if isinstance(got[0], bool) else got  # (the values are random)

    assert shape_and_dtype(torchless) == shape_and_dtype(torch)


_OUT_ERRORS = {
    "dtype mismatch": lambda lib: lib.zeros(2, out=lib.empty(2), dtype=lib.float64),
    "dtype mismatch linspace": lambda lib: lib.linspace(0, 1, 3, out=lib.empty(3, dtype=lib.float64), dtype=lib.float32),
    "dtype mismatch randint": lambda lib: lib.randint(3, (2,), out=lib.empty(2, dtype=lib.float64), dtype=lib.int64),
    "requires grad": lambda lib: lib.ones(2, out=lib.empty(2, requires_grad=True)),
    "requires grad arange": lambda lib: lib.arange(2., out=lib.empty(2, requires_grad=True)),
    "requires grad empty": lambda lib: lib.empty(2, out=lib.empty(2, requires_grad=True)),
    "requires grad randn": lambda lib: lib.randn(2, out=lib.empty(2, requires_grad=True)),
    "not a tensor": lambda lib: lib.zeros(2, out=5),
    "rand into int": lambda lib: lib.rand(2, out=lib.empty(2, dtype=lib.int32)),
    "arange into bool": lambda lib: lib.arange(3, out=lib.empty(3, dtype=lib.bool)),
    "full overflows out's dtype": lambda lib: lib.full((2,), 300, out=lib.empty(2, dtype=lib.uint8)),
    "integer step": lambda lib: lib.arange(0, 3, 0.5, out=lib.empty(2, dtype=lib.int64)),
    "requires_grad of an int out": lambda lib: lib.zeros(2, out=lib.empty(2, dtype=lib.int64), requires_grad=True),
}


@pytest.mark.parametrize("name", list(_OUT_ERRORS))
def test_factory_out_errors_as_torch(name):
    assert_same_outcome(_OUT_ERRORS[name])


def test_factory_out_writes_through_a_view_and_may_require_grad():
    for lib in (torch, torchless):
        base = lib.ones(4)
        lib.zeros(2, out=base[::2])
        np.testing.assert_array_equal(base.numpy(), [0, 1, 0, 1])
        out = lib.empty(2)
        assert lib.zeros(2, out=out, requires_grad=True) is out and out.requires_grad
        with lib.no_grad():  # grad mode off: an out requiring grad is written
            assert lib.ones(2, out=lib.zeros(2, requires_grad=True)).detach().numpy().tolist() == [1, 1]


def test_factory_out_follows_out_not_the_default_dtype():
    try:
        for lib in (torch, torchless):
            lib.set_default_dtype(lib.float64)
            assert str(lib.zeros(2, out=lib.empty(2, dtype=lib.float32)).dtype).endswith("float32")
            assert str(lib.arange(2., out=lib.empty(2, dtype=lib.float16)).dtype).endswith("float16")
    finally:
        torch.set_default_dtype(torch.float32)
        torchless.set_default_dtype(torchless.float32)


# ---------------------------------------------------------------------------- factory range checks by dtype
_RANGE_CASES = {
    "randint bool": lambda lib: lib.randint(0, 3, (3,), dtype=lib.bool),
    "randint bool from": lambda lib: lib.randint(-1, 1, (3,), dtype=lib.bool),
    "randint uint8 from": lambda lib: lib.randint(-1, 2, (3,), dtype=lib.uint8),
    "randint uint8 to": lambda lib: lib.randint(0, 257, (3,), dtype=lib.uint8),
    "randint int8": lambda lib: lib.randint(0, 300, (3,), dtype=lib.int8),
    "randint int16": lambda lib: lib.randint(-2**15 - 1, 0, (3,), dtype=lib.int16),
    "randint int32": lambda lib: lib.randint(0, 2**31 + 1, (3,), dtype=lib.int32),
    "randint_like uint8": lambda lib: lib.randint_like(lib.zeros(2, dtype=lib.uint8), 300),
    "randperm bool": lambda lib: lib.randperm(3, dtype=lib.bool),
    "randperm bool empty": lambda lib: lib.randperm(0, dtype=lib.bool),
    "randperm int8": lambda lib: lib.randperm(300, dtype=lib.int8),
    "randperm uint8": lambda lib: lib.randperm(257, dtype=lib.uint8),
    "randperm half": lambda lib: lib.randperm(2050, dtype=lib.float16),
    "logspace bool": lambda lib: lib.logspace(0, 1, 2, dtype=lib.bool),
}


@pytest.mark.parametrize("name", list(_RANGE_CASES))
def test_factories_refuse_ranges_their_dtype_cannot_hold(name):
    assert_same_outcome(_RANGE_CASES[name])


@pytest.mark.parametrize("call", [
    lambda lib: lib.randperm(256, dtype=lib.uint8).max(),
    lambda lib: lib.randperm(2049, dtype=lib.float16).max(),
    lambda lib: lib.randint(0, 256, (300,), dtype=lib.uint8).clamp(max=0),
    lambda lib: lib.logspace(0, 1, 1, dtype=lib.bool),
])
def test_factories_take_the_largest_ranges_their_dtype_holds(call):
    assert_same_outcome(call)


def test_randint_warns_beyond_the_integers_a_float_dtype_holds():
    for lib in (torch, torchless):
        with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^11\), 2\^11\]\. Due to precision "
                                             r"limitations c10::Half can support discrete uniform distribution"):
            assert lib.randint(0, 3000, (3,), dtype=lib.float16).dtype == lib.float16


# ---------------------------------------------------------------------------- float16 fill values
def _assigned(tensor, value):
    tensor[...] = value
    return tensor


_HALF_FILLS = {
    "full": lambda lib, shape, v: lib.full(shape, v, dtype=lib.float16),
    "fill_": lambda lib, shape, v: lib.zeros(shape, dtype=lib.float16).fill_(v),
    "full_like": lambda lib, shape, v: lib.full_like(lib.zeros(shape, dtype=lib.float16), v),
    "new_full": lambda lib, shape, v: lib.zeros(3, dtype=lib.float16).new_full(shape, v),
    "constant_": lambda lib, shape, v: lib.nn.init.constant_(lib.zeros(shape, dtype=lib.float16), v),
    "masked_fill": lambda lib, shape, v: lib.zeros(shape, dtype=lib.float16).masked_fill(lib.tensor(True), v),
    "setitem": lambda lib, shape, v: _assigned(lib.zeros(shape, dtype=lib.float16), v),
    "where": lambda lib, shape, v: lib.where(lib.ones(shape, dtype=lib.bool), lib.zeros(shape, dtype=lib.float16), v),
}


@pytest.mark.parametrize("value", [65504.0, 65505.0, 1e5, -1e40])
@pytest.mark.parametrize("shape", [(2,), (1,), ()])
@pytest.mark.parametrize("name", list(_HALF_FILLS))
def test_half_fill_values_are_range_checked_where_torch_checks_them(name, shape, value):
    assert_same_outcome(lambda lib: _HALF_FILLS[name](lib, shape, value))


@pytest.mark.parametrize("call", [
    lambda lib: lib.linspace(0, 1e5, 3, dtype=lib.float16),
    lambda lib: lib.linspace(-65520., 0, 3, dtype=lib.float16),
    lambda lib: lib.linspace(0, 1e40, 3),
    lambda lib: lib.logspace(0, 1e5, 3, dtype=lib.float16),
    lambda lib: lib.linspace(0, 65504., 3, dtype=lib.float16),
    lambda lib: lib.linspace(lib.tensor(0.), lib.tensor(2.), 3, dtype=lib.float64),
])
def test_linspace_and_logspace_ends_are_converted_with_the_dtype_range_check(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(2, dtype=lib.uint8).new_full((2,), 300),
    lambda lib: lib.zeros(2, dtype=lib.uint8).new_full((2,), -1),
    lambda lib: lib.zeros(2).new_full((2,), 1, dtype=float),
    lambda lib: lib.zeros(2).new_full((2,), 1e40),
])
def test_new_full_converts_its_value_as_full_does(call):
    assert_same_outcome(call)


# ---------------------------------------------------------------------------- the default dtype
@pytest.mark.parametrize("call", [
    lambda lib: lib.set_default_dtype(lib.int64),
    lambda lib: lib.set_default_dtype(lib.bool),
    lambda lib: lib.set_default_dtype(float),
    lambda lib: lib.set_default_dtype("float64"),
])
def test_set_default_dtype_refuses_as_torch(call):
    try:
        assert_same_outcome(call)
    finally:
        torch.set_default_dtype(torch.float32)
        torchless.set_default_dtype(torchless.float32)


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([1.0, 2.5]),
    lambda lib: lib.zeros(2),
    lambda lib: lib.arange(0., 2.),
    lambda lib: lib.linspace(0, 1, 3),
    lambda lib: lib.tensor([1, 2]) / 2,
    lambda lib: lib.tensor([1, 2]) * 1.5,
    lambda lib: lib.full((2,), 0.5),
    lambda lib: lib.nn.Linear(2, 3).weight.detach().zero_(),
    lambda lib: lib.nn.BatchNorm2d(2).running_var,
])
def test_half_default_dtype_as_torch(call):
    try:
        torch.set_default_dtype(torch.float16)
        torchless.set_default_dtype(torchless.float16)
        assert torchless.get_default_dtype() is torchless.float16
        assert_same_outcome(call)
    finally:
        torch.set_default_dtype(torch.float32)
        torchless.set_default_dtype(torchless.float32)


# ---------------------------------------------------------------------------- .data and module casts
def _set_data(tensor, value):
    tensor.data = value
    return tensor


@pytest.mark.parametrize("call", [
    lambda lib: _set_data(lib.ones(2, requires_grad=True), lib.ones(2, dtype=lib.int64)),
    lambda lib: _set_data(lib.nn.Parameter(lib.ones(2)), lib.ones(2, dtype=lib.bool)),
    lambda lib: _set_data(lib.ones(2), lib.ones(2, dtype=lib.int64)),
    lambda lib: _set_data(lib.ones(2), np.ones(2)),
    lambda lib: _set_data(lib.ones(2), [1.0]),
    lambda lib: _set_data(lib.ones(2, requires_grad=True), lib.ones(3, dtype=lib.float64)).detach(),
])
def test_data_assignment_checks_as_torch(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool", "float64", "float16"])
@pytest.mark.parametrize("make", [lambda lib: lib.nn.Linear(3, 2), lambda lib: lib.nn.BatchNorm2d(2)])
def test_module_type_refuses_non_floating_parameters(make, dtype):
    def state(lib):
        module = make(lib).type(getattr(lib, dtype))
        return tuple(lib.zeros_like(v) for v in module.state_dict().values())  # (dtypes and shapes: init is random)

    assert_same_outcome(state)


def test_module_bfloat16_is_refused_as_a_type_not_a_missing_method(monkeypatch):
    monkeypatch.setattr(torchless._dtype, "_BFLOAT16_NUMPY", [None])  # (as without ml_dtypes: torchless[bf16])
    module = torchless.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="no bfloat16 tensors"):
        module.bfloat16()
    assert module.weight.dtype is torchless.float32


# ---------------------------------------------------------------------------- half and mixed dtypes in ops
@pytest.mark.parametrize("call", [
    lambda lib: lib.tensordot(lib.ones(2), lib.ones(2, dtype=lib.float64), 1),
    lambda lib: lib.tensordot(lib.ones(2, dtype=lib.int64), lib.ones(2), 1),
    lambda lib: lib.tensordot(lib.ones(2, 2), lib.ones(2, 2, dtype=lib.float16), 1),
    lambda lib: lib.tensordot(lib.ones(2, 2, dtype=lib.int8), lib.ones(2, 2, dtype=lib.int8), 1),
])
def test_tensordot_wants_one_dtype(call):
    assert_same_outcome(call)


def _ctc(lib, dtype):
    log_probs = lib.tensor(np.log(np.full((5, 2, 4), 0.25))).to(getattr(lib, dtype))
    return lib.nn.functional.ctc_loss(log_probs, lib.tensor([[1, 2], [3, 1]]), (5, 5), (2, 2))


@pytest.mark.parametrize("dtype", ["float16", "int64", "float64", "float32"])
def test_ctc_loss_has_no_half_or_integer_kernel(dtype):
    assert_same_outcome(lambda lib: _ctc(lib, dtype))


@pytest.mark.parametrize("shape", [(1, 4, 5), (1, 4, 5, 3), (1, 4, 2, 3, 2)])
def test_local_response_norm_of_half_input(shape):
    x = np.random.default_rng(0).normal(size=shape)
    assert_same_outcome(lambda lib: lib.nn.functional.local_response_norm(lib.tensor(x).half(), 3), rtol=1e-2,
                        atol=1e-3)


_HALF = [[2., 1, 0], [0, 1, 0.5], [1, 0, 1]]


@pytest.mark.parametrize("call", [
    lambda lib: lib.linalg.vector_norm(lib.tensor(_HALF, dtype=lib.float16)),
    lambda lib: lib.linalg.vector_norm(lib.tensor(_HALF, dtype=lib.float16), 1),
    lambda lib: lib.linalg.norm(lib.tensor(_HALF, dtype=lib.float16)),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_HALF, dtype=lib.float16), 1),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_HALF, dtype=lib.float16), "nuc"),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_HALF, dtype=lib.float16), 2, dtype=lib.float32),
    lambda lib: lib.linalg.inv(lib.tensor(_HALF, dtype=lib.float16)),
    lambda lib: lib.linalg.slogdet(lib.tensor(_HALF, dtype=lib.float16)),
    lambda lib: lib.linalg.det(lib.tensor(_HALF, dtype=lib.float16)),
    lambda lib: lib.linalg.solve(lib.tensor(_HALF, dtype=lib.float16), lib.tensor(_HALF, dtype=lib.float16)),
    lambda lib: lib.linalg.cholesky(lib.tensor(_HALF, dtype=lib.float16)),
    lambda lib: lib.linalg.qr(lib.tensor(_HALF, dtype=lib.float16)),
    lambda lib: lib.linalg.svdvals(lib.tensor(_HALF, dtype=lib.float16)),
    lambda lib: lib.norm(lib.tensor(_HALF, dtype=lib.float16), p="nuc", dtype=lib.float64),
])
def test_linalg_of_half_input_as_torch(call):
    assert_same_outcome(call, rtol=1e-2, atol=1e-3)


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2, dtype=lib.int64).norm(dtype=lib.float64),
    lambda lib: lib.ones(2, dtype=lib.bool).norm(dtype=lib.int32),
    lambda lib: lib.ones(2).norm(dtype=lib.int64),
    lambda lib: lib.ones(2, dtype=lib.float64).norm(dtype=lib.float32),
    lambda lib: lib.ones(2).norm(dtype=lib.float16),
    lambda lib: lib.ones(2, dtype=lib.float16).norm(dtype=lib.float64),
    lambda lib: lib.linalg.vector_norm(lib.ones(2, 2), dtype=lib.float16),
    lambda lib: lib.linalg.vector_norm(lib.ones(2, 2), dtype=lib.int64),
    lambda lib: lib.linalg.vector_norm(lib.ones(2, 2), dtype="x"),
    lambda lib: lib.linalg.vector_norm(lib.ones(2, 2, dtype=lib.float16), dtype=lib.float64),
    lambda lib: lib.linalg.norm(lib.ones(2, 2), dtype=lib.float16),
    lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), "nuc", dtype=lib.float16),
    lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2, dtype=lib.int32), "nuc", dtype=lib.float16),
    lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), 1, dtype=lib.int64),
    lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2, dtype=lib.int32), 3),
    lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), 1, dtype=lib.float64),
])
def test_norm_dtype_argument_checks_as_torch(call):
    assert_same_outcome(call)


# ---------------------------------------------------------------------------- mixed dtypes: no promotion where torch has none
def _ones(lib, shape, dtype):
    return lib.ones(shape, dtype=getattr(lib, dtype))


@pytest.mark.parametrize("call", [
    lambda lib: lib.addmm(_ones(lib, (2, 2), "float32"), _ones(lib, (2, 3), "float32"), _ones(lib, (3, 2), "float64")),
    lambda lib: lib.addmm(_ones(lib, (2, 2), "float32"), _ones(lib, (2, 3), "float64"), _ones(lib, (3, 2), "float32")),
    lambda lib: lib.addmm(_ones(lib, (2, 2), "float64"), _ones(lib, (2, 3), "float32"), _ones(lib, (3, 2), "float32")),
    lambda lib: lib.addbmm(_ones(lib, (2, 2), "float32"), _ones(lib, (1, 2, 3), "float64"),
                           _ones(lib, (1, 3, 2), "float32")),
    lambda lib: lib.bmm(_ones(lib, (1, 2, 3), "bool"), _ones(lib, (1, 3, 2), "float32")),
    lambda lib: lib.bmm(_ones(lib, (1, 2, 3), "float32"), _ones(lib, (1, 3, 2), "bool")),
    lambda lib: lib.nn.functional.linear(_ones(lib, (2, 3), "bool"), _ones(lib, (4, 3), "bool")),
    lambda lib: lib.nn.functional.linear(_ones(lib, (3,), "bool"), _ones(lib, (4, 3), "bool"), _ones(lib, (4,), "bool")),
    lambda lib: lib.nn.functional.linear(_ones(lib, (2, 3), "bool"), _ones(lib, (3,), "bool")),
    lambda lib: lib.nn.functional.linear(_ones(lib, (3,), "bool"), _ones(lib, (3,), "bool")),
    lambda lib: lib.nn.functional.linear(_ones(lib, (2, 3), "int64"), _ones(lib, (4, 3), "int64")),
    lambda lib: lib.nn.functional.bilinear(_ones(lib, (2, 3), "bool"), _ones(lib, (2, 3), "bool"),
                                           _ones(lib, (4, 3, 3), "bool")),
    lambda lib: lib.inner(_ones(lib, (2,), "bool"), _ones(lib, (2,), "bool")),
    lambda lib: lib.inner(_ones(lib, (2,), "int64"), _ones(lib, (2,), "int32")),
    lambda lib: lib.inner(_ones(lib, (2, 2), "bool"), _ones(lib, (2, 2), "bool")),
    lambda lib: lib.linalg.cross(_ones(lib, (3,), "float32"), _ones(lib, (3,), "float64")),
    lambda lib: lib.linalg.cross(_ones(lib, (3,), "bool"), _ones(lib, (3,), "float32")),
    lambda lib: lib.linalg.cross(_ones(lib, (3,), "int64"), _ones(lib, (3,), "int64")),
    lambda lib: lib.linalg.cross(_ones(lib, (2, 3), "float32"), _ones(lib, (3, 3), "float64")),
    lambda lib: lib.cross(_ones(lib, (3,), "float16"), _ones(lib, (3,), "float32"), dim=0),
    lambda lib: lib.cdist(_ones(lib, (2, 3), "float16"), _ones(lib, (2, 3), "float32")),
    lambda lib: lib.cdist(_ones(lib, (2, 3), "float32"), _ones(lib, (2, 3), "float16")),
    lambda lib: lib.nn.functional.grid_sample(_ones(lib, (1, 1, 2, 2), "int64"), _ones(lib, (1, 2, 2, 2), "float32"),
                                              align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(_ones(lib, (1, 1, 2, 2, 2), "int32"),
                                              _ones(lib, (1, 2, 2, 2, 3), "float32"), align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(_ones(lib, (1, 1, 2, 2), "float32"), _ones(lib, (1, 2, 2, 2), "int64"),
                                              align_corners=False),
])
def test_products_and_kernels_check_dtypes_as_torch(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.take_along_dim(lib.arange(6.).reshape(2, 3), lib.tensor([[0, 2]], dtype=lib.int32)),
    lambda lib: lib.take_along_dim(lib.arange(6.).reshape(2, 3), lib.tensor([[0, 2]], dtype=lib.int16)),
    lambda lib: lib.take_along_dim(lib.arange(6.).reshape(2, 3), lib.tensor([[0., 2.]])),
    lambda lib: lib.take_along_dim(lib.arange(6.).reshape(2, 3), lib.tensor([[0, 2]], dtype=lib.int32), 1),
])
def test_take_along_dim_without_dim_takes_gathers_index_dtypes(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.isin(_ones(lib, 2, "bool"), _ones(lib, 2, "bool")),
    lambda lib: lib.isin(_ones(lib, 2, "float32"), _ones(lib, 2, "bool")),
    lambda lib: lib.isin(_ones(lib, 2, "int64"), True),
    lambda lib: lib.isin(True, _ones(lib, 2, "int64")),
    lambda lib: lib.isin(_ones(lib, 2, "int64"), 1.0),
    lambda lib: lib.isin(lib.tensor([300], dtype=lib.int32), lib.tensor([44], dtype=lib.uint8)),
])
def test_isin_has_no_bool_kernel(call):
    assert_same_outcome(call)


_COSINE_OPERANDS = [("float16", (2, 3), "float64", (2, 3)), ("float32", (2, 3), "int64", (3,)),
                    ("int64", (2, 3), "float32", (2, 3)), ("float16", (2, 3), "float64", ()),
                    ("int64", (2, 3), "int64", (2, 3)), ("bool", (2, 3), "int64", (2, 3))]


@pytest.mark.parametrize("operands", _COSINE_OPERANDS)
def test_cosine_similarity_computes_in_the_promoted_dtype(operands):
    d1, s1, d2, s2 = operands
    x = np.random.default_rng(0).integers(1, 4, (2, 3))

    def call(lib):
        x1 = lib.tensor(x).to(getattr(lib, d1)).reshape(s1)
        x2 = (lib.tensor(x[0] + 1) if s2 == (3,) else lib.tensor(x + 1) if s2 else lib.tensor(2)).to(getattr(lib, d2))
        return lib.nn.functional.cosine_similarity(x1, x2, dim=-1)

    assert_same_outcome(call, rtol=1e-3, atol=1e-3)


def test_attention_with_a_float_mask_keeps_half_scores_half():
    x = np.random.default_rng(0).normal(size=(1, 2, 3, 4))
    mask = np.random.default_rng(1).normal(size=(3, 3))

    def call(lib):
        q = lib.tensor(x).half()
        return lib.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=lib.tensor(mask).float())

    assert_same_outcome(call, rtol=1e-2, atol=2e-3)


@pytest.mark.parametrize("dim", [0, 1])
def test_cosine_similarity_takes_the_norms_of_the_broadcast_operands(dim):
    x = np.random.default_rng(0).normal(size=(2, 3))
    y = np.random.default_rng(1).normal(size=(1, 3))

    def call(lib):
        x1, x2 = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        out = lib.nn.functional.cosine_similarity(x1, x2, dim=dim)
        (out * lib.arange(1., out.numel() + 1).to(out.dtype).reshape(out.shape)).sum().backward()
        return out.detach(), x1.grad, x2.grad

    assert_same_outcome(call, rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------------- a Python number as the first operand
_NUMBER_FIRST_DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("number", [True, 3, -1, 2.5, 300])
@pytest.mark.parametrize("dtype", _NUMBER_FIRST_DTYPES)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "multiply", "subtract", "divide", "true_divide",
                                  "floor_divide"])
def test_number_first_operand_promotes_as_a_wrapped_number(name, dtype, number):
    values = np.array([1, 2, 0]) if dtype != "bool" else np.array([True, False, True])

    def call(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(lib, name)(number, lib.tensor(values).to(getattr(lib, dtype)))

    assert_same_outcome(call, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("call", [
    lambda lib: lib.add(1, 2),
    lambda lib: lib.add(1.5, 2),
    lambda lib: lib.mul(True, False),
    lambda lib: lib.add(1, lib.tensor([1., 2.]), alpha=2),
    lambda lib: lib.sub(1, lib.tensor([1., 2.]), alpha=2),
    lambda lib: lib.div(7, lib.tensor([2, 3]), rounding_mode="floor"),
    lambda lib: lib.mul(2, other=lib.tensor([1., 2.], dtype=lib.float64)),
    lambda lib: lib.sub(True, lib.tensor([True])),
    lambda lib: lib.add(1, "x"),
    lambda lib: lib.mul(1, [1]),
    lambda lib: lib.div(1, other="x"),
])
def test_number_first_operand_calls_as_torch(call):
    assert_same_outcome(call)


def test_number_first_operand_is_differentiated_through_the_tensor():
    grads = []
    for lib in (torch, torchless):
        t = lib.tensor([1., 2.], requires_grad=True)
        (lib.sub(3, t, alpha=2) * lib.div(1, t)).sum().backward()
        grads.append(t.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


# ---------------------------------------------------------------------------- scalar arguments and cat
@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2, dtype=lib.float16) ** 1e5,
    lambda lib: lib.ones(2, dtype=lib.float16) ** 2**31,
    lambda lib: lib.ones(2, dtype=lib.float16).pow_(-70000),
    lambda lib: lib.ones(2, dtype=lib.float16) ** 65504.0,
    lambda lib: lib.ones(2, dtype=lib.float16) ** 2.5,
    lambda lib: lib.ones(2, dtype=lib.float16) ** True,
    lambda lib: lib.zeros(2).add(lib.ones(2), alpha=1e40),
    lambda lib: lib.zeros(2, dtype=lib.float16).sub(lib.ones(2, dtype=lib.float16), alpha=1e5),
    lambda lib: lib.zeros(2, dtype=lib.float16).add_(lib.ones(2, dtype=lib.float16), alpha=70000),
    lambda lib: lib.zeros(2, dtype=lib.float64).add(lib.ones(2), alpha=1e300),
    lambda lib: lib.zeros(2).add(lib.ones(2), alpha=2.5),
])
def test_number_arguments_are_range_checked_in_a_float_result_dtype(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("tensors", [
    lambda lib: [lib.ones(3), lib.tensor(1.)],
    lambda lib: [lib.ones(2, 3), lib.ones(3), lib.tensor(1.)],
    lambda lib: [lib.ones(0), lib.tensor(1.)],
    lambda lib: [lib.tensor(1.), lib.ones(3)],
    lambda lib: [lib.ones(2, 3), lib.ones(0), lib.ones(1, 3, dtype=lib.float64)],
])
def test_cat_names_the_position_of_a_zero_dimensional_tensor(tensors):
    assert_same_outcome(lambda lib: lib.cat(tensors(lib)))


# ---------------------------------------------------------------------------- out= of another dtype
def _out(lib, shape, dtype="float64"):
    return lib.empty(shape, dtype=getattr(lib, dtype))


_OUT_DTYPE_CALLS = {
    "mm": lambda lib, a: lib.mm(a, a, out=_out(lib, (2, 2))),
    "bmm": lambda lib, a: lib.bmm(a[None], a[None], out=_out(lib, (1, 2, 2))),
    "addmm": lambda lib, a: lib.addmm(a, a, a, out=_out(lib, (2, 2))),
    "matmul": lambda lib, a: lib.matmul(a.double(), a.double(), out=_out(lib, (2, 2), "float32")),
    "matmul of vectors": lambda lib, a: lib.matmul(a[0], a[0], out=_out(lib, ())),
    "dot": lambda lib, a: lib.dot(a[0], a[0], out=_out(lib, ())),
    "mv": lambda lib, a: lib.mv(a, a[0], out=_out(lib, (2,))),
    "argmax": lambda lib, a: lib.argmax(a, out=_out(lib, (), "int32")),
    "argmin": lambda lib, a: lib.argmin(a, 0, out=_out(lib, (2,), "float32")),
    "max values": lambda lib, a: lib.max(a, 0, out=(_out(lib, (2,)), _out(lib, (2,), "int64"))),
    "max indices": lambda lib, a: lib.max(a, 0, out=(_out(lib, (2,), "float32"), _out(lib, (2,), "int32"))),
    "sort": lambda lib, a: lib.sort(a, out=(_out(lib, (2, 2)), _out(lib, (2, 2), "int64"))),
    "topk": lambda lib, a: lib.topk(a, 1, out=(_out(lib, (2, 1)), _out(lib, (2, 1), "int64"))),
    "gather": lambda lib, a: lib.gather(a, 0, lib.tensor([[0, 0]]), out=_out(lib, (1, 2))),
    "tril": lambda lib, a: lib.tril(a, out=_out(lib, (2, 2))),
    "diag": lambda lib, a: lib.diag(a, out=_out(lib, (2,))),
    "where": lambda lib, a: lib.where(a > 0, a, a, out=_out(lib, (2, 2))),
    "amax": lambda lib, a: lib.amax(a, 0, out=_out(lib, (2,))),
    "index_select": lambda lib, a: lib.index_select(a, 0, lib.tensor([0]), out=_out(lib, (1, 2))),
    "masked_select": lambda lib, a: lib.masked_select(a, a > 0, out=_out(lib, (4,))),
    "take": lambda lib, a: lib.take(a, lib.tensor([0]), out=_out(lib, (1,))),
    "nonzero": lambda lib, a: lib.nonzero(a, out=_out(lib, (4, 2))),
    "cummax": lambda lib, a: lib.cummax(a, 0, out=(_out(lib, (2, 2)), _out(lib, (2, 2), "int64"))),
    "abs": lambda lib, a: lib.abs(a, out=_out(lib, (2, 2))),
    "neg into int": lambda lib, a: lib.neg(a, out=_out(lib, (2, 2), "int64")),
    "floor": lambda lib, a: lib.floor(a, out=_out(lib, (2, 2))),
    "clamp": lambda lib, a: lib.clamp(a, 0, 1, out=_out(lib, (2, 2))),
    "clamp_min": lambda lib, a: lib.clamp_min(a, 0, out=_out(lib, (2, 2))),
    "sign": lambda lib, a: lib.sign(a, out=_out(lib, (2, 2), "int64")),
    "cat into int": lambda lib, a: lib.cat([a], out=_out(lib, (2, 2), "int64")),
    "stack into int": lambda lib, a: lib.stack([a], out=_out(lib, (1, 2, 2), "int64")),
    "cat into double": lambda lib, a: lib.cat([a], out=_out(lib, (2, 2))),
    "exp into double": lambda lib, a: lib.exp(a * 0, out=_out(lib, (2, 2))),
    "add into double": lambda lib, a: lib.add(a, a, out=_out(lib, (2, 2))),
    "sum into bool": lambda lib, a: lib.sum(lib.ones(2, dtype=lib.int64), 0, out=_out(lib, (), "bool")),
    "sum into int": lambda lib, a: lib.sum(a * 1.7, 0, out=_out(lib, (2,), "int64")),
    "prod into bool": lambda lib, a: lib.prod(a, 0, out=_out(lib, (2,), "bool")),
    "cumsum into int": lambda lib, a: lib.cumsum(a * 1.7, 0, out=_out(lib, (2, 2), "int32")),
    "cumsum into bool": lambda lib, a: lib.cumsum(a, 0, out=_out(lib, (2, 2), "bool")),
    "cumprod into bool": lambda lib, a: lib.cumprod(a, 0, out=_out(lib, (2, 2), "bool")),
    "cumsum dtype bool": lambda lib, a: lib.cumsum(a, 0, dtype=lib.bool),
    "mean into int": lambda lib, a: lib.mean(a, 0, out=_out(lib, (2,), "int64")),
}


@pytest.mark.parametrize("name", list(_OUT_DTYPE_CALLS))
def test_out_of_another_dtype_as_torch(name):
    assert_same_outcome(lambda lib: _OUT_DTYPE_CALLS[name](lib, lib.ones(2, 2)))


# ---------------------------------------------------------------------------- legacy constructors and dtype methods
@pytest.mark.parametrize("call", [
    lambda lib: lib.ByteTensor([-1, -129]),
    lambda lib: lib.ByteTensor([300, -1]),
    lambda lib: lib.IntTensor([2**40]),
    lambda lib: lib.LongTensor([2**63]),
    lambda lib: lib.BoolTensor([2, 0.5]),
    lambda lib: lib.HalfTensor([1e6]),
    lambda lib: lib.LongTensor(lib.ones(2)),
    lambda lib: lib.FloatTensor(lib.ones(2, dtype=lib.float64)),
    lambda lib: lib.Tensor(lib.ones(2, dtype=lib.int64)),
    lambda lib: lib.Tensor(2.5),
    lambda lib: lib.Tensor((1, 2.5)),
])
def test_legacy_constructors_read_data_as_torch(call):
    assert_same_outcome(call)


def test_legacy_constructors_share_a_tensor_or_an_array_of_their_dtype():
    for lib in (torch, torchless):
        source = lib.ones(2, dtype=lib.float64)
        lib.Tensor(source)[0] = 5
        assert source.tolist() == [5, 1]
        array = np.ones(2, np.float32)
        lib.Tensor(array)[0] = 3
        assert array.tolist() == [3, 1]


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int32", "bool", "bfloat16", "complex64",
                                  "complex128", "complex32", "uint16"])
def test_dtype_to_real_and_to_complex(name):
    def answers(lib):
        dtype, out = getattr(lib, name), []
        for method in ("to_real", "to_complex"):
            try:
                out.append(str(getattr(dtype, method)()).split(".")[1])
            except RuntimeError as error:
                out.append(str(error))
        return out

    assert answers(torchless) == answers(torch)


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(4, 4)[:, :2].view(lib.int16),
    lambda lib: lib.ones(4, 4)[:, 1:3].view(lib.float64),
    lambda lib: lib.ones(4, 4)[:, 1:3].view(lib.float16),
    lambda lib: lib.ones(4, 3)[:, :2].view(lib.float64),
    lambda lib: lib.ones(4, 4).t().view(lib.float64),
    lambda lib: lib.ones(4, 4, dtype=lib.float64).view(lib.float32),
    lambda lib: lib.ones(8, dtype=lib.int8)[1:5].view(lib.int32),
    lambda lib: lib.ones(3, 4, dtype=lib.int8)[:, :2].view(lib.int32),
    lambda lib: lib.ones(4, 4)[:, :1].view(lib.float64),
    lambda lib: lib.tensor(1.).view(lib.int16),
    lambda lib: lib.tensor(1.).view(lib.int32),
    lambda lib: lib.ones(4, 4)[:, ::2].view(lib.int16),
    lambda lib: lib.ones(4, 4).view(float),
])
def test_view_as_another_dtype_checks_the_layout_as_torch(call):
    assert_same_outcome(call)


@pytest.mark.parametrize("text", ["float64", "cuda0", "Cuda", "cpu_x", "cpu:", "cpu:0:1", " cpu", "cpu-1", "", "x:1",
                                  "x:y", "cpu:01", "cpu:0"])
def test_device_strings_are_read_as_torch(text):
    def call(lib):
        return lib.ones(1, device=text)

    assert_same_outcome(call)
    assert_same_outcome(lambda lib: lib.ones(2).to(text))


@pytest.mark.parametrize("call", [
    lambda L: L.ones(2).to(np.float64), lambda L: L.ones(2).to(foo=1), lambda L: L.ones(2).to(L.float64, L.float64),
    lambda L: L.ones(2).to(dtype=np.float32), lambda L: L.ones(2).to("float64"), lambda L: L.ones(2).to(float),
    lambda L: L.ones(2).to("cpu", L.int64, True, True), lambda L: L.ones(2).to(L.ones(1, dtype=L.int32)),
    lambda L: L.ones(2).to(None, non_blocking=True),
])
def test_tensor_to_parses_its_arguments_as_pytorch(call):
    # NumPy dtypes, unknown keywords and two dtypes are refused with PyTorch's overload listing
    assert_same_outcome(call)


@pytest.mark.parametrize("cast", ["x.float()", "x.double()", "x.long()", "x.to(m.float32)",
                                  "x.to(m.float32, memory_format=m.contiguous_format)", "m.zeros(2).copy_(x)",
                                  "m.zeros(2, dtype=m.int32).copy_(x)", "m.zeros(2, requires_grad=True).clone().copy_(x)"])
def test_complex_to_real_cast_warns_once_per_process_as_pytorch(monkeypatch, cast):
    """A cast dropping imaginary parts: PyTorch's UserWarning, once per process (TORCH_WARN_ONCE; shown always
    under torch.set_warn_always), not NumPy's ComplexWarning on every cast; to bool no warning at all."""
    import warnings

    torch = pytest.importorskip("torch")
    from torchless import _dtype

    monkeypatch.setattr(_dtype, "_complex_to_real_warned", [False])
    results = {}
    for m in (torchless, torch):
        names = {"m": m, "x": m.tensor([1 + 2j, 3 - 1j])}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if m is torch:
                torch.set_warn_always(True)
            try:
                first = eval(cast, names)
                seen_first = [(w.category, str(w.message)) for w in caught]
                if m is torch:
                    torch.set_warn_always(False)
                eval(cast, names)
                eval("x.to(m.bool)", names)
            finally:
                if m is torch:
                    torch.set_warn_always(False)
        results[m] = (first.tolist(), str(first.dtype).split(".")[-1], seen_first,
                      [(w.category, str(w.message)) for w in caught][len(seen_first):])
    ours, theirs = results[torchless], results[torch]
    assert ours[:3] == theirs[:3]
    assert ours[3] == []  # once per process: the second cast is silent, as torch's is outside set_warn_always
