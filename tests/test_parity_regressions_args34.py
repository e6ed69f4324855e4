"""args34: Python and NumPy number-likes as arguments, read as PyTorch 2.13's argument parser reads them.

Fixed here (each pinned by the table below, run against torch, and by torch-free expectations after it):
- ``Tensor.to(number)``: a NumPy int names a device (or, before a flag, an int64 tensor), a NumPy float, bool or
  complex64 is a float64 tensor, a NumPy complex128 a complex128 one (was: the parser's TypeError for all).
- interpolate's scale factors: a NumPy bool or complex one unpacks (was refused); a Python complex fails at the
  unpacking as in PyTorch.
- a ``float`` parameter (dropout's p, pad's value, batch_norm's eps, cross_entropy's label_smoothing, logspace's
  base, bernoulli's p) refuses a Fraction; cdist's and bernoulli's p take what the parser takes for a float (a
  bool, any NumPy number, a 0-d tensor), which they refused (a float16 p gave bernoulli a NaN error).
- a ``Number`` parameter (renorm's p and maxnorm, dist's p) refuses a Fraction, a Decimal, a NumPy array, a 1-d
  tensor; pow, remainder, fmod, floor_divide refuse a NumPy array (fmod returned NotImplemented, pow of a 1-d array
  gave wrong values); scatter refuses them as src or value, and reads a 0-d tensor value as its number.
- an ``int`` keyword (round's decimals) refuses a bool, a NumPy array, a 1-d tensor, an ``__index__`` object.
- ``type()``'s non_blocking refuses all but a Python bool; cumsum's and cumprod's dtype refuses NumPy dtypes,
  types and scalars and names.
- SymInt unpacking: a bool tensor in F.pad's, interpolate's and split_with_sizes' sizes, or as randperm's n or
  multinomial's num_samples, fails PyTorch's assertion; an int beyond int64 there is the overflow ValueError.
- scatter of a 0-d source tensor along a 1-d index (was an IndexError from NumPy).
"""
import decimal
import fractions
import subprocess
import sys
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn.functional as TF


class _Index:
    def __index__(self):
        return 1


def _outcome(call, module):
    """("ok", dtype, shape, values) of the call's result, or ("err", exception type, message), module names
    spelt as torch's."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call(module, module.nn.functional)
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        return "err", type(error).__name__, str(error).replace("torchless", "torch")
    if isinstance(result, (tuple, list)):
        return ("ok",) + tuple(_outcome(lambda T, F, r=r: r, module) for r in result)
    if isinstance(result, module.Tensor):
        values = result.detach().to(module.float64 if not result.is_complex() else module.complex128).tolist()
        return "ok", str(result.dtype).replace("torchless", "torch"), tuple(result.shape), values
    return "ok", repr(result).replace("torchless", "torch")


def _x(T):
    return T.arange(4.0).reshape(2, 2)


# (id, call(T, F)): every call compared with torch's outcome
CASES = [
    # Tensor.to with a NumPy number
    ("to-np.float32", lambda T, F: T.ones(2, dtype=T.int32).to(np.float32(2.5))),
    ("to-np.float16-flag", lambda T, F: T.ones(2, dtype=T.int32).to(np.float16(0), False)),
    ("to-np.bool_", lambda T, F: T.ones(2, dtype=T.int32).to(np.bool_(True))),
    ("to-np.complex128", lambda T, F: T.ones(2, dtype=T.int32).to(np.complex128(1))),
    ("to-np.complex64", lambda T, F: T.ones(2, dtype=T.int32).to(np.complex64(1))),
    ("to-np.int64", lambda T, F: T.ones(2).to(np.int64(1))),
    ("to-np.uint8", lambda T, F: T.ones(2).to(np.uint8(0))),
    ("to-np.int64-negative", lambda T, F: T.ones(2).to(np.int64(-1))),
    ("to-np.int64-dtype", lambda T, F: T.ones(2).to(np.int64(0), T.float64)),
    ("to-np.int64-flag", lambda T, F: T.ones(2, dtype=T.int32).to(np.int64(3), True)),
    ("to-np.int8-flag", lambda T, F: T.ones(2, dtype=T.int32).to(np.int8(3), False)),
    ("to-device-np.int64", lambda T, F: T.ones(2).to(device=np.int64(0))),
    ("to-np.float64-dtype", lambda T, F: T.ones(2).to(np.float64(1), T.float32)),
    ("to-other-np.float32", lambda T, F: T.ones(2).to(other=np.float32(1))),
    ("to-nd0", lambda T, F: T.ones(2).to(np.array(1.5))),
    # interpolate's scale factors
    ("interp-np.bool_", lambda T, F: F.interpolate(_x(T).view(1, 1, 2, 2), scale_factor=np.bool_(True))),
    ("interp-np.complex64", lambda T, F: F.interpolate(_x(T).view(1, 1, 2, 2), scale_factor=np.complex64(2))),
    ("interp-np.complex128", lambda T, F: F.interpolate(_x(T).view(1, 1, 2, 2), scale_factor=np.complex128(2))),
    ("interp-complex", lambda T, F: F.interpolate(_x(T).view(1, 1, 2, 2), scale_factor=2 + 0j)),
    ("interp-pair-complex", lambda T, F: F.interpolate(_x(T).view(1, 1, 2, 2), scale_factor=(2, 1 + 0j))),
    ("interp-pair-np.bool_", lambda T, F: F.interpolate(_x(T).view(1, 1, 2, 2), scale_factor=(np.bool_(True), 2))),
    ("interp-pair-np.complex64", lambda T, F: F.interpolate(_x(T).view(1, 1, 2, 2),
                                                            scale_factor=(np.complex64(2), 1))),
    # float parameters
    ("dropout-Fraction", lambda T, F: F.dropout(_x(T), fractions.Fraction(1, 2))),
    ("Dropout-Fraction", lambda T, F: T.nn.Dropout(fractions.Fraction(0))(_x(T))),
    ("dropout-np.float16", lambda T, F: F.dropout(_x(T), np.float16(0))),
    ("dropout-np.complex64", lambda T, F: F.dropout(_x(T), np.complex64(0))),
    ("pad-value-Fraction", lambda T, F: F.pad(_x(T), (1, 1), value=fractions.Fraction(2))),
    ("pad-value-np.bool_", lambda T, F: F.pad(_x(T), (1, 1), value=np.bool_(True))),
    ("batch_norm-eps-Fraction", lambda T, F: T.nn.BatchNorm2d(2, eps=fractions.Fraction(1))(_x(T).view(2, 2, 1, 1))),
    ("ce-smoothing-Fraction", lambda T, F: F.cross_entropy(_x(T), T.tensor([1, 0]),
                                                           label_smoothing=fractions.Fraction(0))),
    ("logspace-base-Fraction", lambda T, F: T.logspace(0, 2, 3, base=fractions.Fraction(2))),
    ("logspace-base-np.float32", lambda T, F: T.logspace(0, 2, 3, base=np.float32(2))),
    ("bernoulli-p-np.float16", lambda T, F: (T.manual_seed(0), T.bernoulli(T.zeros(50), np.float16(0)))[1]),
    ("bernoulli-p-0d", lambda T, F: (T.manual_seed(0), T.bernoulli(T.zeros(3), T.tensor(1.0)))[1]),
    ("bernoulli-p-np.bool_", lambda T, F: (T.manual_seed(0), T.bernoulli(T.zeros(3), np.bool_(True)))[1]),
    ("bernoulli-p-Fraction", lambda T, F: T.bernoulli(T.zeros(3), fractions.Fraction(1, 2))),
    ("cdist-p-bool", lambda T, F: T.cdist(_x(T), T.zeros(1, 2), p=True)),
    ("cdist-p-np.int8", lambda T, F: T.cdist(_x(T), T.zeros(1, 2), p=np.int8(1))),
    ("cdist-p-np.float16", lambda T, F: T.cdist(_x(T), T.zeros(1, 2), np.float16(3))),
    ("cdist-p-0d", lambda T, F: T.cdist(_x(T), T.zeros(1, 2), p=T.tensor(1))),
    ("cdist-p-1d", lambda T, F: T.cdist(_x(T), T.zeros(1, 2), p=T.tensor([1.0]))),
    ("cdist-p-Fraction", lambda T, F: T.cdist(_x(T), T.zeros(1, 2), p=fractions.Fraction(1))),
    # Number parameters
    ("renorm-p-Fraction", lambda T, F: _x(T).renorm(fractions.Fraction(2), 0, 1.0)),
    ("renorm-maxnorm-nd0", lambda T, F: _x(T).renorm(2, 0, np.array(1.0))),
    ("renorm-fn-p-Fraction", lambda T, F: T.renorm(_x(T), fractions.Fraction(2), 0, 1.0)),
    ("renorm-fn-kw-Decimal", lambda T, F: T.renorm(_x(T), p=decimal.Decimal(2), dim=0, maxnorm=1.0)),
    ("renorm_-p-1d", lambda T, F: _x(T).renorm_(T.tensor([2.0]), 0, 1.0)),
    ("renorm-p-0d", lambda T, F: _x(T).renorm(T.tensor(2), 0, T.tensor(1.0))),
    ("renorm-p-np.float32", lambda T, F: _x(T).renorm(np.float32(1), np.int64(0), 1.0)),
    ("dist-p-Fraction", lambda T, F: _x(T).dist(T.ones(2, 2), fractions.Fraction(2))),
    ("dist-p-np.float32", lambda T, F: _x(T).dist(T.ones(2, 2), np.float32(1))),
    ("dist-fn-p-nd0", lambda T, F: T.dist(_x(T), T.ones(2, 2), np.array(2))),
    ("pow-nd0", lambda T, F: _x(T).pow(np.array(2))),
    ("pow-nd1", lambda T, F: T.arange(4.0).pow(np.array([1, 2, 1, 2]))),
    ("pow_-nd0", lambda T, F: _x(T).pow_(np.array(2))),
    ("pow-fn-nd0", lambda T, F: T.pow(_x(T), np.array(2))),
    ("pow-np.float32", lambda T, F: _x(T).pow(np.float32(2))),
    ("remainder-nd0", lambda T, F: T.arange(4).remainder(np.array(2))),
    ("fmod-nd0", lambda T, F: T.arange(4).fmod(np.array(2.0))),
    ("floor_divide-nd0", lambda T, F: T.arange(4).floor_divide(np.array(2))),
    ("remainder-np.int8", lambda T, F: T.arange(4).remainder(np.int8(3))),
    ("fmod_-nd0", lambda T, F: T.arange(4.0).fmod_(np.array(2.0))),
    ("scatter-0d-src", lambda T, F: T.zeros(3).scatter(0, T.tensor([1]), T.tensor(2.0))),
    ("scatter_-0d-src", lambda T, F: T.zeros(3).scatter_(0, T.tensor([1]), T.tensor(2.0))),
    ("scatter_add-0d-src", lambda T, F: T.zeros(3).scatter_add(0, T.tensor([1]), T.tensor(2.0))),
    ("scatter-0d-src-reduce", lambda T, F: T.zeros(3).scatter(0, T.tensor([1]), T.tensor(2.0), reduce="add")),
    ("scatter-0d-src-2d-index", lambda T, F: T.zeros(3, 2).scatter(0, T.tensor([[1, 0]]), T.tensor(2.0))),
    ("scatter-0d-src-too-small", lambda T, F: T.zeros(3).scatter(0, T.tensor([0, 2]), T.tensor(5.0))),
    ("scatter-value-0d", lambda T, F: T.zeros(3).scatter(0, T.tensor([1]), value=T.tensor(2.0))),
    ("scatter-nd0", lambda T, F: T.zeros(3).scatter(0, T.tensor([1]), np.array(2.0))),
    ("scatter-value-nd0", lambda T, F: T.zeros(3).scatter(0, T.tensor([1]), value=np.array(2.0))),
    ("scatter-Fraction", lambda T, F: T.zeros(3).scatter(0, T.tensor([1]), fractions.Fraction(2))),
    ("scatter-value-np.float32", lambda T, F: T.zeros(3).scatter(0, T.tensor([1]), value=np.float32(2))),
    # int keyword: round's decimals
    ("round-decimals-bool", lambda T, F: (_x(T) / 3).round(decimals=True)),
    ("round-decimals-nd0", lambda T, F: (_x(T) / 3).round(decimals=np.array(1))),
    ("round-decimals-1d", lambda T, F: (_x(T) / 3).round(decimals=T.tensor([1]))),
    ("round-decimals-index", lambda T, F: (_x(T) / 3).round(decimals=_Index())),
    ("round-decimals-np.bool_", lambda T, F: (_x(T) / 3).round(decimals=np.bool_(True))),
    ("round_-decimals-bool", lambda T, F: (_x(T) / 3).round_(decimals=True)),
    ("round-fn-decimals-bool", lambda T, F: T.round(_x(T) / 3, decimals=True)),
    ("round-decimals-np.int8", lambda T, F: (_x(T) / 3).round(decimals=np.int8(1))),
    ("round-decimals-0d", lambda T, F: (_x(T) / 3).round(decimals=T.tensor(1))),
    # type()'s non_blocking, cumsum's dtype
    ("type-non_blocking-int", lambda T, F: _x(T).type(T.float64, 1)),
    ("type-non_blocking-kw-np.bool_", lambda T, F: _x(T).type(T.float64, non_blocking=np.bool_(True))),
    ("type-non_blocking-kw-int", lambda T, F: _x(T).type(non_blocking=1)),
    ("type-non_blocking-None", lambda T, F: _x(T).type(None, None)),
    ("type-non_blocking-bool", lambda T, F: _x(T).type(T.float64, non_blocking=True)),
    ("cumsum-dtype-np.int8", lambda T, F: _x(T).cumsum(0, dtype=np.int8(1))),
    ("cumsum-dtype-np-type", lambda T, F: _x(T).cumsum(0, dtype=np.float32)),
    ("cumsum-dtype-str", lambda T, F: T.cumsum(_x(T), 0, dtype="float32")),
    ("cumprod-dtype-np-dtype", lambda T, F: _x(T).cumprod(0, dtype=np.dtype("float64"))),
    ("cumsum_-dtype-np.float32", lambda T, F: _x(T).cumsum_(0, dtype=np.float32(1))),
    ("cumprod_-dtype-np-type", lambda T, F: _x(T).cumprod_(0, dtype=np.float32)),
    ("cumsum-dtype-float", lambda T, F: _x(T).cumsum(0, dtype=float)),
    # SymInt unpacking: bool tensors, int64 overflow
    ("pad-bool-tensor", lambda T, F: F.pad(T.arange(3.0), (1, T.tensor(True)))),
    ("pad-bool-tensor-first", lambda T, F: F.pad(T.arange(3.0), (T.tensor(True), 1))),
    ("split-bool-tensor", lambda T, F: T.arange(5.0).split([4, T.tensor(True)])),
    ("split_with_sizes-bool-tensor", lambda T, F: T.arange(5.0).split_with_sizes([T.tensor(True), 4])),
    ("split_with_sizes-fn-bool-tensor", lambda T, F: T.split_with_sizes(T.arange(5.0), [T.tensor(True), 4])),
    ("interp-size-bool-tensor", lambda T, F: F.interpolate(T.arange(4.0).view(1, 1, 4), size=(T.tensor(True),))),
    ("randperm-bool-tensor", lambda T, F: T.randperm(T.tensor(True))),
    ("randperm-bool-tensor-1d", lambda T, F: T.randperm(T.tensor([True]))),
    ("randperm-overflow", lambda T, F: T.randperm(2 ** 64)),
    ("randperm-np.int64", lambda T, F: T.randperm(np.int64(1))),
    ("multinomial-bool-tensor", lambda T, F: T.multinomial(T.ones(2), T.tensor([True]))),
    ("multinomial-method-bool-tensor", lambda T, F: T.ones(2).multinomial(T.tensor(True))),
    ("multinomial-overflow", lambda T, F: T.multinomial(T.ones(2), 2 ** 64)),
    ("multinomial-0d-int", lambda T, F: T.ones(2).multinomial(T.tensor(2)).sort().values),
]


@pytest.mark.parametrize("call", [c for _, c in CASES], ids=[name for name, _ in CASES])
def test_against_torch(call):
    torch = pytest.importorskip("torch")
    assert _outcome(call, torchless) == _outcome(call, torch)


# ---------------------------------------------------------------------------- without torch
def test_to_numpy_number_dtypes():
    x = torchless.ones(2, dtype=torchless.int32)
    assert x.to(np.float32(2.5)).dtype is torchless.float64  # read as a Python float, made a double tensor
    assert x.to(np.bool_(True)).dtype is torchless.float64  # (a Python True would make it bool)
    assert x.to(True).dtype is torchless.bool
    assert x.to(np.complex128(1)).dtype is torchless.complex128
    assert x.to(np.int64(3), True).dtype is torchless.int64
    with pytest.raises(RuntimeError, match="^Cannot access accelerator device when none is available.$"):
        x.to(np.int64(1))
    with pytest.raises(RuntimeError, match="^Device index must not be negative$"):
        x.to(np.int16(-1))


def test_interpolate_numpy_bool_scale_is_one():
    x = torchless.arange(4.0).view(1, 1, 2, 2)
    out = TF.interpolate(x, scale_factor=np.bool_(True))
    np.testing.assert_array_equal(out.numpy(), np.arange(4.0).reshape(1, 1, 2, 2))
    out = TF.interpolate(x, scale_factor=(np.bool_(True), np.float16(2)))
    np.testing.assert_array_equal(out.numpy(), np.repeat(np.arange(4.0).reshape(1, 1, 2, 2), 2, axis=3))


@pytest.mark.parametrize("call", [
    lambda: TF.dropout(torchless.ones(2), fractions.Fraction(1, 2)),
    lambda: TF.pad(torchless.ones(2), (1, 1), value=fractions.Fraction(1)),
    lambda: torchless.logspace(0, 1, 2, base=fractions.Fraction(2)),
    lambda: torchless.ones(2, 2).renorm(fractions.Fraction(2), 0, 1.0),
    lambda: torchless.ones(2).dist(torchless.ones(2), decimal.Decimal(2)),
    lambda: torchless.ones(2).pow(np.array(2)),
    lambda: torchless.arange(3).fmod(np.array(2)),
    lambda: torchless.ones(2).round(decimals=True),
    lambda: torchless.ones(2).type(torchless.float64, 1),
    lambda: torchless.ones(2).cumsum(0, dtype=np.float32),
    lambda: torchless.zeros(3).scatter(0, torchless.tensor([1]), np.array(2.0)),
], ids=["dropout", "pad", "logspace", "renorm", "dist", "pow", "fmod", "round", "type", "cumsum", "scatter"])
def test_refused_number_likes_are_type_errors(call):
    with pytest.raises(TypeError):
        call()


def test_cdist_p_numpy_int_is_the_l1_distance():
    a = np.array([[0.0, 1.0], [2.0, 5.0]])
    b = np.array([[1.0, 1.0]])
    expected = np.abs(a[:, None, :] - b[None, :, :]).sum(-1)
    for p in (np.int8(1), True, torchless.tensor(1)):
        out = torchless.cdist(torchless.tensor(a), torchless.tensor(b), p=p)
        np.testing.assert_allclose(out.numpy(), expected)


def test_round_decimals_numpy_int():
    values = np.array([0.123, 1.55, -2.449])
    out = torchless.tensor(values).round(decimals=np.int8(1))
    np.testing.assert_allclose(out.numpy(), [0.1, 1.6, -2.4])  # (1.55 is above 1.55 in binary)


def test_scatter_zero_dim_source_and_its_gradient():
    src = torchless.tensor(2.0, requires_grad=True)
    out = torchless.zeros(3).scatter(0, torchless.tensor([1]), src)
    np.testing.assert_array_equal(out.detach().numpy(), [0.0, 2.0, 0.0])
    (out * torchless.tensor([5.0, 7.0, 11.0])).sum().backward()
    assert src.grad.shape == () and float(src.grad) == 7.0  # d/dsrc of 7 * src
    out = torchless.zeros(3).scatter(0, torchless.tensor([2]), value=torchless.tensor(4.0))
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.0, 4.0])


def test_symint_bool_tensor_and_overflow():
    message = "isIntegral"
    with pytest.raises(RuntimeError, match=message):
        TF.pad(torchless.ones(2), (1, torchless.tensor(True)))
    with pytest.raises(RuntimeError, match=message):
        torchless.randperm(torchless.tensor(True))
    with pytest.raises(ValueError, match="^Overflow when unpacking long long$"):
        torchless.randperm(2 ** 64)
    assert torchless.randperm(np.int64(3)).sort().values.tolist() == [0, 1, 2]


def test_complex64_to_warns_as_numpy_reading_it_as_a_float():
    # (in a fresh process: the warning registry is per process)
    code = ("import warnings, numpy as np, torchless\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    r = torchless.ones(1).to(np.complex64(1))\n"
            "print(r.dtype, sorted({type(x.message).__name__ for x in w}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "torchless.float64 ['ComplexWarning']"
