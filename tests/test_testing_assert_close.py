"""torchless.testing.assert_close: PyTorch's tolerances by dtype and its failure messages."""
import math

import numpy as np
import pytest
from helpers import assert_same_error

import torchless
from torchless.testing import assert_close


def _message(call):
    with pytest.raises(AssertionError) as info:
        call()
    return str(info.value)


def test_passes_within_the_default_tolerance_of_each_dtype():
    # float32: atol 1e-5 + rtol 1.3e-6 * |expected|
    assert_close(torchless.tensor([1.0, 100.0]), torchless.tensor([1.0 + 1e-5, 100.0 + 1.3e-4]))
    with pytest.raises(AssertionError):
        assert_close(torchless.tensor([1.0]), torchless.tensor([1.0 + 3e-5]))
    # float64: 1e-7 and 1e-7
    one = torchless.tensor([1.0], dtype=torchless.float64)
    assert_close(one, one + 1.5e-7)
    with pytest.raises(AssertionError):
        assert_close(one, one + 3e-7)
    # integers and bools must be equal
    assert_close(torchless.tensor([1, 2]), torchless.tensor([1, 2]))
    with pytest.raises(AssertionError):
        assert_close(torchless.tensor([1, 2]), torchless.tensor([1, 3]))


def test_nan_and_infinities():
    nan, inf = torchless.tensor([math.nan, 1.0]), torchless.tensor([math.inf, -math.inf])
    with pytest.raises(AssertionError):
        assert_close(nan, nan)
    assert_close(nan, nan, equal_nan=True)
    assert_close(inf, inf)
    with pytest.raises(AssertionError):
        assert_close(inf, -inf)


def test_mismatch_message_names_counts_and_greatest_differences():
    message = _message(lambda: assert_close(torchless.tensor([1.0, 2.0, 3.0]), torchless.tensor([1.1, 2.5, 3.0])))
    # |2.0 - 2.5| = 0.5 is the greatest absolute difference; 0.5 / 2.5 = 0.2 (in float32) the greatest relative one
    assert message == ("Tensor-likes are not close!\n\n"
                       "Mismatched elements: 2 / 3 (66.7%)\n"
                       "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\n"
                       f"Greatest relative difference: {float(np.float32(0.2))} at index (1,) (up to 1.3e-06 allowed)")


def test_integer_mismatch_says_equal_and_gives_no_tolerance():
    message = _message(lambda: assert_close(torchless.tensor([[1, 2], [3, 4]]), torchless.tensor([[1, 0], [3, 9]])))
    assert message == ("Tensor-likes are not equal!\n\n"
                       "Mismatched elements: 2 / 4 (50.0%)\n"
                       "Greatest absolute difference: 5 at index (1, 1)\n"
                       "Greatest relative difference: inf at index (0, 1)")


def test_attribute_scalar_and_nested_messages():
    assert _message(lambda: assert_close(torchless.ones(3), torchless.ones(2))) == (
        "The values for attribute 'shape' do not match: torchless.Size([3]) != torchless.Size([2]).")
    assert _message(lambda: assert_close(torchless.ones(3), torchless.ones(3, dtype=torchless.float64))) == (
        "The values for attribute 'dtype' do not match: torchless.float32 != torchless.float64.")
    assert_close(torchless.ones(3), torchless.ones(3, dtype=torchless.float64), check_dtype=False)
    assert _message(lambda: assert_close(torchless.tensor(1), torchless.tensor(3))) == (
        "Scalars are not equal!\n\nExpected 3 but got 1.\nAbsolute difference: 2\nRelative difference: "
        f"{2 / 3}")
    message = _message(lambda: assert_close({"a": [1.0, torchless.ones(2)]}, {"a": [1.0, torchless.zeros(2)]}))
    assert message.endswith("\n\nThe failure occurred for item ['a'][1]")
    assert _message(lambda: assert_close(torchless.ones(1), torchless.zeros(1), msg="custom")) == "custom"
    assert _message(lambda: assert_close(torchless.ones(1), torchless.zeros(1), msg=lambda m: "pre " + m)).startswith(
        "pre Tensor-likes are not close!")


def _cases(lib):
    """Failing comparisons, each a call of ``lib.testing.assert_close``."""
    t, close = lib.tensor, lib.testing.assert_close
    return {
        "one element": lambda: close(t([1.0, 2.0, 3.0]), t([1.0, 2.5, 3.0])),
        "two elements": lambda: close(t([1.0, 2.0, 3.0]), t([1.1, 2.5, 3.0])),
        "2-d": lambda: close(lib.ones(2, 3), t([[1.0, 1, 1], [1, 1, 5]])),
        "float64": lambda: close(t([1.0, 2.0, 3.0], dtype=lib.float64), t([1.0, 2.0, 3.0], dtype=lib.float64) + 1e-6),
        "int": lambda: close(t([1, 2, 3]), t([1, 2, 6])),
        "int32": lambda: close(t([1, 2, 3], dtype=lib.int32), t([1, 2, 6], dtype=lib.int32)),
        "int, zero expected": lambda: close(t([[1, 2], [3, 4]]), t([[1, 0], [3, 9]])),
        "bool": lambda: close(t([True, False]), t([True, True])),
        "ties": lambda: close(lib.zeros(100), lib.ones(100)),
        "large": lambda: close(lib.arange(100.0).reshape(10, 10), lib.arange(100.0).reshape(10, 10) * 1.01),
        "half": lambda: close(t([1.0, 2.0, 3.0]).half(), t([1.0, 2.0, 3.0]).half() + 0.01),
        "nan": lambda: close(t([math.nan]), t([math.nan])),
        "nan mismatch": lambda: close(t([math.nan, 1.0]), t([1.0, 1.0])),
        "infinities": lambda: close(t([math.inf]), t([-math.inf])),
        "zero expected": lambda: close(t([0.0, 1.0]), t([1.0, 1.0])),
        "shape": lambda: close(lib.ones(3), lib.ones(2)),
        "dtype": lambda: close(lib.ones(3), lib.ones(3, dtype=lib.float64)),
        "int against float, dtype unchecked": lambda: close(t([1]), t([1.5]), check_dtype=False),
        "scalar": lambda: close(t(1.0), t(2.0)),
        "int scalar": lambda: close(t(1), t(3)),
        "nan scalar": lambda: close(t(math.nan), t(1.0)),
        "bool scalar": lambda: close(t(True), t(False)),
        "numbers": lambda: close(1.0, 1.001),
        "ints": lambda: close(1, 2),
        "number types": lambda: close(1, 1.0),
        "numpy scalar": lambda: close(np.float32(1.0), 1.5),
        "bools": lambda: close(True, False),
        "None": lambda: close(None, 1),
        "numpy arrays": lambda: close(np.array([1.0, 2.0]), np.array([1.0, 2.5])),
        "list": lambda: close([lib.ones(2), lib.ones(2)], [lib.ones(2), lib.zeros(2)]),
        "list lengths": lambda: close([1], [1, 2], msg="ignored"),
        "dict": lambda: close({"x": lib.ones(2)}, {"x": lib.zeros(2)}),
        "dict keys": lambda: close({"x": lib.ones(2)}, {"y": lib.ones(2)}),
        "nested": lambda: close({"a": [1.0, lib.ones(2)]}, {"a": [1.0, lib.zeros(2)]}),
        "message": lambda: close(lib.ones(2), lib.zeros(2), msg="custom"),
        "message function": lambda: close([lib.ones(2)], [lib.zeros(2)], msg=lambda m: "pre " + m),
        "rtol alone": lambda: close(lib.ones(2), lib.ones(2), rtol=1e-3),
        "atol alone": lambda: close(lib.ones(2), lib.ones(2), atol=1e-3),
        "tensor against number": lambda: close(1.0, t(1.0)),
        "tensor against list": lambda: close(t([1.0]), [1.0]),
        "strings": lambda: close("a", "b"),
        "explicit tolerances": lambda: close(t([1.0, 2.0]), t([1.0, 2.1]), rtol=0.01, atol=0.01),
    }


@pytest.mark.parametrize("name", list(_cases(torchless)))
def test_failures_match_torch(name):
    torch = pytest.importorskip("torch")
    import torch.testing  # noqa: F401 - loads torch.testing for _cases

    assert_same_error(_cases(torch)[name], _cases(torchless)[name])


def test_passing_comparisons_pass_in_both():
    torch = pytest.importorskip("torch")
    import torch.testing  # noqa: F401

    for lib in (torch, torchless):
        t, close = lib.tensor, lib.testing.assert_close
        close(t([1.0, 2.0]), t([1.0, 2.0]) + 5e-6)
        close(t([1.0]), t([1.000001], dtype=lib.float64), check_dtype=False)
        close(t([1.0, 2.0]), t([1.0, 2.1]), rtol=0, atol=0.2)
        close(t([1.0]).half(), t([1.0005]).half())
        close(lib.ones(0), lib.ones(0))
        close([t(1.0), {"a": 2}], [t(1.0), {"a": 2}])
        close(t([math.nan]), t([math.nan]), equal_nan=True)
