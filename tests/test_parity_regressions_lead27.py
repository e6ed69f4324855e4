"""Differences from PyTorch closed by the lead in the twenty-seventh session, each compared with torch at run time.

- ``torch.Size(...)`` took any iterable as it came: floats, strings, None, float tensors and ints past int64 made a
  Size. PyTorch's constructor takes ints (bools read as ints), NumPy integers (kept as given, printed as ints) and
  integer or bool tensors of one element (read as their value), and refuses anything else naming the item and its
  type; ``Size + tuple`` goes through the same checks.
"""
import pickle

import numpy as np
import pytest

import torchless
from helpers import outcome_named_as_torch

torch = pytest.importorskip("torch")

SIZE_CASES = [
    "S([2.5])", "S('ab')", "S([L.tensor(3)])", "S([np.int64(3)])", "S([True])", "S([-1])", "S(3)", "S(None)",
    "S([L.tensor([3])])", "S([L.tensor(3.0)])", "S((1, 2.0))", "S([1, None])", "S()", "S(x for x in (1, 2))",
    "S([np.float64(2)])", "S([2 ** 70])", "S([2 ** 63])", "S([-2 ** 63])", "S([-2 ** 63 - 1])", "S(np.array([1, 2]))",
    "S(L.tensor([1, 2]))", "S([1]) + (4.5,)", "S([1]) + (2,)", "type(S([np.int64(3)])[0]).__name__",
    "type(S([L.tensor(3)])[0]).__name__", "type(S([True])[0]).__name__", "S({1: 2})", "S([[1]])",
    "S([L.tensor([1, 2])])", "S([L.tensor([True])])", "S([np.bool_(True)])", "S([np.int64(3), 2])", "S([3])[0:1]",
    "S([3]) * 2", "pickle.loads(pickle.dumps(S([np.int64(3)])))", "S([1, 2]) == (1, 2)", "L.zeros(2, 3).shape",
    "L.zeros(2, 3).size()", "L.zeros(S([2, np.int64(3)])).shape", "L.ones(2).view(S([1, 2])).shape", "S([1.0])",
    "S([L.tensor(2, dtype=L.uint8)])", "S([np.uint8(200)])",
]


@pytest.mark.parametrize("case", SIZE_CASES)
def test_size_constructor_as_pytorch(case):
    outcomes = []
    for L in (torch, torchless):
        S = L.Size  # noqa: F841 - read by the case
        outcomes.append(outcome_named_as_torch(lambda: repr(eval(case, {"S": S, "L": L, "np": np, "pickle": pickle}))
                                               .replace("torchless", "torch")))
    assert outcomes[1] == outcomes[0]
