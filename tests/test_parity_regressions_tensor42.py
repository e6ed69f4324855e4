"""Parity regressions found by tensor42 (session 42), a differential fuzz of the tensor API of CNN code:

* the bitwise ops, shifts, gcd and lcm of bfloat16 tensors raised NumPy's ufunc TypeError where PyTorch has no
  kernel for them ('"bitwise_and_cpu" not implemented for 'BFloat16'');
* sums with a ``dtype``: a bfloat16 input summed with dtype=torch.float32 (sum, nansum, cumsum, cumprod) gave a
  bfloat16 result; a reduced-precision dtype other than the input's (sum/nansum/cumsum with dtype=torch.bfloat16
  or float16, prod or cumprod with one) accumulated in it, where PyTorch casts the input to it first and adds as
  for a tensor of that dtype (in float32, rounded once);
* the same for integer and bool inputs (``x.int().sum(1, dtype=torch.bfloat16)``, ``cumsum(dtype=torch.float16)``);
  ``mean`` with a half dtype cast the input to it first, where PyTorch divides the input's float32 sum, then casts;
* ``nanmean`` refused bfloat16 tensors;
* the remainder (%) of bfloat16 tensors took NumPy's mod, whose zero has the divisor's sign (PyTorch's the
  dividend's, as torchless gave for the other floating dtypes);
* clamp with tensor bounds answered a tie (-0.0 against a bound 0.0) with the bound, where PyTorch keeps the input
  (as its clamp with number bounds, which torchless did);
* bfloat16 elementwise ops that tested for NumPy's float kind (bfloat16's is "V"): signbit and isneginf/isposinf
  gave all False, sign/sgn NaN and -0.0 (PyTorch 0), nan_to_num's default extremes float32's (rounding to inf),
  copysign/atan2 a float32 result and hypot a NotImplementedError, cummax/cummin skipped NaN, and
  div(rounding_mode='trunc') took the integer path (inf // -2 gave NaN, zeros lost their sign);
* ``t[torch.tensor(True)] = v`` wrote into t itself (IndexPutBackward0, a leaf's refused as a leaf) where PyTorch
  writes through a view (CopySlices, "a view of a leaf Variable ...").
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import outcome_named_as_torch, tensor_outcome

pytest.importorskip("ml_dtypes")
torch = pytest.importorskip("torch")


def _same(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tensor_outcome(call, torchless) == tensor_outcome(call, torch)


def _bf16(lib, *values):
    return lib.tensor(values, dtype=lib.bfloat16)


# ---------------------------------------------------------------------------- bitwise ops of bfloat16
BITWISE = [
    lambda lib: _bf16(lib, 3, 4) & 1, lambda lib: _bf16(lib, 3, 4) | lib.tensor([1, 2]),
    lambda lib: lib.tensor([1, 2]) ^ _bf16(lib, 3, 4), lambda lib: 1 & _bf16(lib, 3, 4),
    lambda lib: _bf16(lib, 3, 4) << 1, lambda lib: _bf16(lib, 3, 4) >> 1,
    lambda lib: _bf16(lib, 3, 4).bitwise_and(1), lambda lib: _bf16(lib, 3, 4).bitwise_xor_(1),
    lambda lib: lib.bitwise_or(_bf16(lib, 3, 4), lib.tensor([True, False])),
    lambda lib: lib.bitwise_left_shift(_bf16(lib, 3, 4), 1), lambda lib: _bf16(lib, 3, 4).gcd(lib.tensor(1)),
    lambda lib: _bf16(lib, 3, 4).lcm(lib.tensor(2)),
]


@pytest.mark.parametrize("call", BITWISE)
def test_bitwise_ops_of_bfloat16_are_not_implemented(call):
    _same(call)


def test_bitwise_and_of_bfloat16_names_the_kernel():
    t = torchless.tensor([3., 4.], dtype=torchless.bfloat16)
    with pytest.raises(NotImplementedError, match="\"bitwise_and_cpu\" not implemented for 'BFloat16'"):
        t & 1
    with pytest.raises(NotImplementedError, match="\"lshift_cpu\" not implemented for 'BFloat16'"):
        t << 1


# ---------------------------------------------------------------------------- reductions with a dtype
def _rows(lib, source):
    x = lib.tensor(np.random.default_rng(0).standard_normal((7, 101)).astype(np.float32) * 0.5 + 1)
    return x.to(getattr(lib, source))


FLOAT32_OF_BFLOAT16 = [
    lambda lib: _bf16(lib, 1.5, 2.25).sum(dtype=lib.float32),
    lambda lib: _bf16(lib, 1.5, 2.25).sum(0, dtype=lib.float32),
    lambda lib: _bf16(lib, 1.5, 2.25).nansum(dtype=lib.float32),
    lambda lib: _bf16(lib, 1.5, 2.25).cumsum(0, dtype=lib.float32),
    lambda lib: _bf16(lib, 1.5, 2.25).cumprod(0, dtype=lib.float32),
    lambda lib: lib.tensor(-3., dtype=lib.bfloat16).sum(-1, dtype=lib.float32),
    lambda lib: _rows(lib, "bfloat16").sum(1, dtype=lib.float32),
]


@pytest.mark.parametrize("call", FLOAT32_OF_BFLOAT16)
def test_bfloat16_reduced_with_dtype_float32_gives_float32(call):
    _same(call)


def test_bfloat16_sum_with_dtype_float32_records_its_node():
    x = torchless.tensor([1.5, 2.25], dtype=torchless.bfloat16, requires_grad=True)
    total = x.sum(0, dtype=torchless.float32)
    assert total.dtype == torchless.float32 and type(total.grad_fn).__name__ == "SumBackward1"
    total.backward()
    assert x.grad.dtype == torchless.bfloat16 and x.grad.tolist() == [1.0, 1.0]


HALF_DTYPE_REDUCTIONS = [
    *[(source, op, "bfloat16") for source in ("float32", "float64", "float16", "bfloat16")
      for op in ("sum(1, dtype=D)", "sum(dtype=D)", "nansum(1, dtype=D)", "cumsum(1, dtype=D)", "prod(1, dtype=D)",
                 "cumprod(1, dtype=D)")],
    *[(source, "cumsum(1, dtype=D)", "float16") for source in ("float32", "float64", "bfloat16")],
    *[(source, "prod(1, dtype=D)", "float16") for source in ("float32", "float64", "float16")],
]


@pytest.mark.parametrize("source, op, dtype", HALF_DTYPE_REDUCTIONS)
def test_reduction_to_a_half_dtype_casts_the_input_first(source, op, dtype):
    _same(lambda lib: eval(f"x.{op.replace('D', 'lib.' + dtype)}", {"x": _rows(lib, source), "lib": lib}))


def test_cumsum_of_float64_to_float32_casts_first():
    _same(lambda lib: _rows(lib, "float64").cumsum(1, dtype=lib.float32))


def test_sum_to_bfloat16_accumulates_in_float32():
    values = np.random.default_rng(0).standard_normal((7, 101)).astype(np.float32)
    got = torchless.tensor(values).sum(1, dtype=torchless.bfloat16)
    rounded = torchless.tensor(values).bfloat16().float().numpy()
    # each row's sum of the values in bfloat16, rounded once (a running bfloat16 sum lands bfloat16 steps away)
    expected = torchless.tensor(rounded.astype(np.float64).sum(1).astype(np.float32)).bfloat16()
    assert got.dtype == torchless.bfloat16 and got.tolist() == expected.tolist()


# ---------------------------------------------------------------------------- nanmean of bfloat16
NANMEAN = [
    lambda lib: _bf16(lib, 1.5, float("nan")).nanmean(), lambda lib: _bf16(lib, 1.5, float("nan"), 2).nanmean(0),
    lambda lib: lib.tensor([[1.5, float("nan")]], dtype=lib.bfloat16).nanmean(1, keepdim=True),
    lambda lib: _bf16(lib, 1.5, float("nan")).nanmean(dtype=lib.float32),
    lambda lib: _bf16(lib, 1.5, float("nan")).nanmean(dtype=lib.int64),
    lambda lib: _rows(lib, "bfloat16").nanmean(1),
]


@pytest.mark.parametrize("call", NANMEAN)
def test_nanmean_of_bfloat16(call):
    _same(call)


def test_nanmean_of_bfloat16_gradient():
    x = torchless.tensor([1.5, float("nan"), 2], dtype=torchless.bfloat16, requires_grad=True)
    out = x.nanmean()
    assert out.dtype == torchless.bfloat16 and out.item() == 1.75
    out.backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5]


# ---------------------------------------------------------------------------- clamp's ties with tensor bounds
NAN = float("nan")
CLAMP_TIES = [
    lambda lib: lib.clamp(lib.tensor([-0., 0., NAN, 1., 1.]), lib.tensor([0., -0., 0., NAN, 2.])),
    lambda lib: lib.clamp(lib.tensor([-0., 0., NAN, 1., 1.]), None, lib.tensor([0., -0., 0., NAN, 2.])),
    lambda lib: lib.clamp(lib.tensor([-0., 0.]), lib.tensor([0, 0], dtype=lib.uint8)),
    lambda lib: lib.clamp(lib.tensor([-0., 0.]), lib.tensor(0.), lib.tensor(0.)),
    lambda lib: lib.clamp(lib.tensor([-0., 0.]).double(), lib.tensor([0., -0.]), lib.tensor(0.)),
    lambda lib: lib.tensor([-0., 0.]).clamp_min(lib.tensor(0.)),
    lambda lib: lib.tensor([-0., 0.]).clamp_max(lib.tensor(0.)),
    lambda lib: lib.tensor([-0., 0.]).clamp_(lib.tensor([0., -0.])),
]


@pytest.mark.parametrize("call", CLAMP_TIES)
def test_clamp_with_tensor_bounds_keeps_the_input_on_a_tie(call):
    assert repr(call(torchless)).replace("torchless", "torch") == repr(call(torch))  # (-0. printed as such)


def test_clamp_with_tensor_bounds_keeps_negative_zero():
    out = torchless.clamp(torchless.tensor([-0., 0.]), torchless.tensor([0., -0.]), torchless.tensor(0.))
    assert np.signbit(out.numpy()).tolist() == [True, False]
    assert repr(out) == "tensor([-0., 0.])"


# ---------------------------------------------------------------------------- a 0-d mask in an assignment
def _assigned(key_value):
    def call(lib):
        x = lib.zeros(3, requires_grad=True)
        y = x * 1
        y[lib.tensor(key_value)] = 2.
        return type(y.grad_fn).__name__.split("::")[-1], y.tolist(), y._version
    return call


@pytest.mark.parametrize("key_value", [True, False])
def test_zero_dim_mask_assignment_writes_through_a_view(key_value):
    assert _assigned(key_value)(torchless) == _assigned(key_value)(torch)
    assert _assigned(key_value)(torchless)[0] == "CopySlices"


@pytest.mark.parametrize("key_value", [True, False])
def test_zero_dim_mask_assignment_into_a_leaf_is_refused_as_a_view(key_value):
    def call(lib):
        x = lib.zeros(3, requires_grad=True)
        x[lib.tensor(key_value)] = 2.5
    assert outcome_named_as_torch(lambda: call(torchless)) == outcome_named_as_torch(lambda: call(torch))
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad is being used in an "):
        call(torchless)


# ---------------------------------------------------------------------------- integer inputs, mean's half dtype
def _int_rows(lib, source):
    x = lib.tensor((np.random.default_rng(0).standard_normal((7, 101)) * 100).astype(np.int64))
    return x.to(getattr(lib, source))


INTEGER_REDUCTIONS = [
    *[(source, op, "bfloat16") for source in ("int32", "int16", "int64", "uint8", "int8")
      for op in ("sum(1, dtype=D)", "sum(dtype=D)", "nansum(1, dtype=D)", "cumsum(1, dtype=D)",
                 "cumprod(1, dtype=D)[:, :8]")],  # (products within range: no NaN, which compares unequal)
    ("uint8", "cumsum(1, dtype=D)", "float16"),
    ("bool", "sum(dtype=D)", "bfloat16"),
    *[(source, "mean(1, dtype=D)", "bfloat16") for source in ("int32", "int16", "int64")],
    ("float32", "mean(1, dtype=D)", "bfloat16"),
]


@pytest.mark.parametrize("source, op, dtype", INTEGER_REDUCTIONS)
def test_integer_reduction_to_a_half_dtype(source, op, dtype):
    _same(lambda lib: eval(f"x.{op.replace('D', 'lib.' + dtype)}", {"x": _int_rows(lib, source), "lib": lib}))


def test_mean_to_bfloat16_divides_the_float32_sum():
    values = (np.random.default_rng(0).standard_normal((7, 101)) * 100).astype(np.float32)
    got = torchless.tensor(values).mean(1, dtype=torchless.bfloat16)
    expected = torchless.tensor(values).mean(1).bfloat16()
    assert got.dtype == torchless.bfloat16 and got.tolist() == expected.tolist()
    x = torchless.tensor([1., 2.], requires_grad=True)
    out = x.mean(0, dtype=torchless.bfloat16)
    assert type(out.grad_fn).__name__ == "MeanBackward1"
    out.backward()
    assert x.grad.dtype == torchless.float32 and x.grad.tolist() == [0.5, 0.5]


# ---------------------------------------------------------------------------- bfloat16 remainder
REMAINDERS = [
    lambda lib: _bf16(lib, -2., 2., -0., -2.5, 7., 1e30, float("inf"), NAN) % 2,
    lambda lib: _bf16(lib, -2., 2., -0., -2.5, 7., 1e30, float("inf"), NAN) % -2,
    lambda lib: lib.tensor([-4, 4, 0]) % _bf16(lib, -2., 2., -2.),
    lambda lib: lib.remainder(_bf16(lib, -2., 2., -0.), lib.tensor(2., dtype=lib.bfloat16)),
    lambda lib: _bf16(lib, -2.5, 2.5, 4.).remainder_(-2),
]


@pytest.mark.parametrize("call", REMAINDERS)
def test_bfloat16_remainder_zero_has_the_dividends_sign(call):
    assert repr(call(torchless)).replace("torchless", "torch") == repr(call(torch))  # (-0. printed as such)


def test_bfloat16_remainder_of_a_negative_multiple_is_negative_zero():
    out = torchless.tensor([-4., 4.], dtype=torchless.bfloat16) % 2
    assert np.signbit(out.float().numpy()).tolist() == [True, False]


# ---------------------------------------------------------------------------- bfloat16's "V" kind in elementwise ops
BFLOAT16_VALUES = (-2.5, -0., 0., NAN, -float("inf"), float("inf"), 1e-3, 3.75)
BFLOAT16_OPS = ["signbit()", "isneginf()", "isposinf()", "sign()", "sgn()", "nan_to_num()", "nan_to_num(posinf=1.)",
                "copysign(-1)", "copysign(lib.tensor(-0.))", "atan2(lib.tensor(-1., dtype=lib.bfloat16))",
                "hypot(lib.tensor(1., dtype=lib.bfloat16))", "cummax(0).values", "cummax(0).indices",
                "cummin(0).values", "cummin(0).indices", "div(-2, rounding_mode='trunc')"]


@pytest.mark.parametrize("op", BFLOAT16_OPS)
def test_bfloat16_elementwise(op):
    def call(lib):
        return eval(f"x.{op}", {"x": _bf16(lib, *BFLOAT16_VALUES), "lib": lib})
    assert repr(call(torchless)).replace("torchless", "torch") == repr(call(torch))  # (-0. printed as such)


def test_bfloat16_signbit_and_negative_infinity():
    x = torchless.tensor([-2.5, -0., 0., -float("inf")], dtype=torchless.bfloat16)
    assert x.signbit().tolist() == [True, True, False, True]
    assert x.isneginf().tolist() == [False, False, False, True]
    assert x.nan_to_num().tolist()[-1] == -float(torchless.finfo(torchless.bfloat16).max)
