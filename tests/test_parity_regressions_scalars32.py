"""Python's and NumPy's scalars as operands, read as PyTorch's argument parser reads them: only Python's and NumPy's
numbers are Numbers (a Fraction or a Decimal is refused by the methods and functions, the operators return
NotImplemented for it so that Python decides), a NumPy number of any precision is a wrapped number of its kind (the
tensor's dtype wins within a category), and a NumPy complex64, which is no Python complex, is read through its
__float__, by its real part. Every case is compared with torch at run time."""
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(mod, call):
    """What ``call(mod)`` gives, in a form comparable across the two libraries: a tensor's dtype and values, another
    value's repr, or the exception's type and message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (NumPy's ComplexWarning, said by both)
            result = call(mod)
    except Exception as error:  # noqa: BLE001 - the exception itself is what is compared
        return ("error", type(error).__name__, str(error).replace("torchless", "torch"))
    if isinstance(result, (torch.Tensor, torchless.Tensor)):
        return ("tensor", str(result.dtype).replace("torchless", "torch"), result.tolist())
    return ("value", repr(result).replace("torchless", "torch"))


def _assert_same(call):
    expected, got = _outcome(torch, call), _outcome(torchless, call)
    if expected[0] == got[0] == "tensor":
        assert got[1] == expected[1]
        np.testing.assert_allclose(np.asarray(got[2], dtype=complex), np.asarray(expected[2], dtype=complex),
                                   rtol=1e-6)
    else:
        assert got == expected


def _t(mod, dtype):
    return mod.tensor([1, 3], dtype=getattr(mod, dtype))


def _mask(mod):
    return mod.tensor([True, False])


# The operations taking a number beside a tensor, as a method, an operator (both sides), in place and as a function
OPS = {
    "mul": lambda m, x, s: x.mul(s), "op*": lambda m, x, s: x * s, "rop*": lambda m, x, s: s * x,
    "add": lambda m, x, s: x.add(s), "op+": lambda m, x, s: x + s, "rop+": lambda m, x, s: s + x,
    "sub": lambda m, x, s: x.sub(s), "rop-": lambda m, x, s: s - x, "rsub": lambda m, x, s: m.rsub(x, s),
    "div": lambda m, x, s: x.div(s), "op/": lambda m, x, s: x / s, "rop/": lambda m, x, s: s / x,
    "div_floor": lambda m, x, s: x.div(s, rounding_mode="floor"),
    "div_trunc": lambda m, x, s: m.div(x, s, rounding_mode="trunc"),
    "div_none": lambda m, x, s: x.div(s, rounding_mode=None),
    "pow": lambda m, x, s: x.pow(s), "op**": lambda m, x, s: x ** s, "rop**": lambda m, x, s: s ** x,
    "pow_": lambda m, x, s: x.clone().pow_(s), "float_power": lambda m, x, s: x.float_power(s),
    "lt": lambda m, x, s: x.lt(s), "op<": lambda m, x, s: x < s, "eq": lambda m, x, s: m.eq(x, s),
    "op==": lambda m, x, s: x == s, "op!=": lambda m, x, s: x != s,
    "clamp": lambda m, x, s: x.clamp(s), "clamp_max": lambda m, x, s: m.clamp(x, max=s),
    "clamp_": lambda m, x, s: x.clone().clamp_(s),
    "fill_": lambda m, x, s: x.clone().fill_(s), "full": lambda m, x, s: m.full((2,), s),
    "full_like": lambda m, x, s: m.full_like(x, s), "new_full": lambda m, x, s: x.new_full((2,), s),
    "masked_fill": lambda m, x, s: x.masked_fill(_mask(m), s),
    "index_fill": lambda m, x, s: x.index_fill(0, m.tensor([0]), s),
    "where": lambda m, x, s: m.where(_mask(m), x, s), "where_numbers": lambda m, x, s: m.where(_mask(m), s, s),
    "mul_": lambda m, x, s: x.clone().mul_(s), "add_": lambda m, x, s: x.clone().add_(s),
    "op*=": lambda m, x, s: x.clone().__imul__(s),
    "add_alpha": lambda m, x, s: x.add(x, alpha=s), "add_alpha_": lambda m, x, s: x.clone().add_(x, alpha=s),
    "remainder": lambda m, x, s: x.remainder(s), "op%": lambda m, x, s: x % s, "op//": lambda m, x, s: x // s,
    "fmod": lambda m, x, s: m.fmod(x, s),
    "addcmul": lambda m, x, s: x.addcmul(x, x, value=s), "lerp": lambda m, x, s: x.lerp(x, s),
    "contains": lambda m, x, s: s in x, "result_type": lambda m, x, s: m.result_type(x, s),
    "nan_to_num": lambda m, x, s: m.nan_to_num(x, nan=s), "threshold": lambda m, x, s: m.nn.functional.threshold(x, s, 0),
    "hardtanh": lambda m, x, s: m.nn.functional.hardtanh(x, s, 2), "elu": lambda m, x, s: m.nn.functional.elu(x, s),
    "histc": lambda m, x, s: m.histc(x.float(), 4, min=0, max=s),
    "arange": lambda m, x, s: m.arange(s), "linspace": lambda m, x, s: m.linspace(0, s, 3),
}

SCALARS = [Fraction(1, 3), Fraction(4, 1), Decimal("1.5"), np.float16(2.5), np.float32(2), np.float64(-2),
           np.int8(-2), np.int64(3), np.uint8(200), np.bool_(True), np.complex64(2 + 1j), np.complex128(2 + 1j)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool", "complex64"])
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_scalar_operand_as_pytorchs_parser_reads_it(scalar, dtype):
    mismatches = []
    for name, op in OPS.items():
        try:
            _assert_same(lambda m: op(m, _t(m, dtype), scalar))
        except AssertionError as error:
            mismatches.append(f"{name}: {error}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("scalar", [Fraction(1, 3), Decimal("0.5")], ids=repr)
@pytest.mark.parametrize("operator", ["__mul__", "__radd__", "__rsub__", "__truediv__", "__pow__", "__rpow__",
                                      "__eq__", "__lt__", "__iadd__", "__mod__", "__floordiv__"])
def test_operators_return_not_implemented_for_other_numbers(scalar, operator):
    """So that Python asks the number's own method, then raises its TypeError or compares identities."""
    assert getattr(torch.ones(2), operator)(scalar) is NotImplemented
    assert getattr(torchless.ones(2), operator)(scalar) is NotImplemented


def test_fraction_exponent_goes_through_fractions_own_rpow():
    """Fraction.__rpow__ computes ``x ** float(f)`` once the tensor has declined, as it does for torch."""
    expected = torch.tensor([2.0, 8.0]) ** Fraction(1, 3)
    got = torchless.tensor([2.0, 8.0]) ** Fraction(1, 3)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)
    np.testing.assert_allclose(got.numpy(), np.array([2.0, 8.0]) ** (1 / 3), rtol=1e-6)  # (independent check)


@pytest.mark.parametrize("value", [np.complex64(2 + 1j), np.complex64(-3.5 + 0j)], ids=repr)
def test_numpy_complex64_is_read_by_its_real_part_with_numpys_warning(value):
    """np.complex64 is no Python complex: PyTorch's parser reads it through __float__ (NumPy's ComplexWarning)."""
    x = torchless.tensor([1.0, 2.0])
    with pytest.warns(np.exceptions.ComplexWarning if hasattr(np, "exceptions") else np.ComplexWarning):
        got = x * value
    assert got.dtype == torchless.float32
    np.testing.assert_array_equal(got.numpy(), np.array([1.0, 2.0], np.float32) * np.float32(value.real))


@pytest.mark.parametrize("call", [
    lambda m: m.ones(2).div("a", rounding_mode="trunc"),
    lambda m: m.ones(2).div(None, rounding_mode="floor"),
    lambda m: m.ones(2).div((1,), rounding_mode="floor"),
    lambda m: m.ones(2).div(Fraction(1), rounding_mode=None),
    lambda m: m.ones(2).add(Fraction(1), alpha=2),
    lambda m: m.ones(2).sub("a", alpha=2),
    lambda m: m.ones(2).add(alpha=2),
    lambda m: m.ones(2).histc(4, 0, Fraction(2)),
    lambda m: m.ones(2).histc(4, max=Decimal(2)),
    lambda m: m.histc(m.ones(2), 4, Decimal(0), 2),
    lambda m: m.index_fill(m.ones(2), 0, m.tensor([0]), Fraction(1)),
    lambda m: m.ones(2).index_fill_(0, m.tensor([0]), Decimal(1)),
    lambda m: m.ones(2).lerp(m.ones(2), Fraction(1, 2)),
    lambda m: m.ones(2).pow_(Decimal(2)),
    lambda m: np.True_ in m.ones(2),
    lambda m: m.nan_to_num(m.ones(2), nan=1j),
    lambda m: m.nan_to_num(m.ones(2), nan=np.complex128(1)),
    lambda m: m.arange(np.True_),
    lambda m: m.arange(0, np.float16(2.5)),
    lambda m: m.arange(np.complex64(3 + 1j)),
    lambda m: m.where(m.tensor([True, False]), np.complex64(1 + 1j), np.complex64(2)),
    lambda m: m.zeros(2, dtype=m.complex64).fill_(np.complex64(2 + 1j)),
    lambda m: m.full((2,), np.complex64(2 + 1j), dtype=m.complex64),
    lambda m: m.ones(2, dtype=m.complex64).add(m.ones(2, dtype=m.complex64), alpha=np.complex64(2 + 1j)),
    lambda m: m.ones(2, dtype=m.int64).add(m.ones(2, dtype=m.int64), alpha=np.complex64(2)),
    lambda m: m.ones(2).add(m.ones(2), alpha=np.complex128(2)),
    lambda m: m.ones(2).add(m.ones(2), alpha=np.True_),
    lambda m: m.ones(2, dtype=m.complex64).add(m.ones(2, dtype=m.complex64), alpha=np.float64(-2)),
    lambda m: m.ones(2, dtype=m.bool).pow_(np.int8(-2)),
    lambda m: Fraction(1, 3) - m.ones(2, dtype=m.bool),
    # a complex scalar argument converted to a real kernel's type: its imaginary part refused
    lambda m: m.histc(m.ones(2), 4, min=0, max=2 + 1j),
    lambda m: m.histc(m.ones(2), 4, min=0, max=np.complex128(2 + 1j)),
    lambda m: m.ones(2).lerp(m.ones(2), 2 + 1j),
    lambda m: m.ones(2).lerp(m.ones(2), 2 + 0j),
    lambda m: m.ones(2).half().lerp(m.ones(2).half(), np.complex128(2 + 1j)),
    lambda m: m.ones(2).clone().lerp_(m.ones(2), 2 + 1j),
    lambda m: m.ones(2).addcmul(m.ones(2), m.ones(2), value=2 + 1j),
    lambda m: m.ones(2).addcmul(m.ones(2), m.ones(2), value=np.complex128(3)),
])
def test_single_calls(call):
    _assert_same(call)
