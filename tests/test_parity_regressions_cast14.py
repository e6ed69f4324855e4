"""float64 -> float16 casts round through float32, as PyTorch's do (c10::Half is built from a float), in every
path that casts: ``to``/``half``, ``copy_``, assignment, and ``tensor``/``as_tensor`` with ``dtype=``."""
import numpy as np
import pytest

import torchless


def halfway_doubles(count=4096, seed=0):
    """Doubles just off a float16 rounding midpoint: rounding to float32 first lands on the midpoint itself, so
    rounding once and rounding twice disagree for about half of them."""
    rng = np.random.default_rng(seed)
    midpoints = 1 + (rng.integers(0, 2**10, count) * 2 + 1) * 2.0**-11
    return midpoints + rng.choice([-1.0, 1.0], count) * 2.0**-35


CASTS = {
    "to": lambda lib, v: lib.tensor(v).to(lib.float16),
    "half": lambda lib, v: lib.tensor(v).half(),
    "copy_": lambda lib, v: lib.zeros(len(v), dtype=lib.float16).copy_(lib.tensor(v)),
    "setitem": lambda lib, v: _assigned(lib, v),
    "tensor_dtype": lambda lib, v: lib.tensor(v, dtype=lib.float16),
    "as_tensor_dtype": lambda lib, v: lib.as_tensor(v, dtype=lib.float16),
    "tensor_from_list": lambda lib, v: lib.tensor(v.tolist(), dtype=lib.float16),
}


def _assigned(lib, v):
    out = lib.zeros(len(v), dtype=lib.float16)
    out[:] = lib.tensor(v)
    return out


def bits(tensor):
    return tensor.numpy().view(np.uint16)


@pytest.mark.parametrize("path", list(CASTS))
def test_double_to_half_rounds_through_float(path):
    values = halfway_doubles()
    expected = values.astype(np.float32).astype(np.float16).view(np.uint16)
    assert not np.array_equal(expected, values.astype(np.float16).view(np.uint16))  # the cases tell them apart
    np.testing.assert_array_equal(bits(CASTS[path](torchless, values)), expected)


@pytest.mark.parametrize("path", list(CASTS))
def test_double_to_half_as_pytorch(path):
    torch = pytest.importorskip("torch")
    values = halfway_doubles(seed=1)
    np.testing.assert_array_equal(bits(CASTS[path](torchless, values)), bits(CASTS[path](torch, values)))
