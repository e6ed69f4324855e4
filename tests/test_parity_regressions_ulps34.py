"""SLEEF's float32 exp as PyTorch's vectorised kernels take it, and the scalar tail those kernels leave to libm,
pinned by their definitions (no torch needed): the faster exp (cache-sized pieces, same bits) and scalar_tail
(slices instead of index arithmetic) of session 34.
"""

import numpy as np
import pytest

from torchless._kernels import avx_mathfun, cpu_loops

F32 = np.float32
_SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 3e-39, -3e-39, 1e-8, -1e-8, 0.5, -0.5, 1, -1,
                     2, -2, 5, -5, 16.6, -16.6, -16.7, -17, 20, -20, 30, -30, 87.3, -87.3, 88.7, 88.73, -88.73, 89,
                     -89, 100, 100.1, -103.9, -104, -104.1, 1e30, -1e30, 3e38, -3e38], F32)


def _inputs(size, seed=0):
    """2 randn float32 values with the special ones up front."""
    x = (2 * np.random.default_rng(seed).standard_normal(size)).astype(F32)
    head = min(size, _SPECIAL.size)
    x[:head] = _SPECIAL[:head]
    return x


def _ulps(a, b):
    """Distance in float32 ulps (NaN where either is NaN; inf equal to inf counts 0)."""
    a, b = np.asarray(a, F32), np.asarray(b, F32)
    ia, ib = (v.view(np.int32).astype(np.int64) for v in (a, b))
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)  # (monotonic: -0 and +0 are 0 apart)
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    return np.abs(ia - ib)


def _assert_within(ours, reference, ulps, tiny=1e-37):
    """``ours`` (float32) within ``ulps`` of the float64 ``reference`` rounded, or within ``tiny`` absolutely."""
    expected = np.asarray(reference).astype(F32)
    finite = np.isfinite(expected)
    close = (_ulps(ours, expected) <= ulps) | (np.abs(ours.astype(np.float64) - reference) <= tiny)
    assert close[finite].all(), (ours[finite & ~close][:5], expected[finite & ~close][:5])
    assert np.array_equal(ours[~finite], expected[~finite], equal_nan=True)


# ---- independent references (no torch) ---------------------------------------------------------------------------

def test_sleef_exp_is_within_an_ulp_of_exp_and_keeps_its_ends():
    x = np.concatenate([_inputs(50001), np.random.default_rng(1).uniform(-104, 89, 50000).astype(F32)])
    ours = avx_mathfun.exp(x)
    with np.errstate(over="ignore"):
        reference = np.exp(x.astype(np.float64))
    regular = (x > -87) & (x < 88.7)  # (normal results: an ulp; SLEEF's ends below)
    _assert_within(ours[regular], reference[regular], 1)
    assert (ours[x < -104] == 0).all() and (ours[(x > 100)] == np.inf).all()
    assert np.isnan(ours[np.isnan(x)]).all()
    assert ours.dtype == F32 and ours.shape == x.shape


def test_sleef_exp_keeps_the_layout_and_takes_any_shape():
    x = _inputs(2 * 3 * 4 * 50).reshape(2, 3, 4, 50).transpose(0, 2, 3, 1)  # (channels last)
    out = avx_mathfun.exp(x)
    assert out.strides == x.strides
    assert np.array_equal(out, avx_mathfun.exp(np.ascontiguousarray(x)), equal_nan=True)
    assert avx_mathfun.exp(F32(1)).shape == ()
    assert avx_mathfun.exp(np.zeros((0, 3), F32)).shape == (0, 3)
    reversed_ = x[..., ::-1]
    assert np.array_equal(avx_mathfun.exp(reversed_), avx_mathfun.exp(np.ascontiguousarray(reversed_)),
                          equal_nan=True)


def _tail_by_definition(n, block):
    """The scalar tail of a contiguous 1-D kernel below the thread split: its last n % block elements."""
    tail = np.zeros(n, bool)
    tail[n - n % block:] = True
    return tail


@pytest.mark.parametrize("n", [1, 15, 31, 32, 33, 100, 1000, 32767])
def test_scalar_tail_of_a_contiguous_run_is_its_last_elements(n):
    block = 2 * cpu_loops.vector_bytes() // 4
    tail = cpu_loops.scalar_tail(np.zeros(n, F32), vectors=2)
    expected = _tail_by_definition(n, block) if n >= block else np.ones(n, bool)
    if not expected.any():
        assert tail is None
    else:
        assert np.array_equal(tail, expected)


def test_scalar_tail_of_rows_and_transposes():
    block = cpu_loops.vector_bytes() // 4
    a = np.zeros((5, 3 * block + 7), F32)
    assert np.array_equal(cpu_loops.scalar_tail(a), np.broadcast_to(_tail_by_definition(a.size, block), (a.size,))
                          .reshape(a.shape))  # (one run: rows coalesce)
    rows = a[:, :2 * block + 3]  # rows with gaps between them: each row a run with its tail
    assert np.array_equal(cpu_loops.scalar_tail(rows), np.tile(_tail_by_definition(2 * block + 3, block), (5, 1)))
    transposed = np.zeros((3 * block + 7, 5), F32).T  # memory order runs down the columns
    assert np.array_equal(cpu_loops.scalar_tail(transposed),
                          _tail_by_definition(transposed.size, block).reshape(3 * block + 7, 5).T)
    assert cpu_loops.scalar_tail(np.zeros((4, 2 * block), F32)) is None
