"""Leftovers of earlier sessions (the thirty-ninth session's helper leftovers39), checked against PyTorch 2.13.0 and
against references of their own:

- the default thread count read from $MKL_NUM_THREADS / $OMP_NUM_THREADS at start-up, as PyTorch's x86 build (MKL's
  rules) reads them, and get_num_interop_threads()'s default, which neither changes (in subprocesses);
- max pooling without grad kept the sign of a later zero where PyTorch's scan keeps the first maximum (0.0 before
  -0.0): the tiled 2-D windows reduced rows before columns, the 3-D depth before the planes, and float16's NumPy
  maximum returns its other operand on ties; bfloat16 windows that are no tiling failed (its NumPy dtype is of kind
  "V", taken for an integer's), and its NaNs' indices were not the last NaN's;
- einsum's contractions by bmm refuse uint16, uint32 and uint64 (after summing dims an operand has alone into int64),
  and vander promotes with int64, refusing them too.
"""
import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import torchless

SRC = str(Path(torchless.__file__).resolve().parents[1])
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "MKL_DYNAMIC")


def _threads_in_subprocess(module, environment):
    """(get_num_threads(), get_num_interop_threads()) of ``module`` imported under ``environment``, and whether its
    kernels would split a large call (torchless only)."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env.update(environment)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    code = (f"import {module} as t; print(t.get_num_threads(), t.get_num_interop_threads())\n"
            "if t.__name__ == 'torchless':\n"
            "    from torchless._kernels import parallel; print(parallel.shard_count(64, 2 ** 30) > 1)\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                          timeout=120)
    lines = done.stdout.split("\n")
    return tuple(int(n) for n in lines[0].split()), lines[1] if len(lines) > 2 else None


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# (environment, what get_num_threads() gives by MKL's and libgomp's rules: None for the process's cores, "machine"
# for min(value, os.cpu_count()))
THREAD_CASES = [
    ({"OMP_NUM_THREADS": "1"}, 1),
    ({"OMP_NUM_THREADS": " +1 "}, 1),
    ({"OMP_NUM_THREADS": "1,2"}, 1),
    ({"OMP_NUM_THREADS": "0"}, None),           # libgomp refuses 0, "abc", "1.5", "-1", "1,": PyTorch keeps its default
    ({"OMP_NUM_THREADS": "abc"}, None),
    ({"OMP_NUM_THREADS": "1,"}, None),
    ({"OMP_NUM_THREADS": "64"}, "machine"),     # held to the machine's cores unless MKL_DYNAMIC is false
    ({"OMP_NUM_THREADS": "3", "MKL_DYNAMIC": "FALSE"}, 3),
    ({"MKL_NUM_THREADS": "1", "OMP_NUM_THREADS": "2"}, 1),   # MKL's own variable first
    ({"MKL_NUM_THREADS": "abc"}, 1),            # MKL reads other text than digits as 1
    ({"MKL_NUM_THREADS": " 2", "OMP_NUM_THREADS": "2"}, 1),
    ({"MKL_NUM_THREADS": "0", "OMP_NUM_THREADS": "1"}, 1),  # 0 or "" defers to OpenMP's
]


@pytest.mark.parametrize("environment, expected", THREAD_CASES, ids=lambda v: repr(v) if isinstance(v, dict) else "")
def test_default_thread_count_from_the_environment(environment, expected):
    (threads, interop), splits = _threads_in_subprocess("torchless", environment)
    if expected is None:
        expected = _cores()
    elif expected == "machine":
        expected = min(int(environment["OMP_NUM_THREADS"]), os.cpu_count())
    assert threads == expected
    assert interop == os.cpu_count()  # PyTorch's inter-op pool is sized by the machine alone
    assert splits == str(threads > 1)  # one thread: every kernel call runs whole


@pytest.mark.parametrize("environment", [case for case, _ in THREAD_CASES[::4]] + [{}],
                         ids=lambda v: repr(v))
def test_default_thread_count_from_the_environment_matches_torch(environment):
    pytest.importorskip("torch")
    assert _threads_in_subprocess("torchless", environment)[0] == _threads_in_subprocess("torch", environment)[0]


# ------------------------------------------------------------------------------------------------ max pooling zeros
def _scan_reference(windows):
    """PyTorch's CPU scan of each window (last axis, in scan order) in float64: a value takes over when strictly greater
    or NaN, so of equal maxima the first stays."""
    flat = windows.reshape(-1, windows.shape[-1]).astype(np.float64)
    out = np.empty(flat.shape[0])
    for row, values in enumerate(flat):
        best = -np.inf
        for value in values:
            if value > best or np.isnan(value):
                best = value
        out[row] = best
    return out.reshape(windows.shape[:-1])


def _windows_2d(x, kernel, stride):
    """(N, C, Ho, Wo, kH * kW) windows of x, row-major within each window (no padding)."""
    (kH, kW), (sH, sW) = kernel, stride
    Ho, Wo = (x.shape[2] - kH) // sH + 1, (x.shape[3] - kW) // sW + 1
    taps = [x[:, :, i:i + sH * (Ho - 1) + 1:sH, j:j + sW * (Wo - 1) + 1:sW] for i in range(kH) for j in range(kW)]
    return np.stack(taps, -1)


def _signed_zeros(shape, seed):
    rng = np.random.default_rng(seed)
    values = np.array([0.0, -0.0, -1.0, -np.inf], np.float32)
    return values[rng.choice(4, size=shape, p=[0.4, 0.4, 0.1, 0.1])]


def _same(actual, expected):
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert np.array_equal(actual, expected, equal_nan=True)
    assert np.array_equal(np.signbit(actual), np.signbit(expected))


def test_max_pool2d_tiled_window_keeps_the_first_zero_in_row_major_order():
    # rows first used to give 0.0: the -0.0 of the first row comes first in PyTorch's scan
    x = torchless.tensor([[[[-np.inf, -0.0], [0.0, -np.inf]]]])
    _same(torchless.nn.functional.max_pool2d(x, 2), [[[[-0.0]]]])
    x = torchless.tensor([[[[-1.0, 0.0, -0.0], [-0.0, -1.0, 0.0]]]])
    _same(torchless.nn.functional.max_pool2d(x, (2, 3)), [[[[0.0]]]])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("kernel, stride", [((2, 2), (2, 2)), ((3, 3), (3, 3)), ((2, 3), (2, 3)), ((3, 2), (1, 2)),
                                            ((1, 2), (1, 2)), ((2, 1), (2, 1))])
@pytest.mark.parametrize("grad", [False, True])
def test_max_pool2d_signed_zero_ties_against_the_scan(dtype, kernel, stride, grad):
    x = _signed_zeros((2, 3, 12, 12), hash((kernel, stride)) % 1000)
    expected = _scan_reference(_windows_2d(x, kernel, stride))
    for layout in (torchless.contiguous_format, torchless.channels_last):
        t = torchless.tensor(x, dtype=getattr(torchless, dtype)).contiguous(memory_format=layout)
        out = torchless.nn.functional.max_pool2d(t.requires_grad_(grad), kernel, stride)
        _same(out.detach().float().numpy(), expected)
    line = torchless.tensor(x[:, :, 0], dtype=getattr(torchless, dtype))
    out = torchless.nn.functional.max_pool1d(line, kernel[1], stride[1])
    _same(out.float().numpy(), _scan_reference(_windows_2d(x[:, :, :1], (1, kernel[1]), (1, stride[1])))[:, :, 0])


@pytest.mark.parametrize("dtype", ["float16", "float32"])
@pytest.mark.parametrize("kernel, stride", [(2, 2), (2, 1), ((3, 2, 2), (1, 2, 2))])
def test_max_pool3d_signed_zero_ties_against_the_scan(dtype, kernel, stride):
    x = _signed_zeros((2, 2, 6, 6, 6), 7)
    kD, kH, kW = (kernel,) * 3 if isinstance(kernel, int) else kernel
    sD, sH, sW = (stride,) * 3 if isinstance(stride, int) else stride
    Do = (6 - kD) // sD + 1
    # depth-major windows: every depth tap's (h, w) window in row-major order, one after the other
    windows = np.concatenate([_windows_2d(x[:, :, d * sD + t], (kH, kW), (sH, sW))[:, :, None]
                              for t in range(kD) for d in range(Do)], 2)
    windows = windows.reshape(2, 2, kD, Do, *windows.shape[3:]).transpose(0, 1, 3, 4, 5, 2, 6)
    expected = _scan_reference(windows.reshape(windows.shape[:5] + (-1,)))
    for grad in (False, True):
        t = torchless.tensor(x, dtype=getattr(torchless, dtype), requires_grad=grad)
        out = torchless.nn.functional.max_pool3d(t, kernel, stride)
        _same(out.detach().float().numpy(), expected)


def test_max_pools_signed_zeros_and_nans_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(39)
    values = np.array([0.0, -0.0, 1.0, -1.0, np.nan, -np.inf], np.float32)
    cases = [("max_pool1d", (2, 3, 11), dict(kernel_size=3, stride=2)),
             ("max_pool2d", (2, 3, 8, 8), dict(kernel_size=2)),
             ("max_pool2d", (2, 3, 9, 9), dict(kernel_size=3)),
             ("max_pool2d", (2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1)),
             ("max_pool2d", (2, 3, 9, 8), dict(kernel_size=(3, 2), stride=(2, 3), padding=1, ceil_mode=True)),
             ("max_pool3d", (1, 2, 4, 6, 6), dict(kernel_size=2)),
             ("max_pool3d", (2, 3, 6, 6, 6), dict(kernel_size=(2, 3, 2), stride=(2, 1, 2), padding=1)),
             ("adaptive_max_pool2d", (2, 3, 7, 9), dict(output_size=(3, 4))),
             ("adaptive_max_pool3d", (1, 2, 5, 6, 7), dict(output_size=(2, 3, 3)))]
    checked = 0
    for (name, shape, keywords), dtype, grad, indices in itertools.product(
            cases, ("float16", "bfloat16", "float32", "float64"), (False, True), (False, True)):
        x = values[rng.choice(6, size=shape, p=[0.35, 0.35, 0.05, 0.15, 0.05, 0.05])]
        results = []
        for lib in (torch, torchless):
            t = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=grad)
            out = getattr(lib.nn.functional, name)(t, return_indices=indices, **keywords)
            value, index = out if indices else (out, None)
            results.append((value.detach().double().numpy(), None if index is None else index.numpy()))
        (expected, expected_index), (actual, actual_index) = results
        assert np.array_equal(actual, expected, equal_nan=True), (name, keywords, dtype, grad, indices)
        signs = ~np.isnan(expected)  # (a NaN's sign is the conversion's, not the pooling's)
        assert np.array_equal(np.signbit(actual)[signs], np.signbit(expected)[signs]), (name, keywords, dtype, grad)
        if indices:
            assert np.array_equal(actual_index, expected_index), (name, keywords, dtype, grad)
        checked += 1
    assert checked == len(cases) * 16


# ------------------------------------------------------------------------------------- uint16/32/64: einsum, vander
@pytest.mark.parametrize("name, scalar", [("uint16", "UInt16"), ("uint32", "UInt32"), ("uint64", "UInt64")])
def test_einsum_contractions_and_vander_refuse_wide_unsigned(name, scalar):
    dtype = getattr(torchless, name)
    a, b = torchless.ones(2, 3, dtype=dtype), torchless.ones(3, 2, dtype=dtype)
    for equation in ("ij,jk->ik", "ij,ij->i", "i,i->"):
        operands = (a[0], a[0]) if equation == "i,i->" else (a, b if equation == "ij,jk->ik" else a)
        with pytest.raises(NotImplementedError, match=f'^"bmm" not implemented for \'{scalar}\'$'):
            torchless.einsum(equation, *operands)
    # nothing contracted (a product, a diagonal, a sum) keeps working; dims summed in one operand alone are summed
    # first, into int64, so the contraction that follows is int64's
    assert torchless.einsum("i,j->ij", a[0], a[1]).dtype == dtype
    assert torchless.einsum("ij,ij->ij", a, a).tolist() == [[1, 1, 1], [1, 1, 1]]
    assert torchless.einsum("ij->", a).dtype == torchless.int64
    product = torchless.einsum("ij,jk->", a, b)
    assert (product.dtype, product.item()) == (torchless.int64, 12)
    assert torchless.einsum("ij,kl->", a, torchless.ones(2, 2, dtype=torchless.int64)).item() == 24
    with pytest.raises(RuntimeError, match="^expected scalar type Float but found Long$"):
        torchless.einsum("ij,jk->", torchless.ones(2, 3), b)
    message = f"^Promotion for uint16, uint32, uint64 types is not supported, attempted to promote {scalar} and Long$"
    for arguments in ((), (2,), (4, True)):
        with pytest.raises(RuntimeError, match=message):
            torchless.vander(a[0], *arguments)
    assert torchless.linalg.vander(a[0]).dtype == torchless.int64


def test_einsum_and_vander_dtypes_match_torch():
    torch = pytest.importorskip("torch")
    dtypes = ["bool", "uint8", "int32", "int64", "uint16", "uint32", "uint64", "float32"]
    equations = ["ij,jk->ik", "ij,jk->", "ij,jk->k", "ij,jk->ijk", "ij,kl->", "ij,ij->i", "ij,jk,k->"]

    def outcome(lib, call):
        try:
            result = call(lib)
        except Exception as error:  # the type and text are compared
            return type(error).__name__, str(error)
        return str(result.dtype).split(".")[-1], result.tolist()

    checked = 0
    for first, second in itertools.product(dtypes, dtypes):
        for equation in equations:
            def call(lib):
                subscripts = equation.split("->")[0].split(",")
                return lib.einsum(equation, *[(lib.arange(2 ** len(s)).reshape([2] * len(s)) % 2).to(
                    getattr(lib, (first, second)[k % 2])) for k, s in enumerate(subscripts)])
            assert outcome(torchless, call) == outcome(torch, call), (first, second, equation)
            checked += 1
        vander = (lambda lib: lib.vander(lib.arange(3).to(getattr(lib, first)), 4))
        assert outcome(torchless, vander) == outcome(torch, vander), first
    assert checked == len(dtypes) ** 2 * len(equations)
