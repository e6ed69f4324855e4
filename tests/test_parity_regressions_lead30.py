"""Regressions found while merging the thirtieth session's helpers, each checked against PyTorch at run time."""
import math

import pytest

import torchless

torch = pytest.importorskip("torch")


def _error(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type is compared too
        return type(error), str(error)
    return None


@pytest.mark.parametrize("fn", ["dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("p", [2, 2.5, 1e10, math.nan, -0.1, 1.23456789, math.inf, -1e-7])
def test_native_dropout_probability_printed_as_cpp_does(fn, p):
    expected = _error(lambda: getattr(torch, fn)(torch.ones(2, 3), p, True))
    assert expected is not None
    assert _error(lambda: getattr(torchless, fn)(torchless.ones(2, 3), p, True)) == expected
