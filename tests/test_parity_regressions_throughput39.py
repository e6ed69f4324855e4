"""Large-tensor ops made faster without changing a bit (session 39, throughput39):

- where / masked_fill (and the gradients of where, masked_fill and clamp): NumPy's where branches on every element,
  ~4 ns each on a condition the CPU cannot predict; large C-contiguous operands are blended bitwise instead
  (``_kernels/select.py``), where a sample of the condition shows it changes often;
- add_ / sub_ / mul_ / div_ by a tensor of self's float dtype, and relu_, write into self's memory when nothing
  records, rather than computing a new array and copying it in;
- softmax / log_softmax split by slices of the first dim, whole sums (NumPy's pairwise order: split where its
  recursion splits) and float32 sums accumulated in float64 over dim 0 split in halves, on two cores when large.

Every result is compared with PyTorch and with an independent reference: NumPy's own where and pairwise sum (the
order the general path used), IEEE float arithmetic element by element, float64 sums.
"""
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import torchless
from torchless._kernels import parallel, select

ROOT_SRC = str(pathlib.Path(torchless.__file__).resolve().parents[1])


def _bits(array):
    array = np.ascontiguousarray(array)
    return array.view(f"u{array.dtype.itemsize}") if array.dtype.itemsize in (1, 2, 4, 8) else array


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(_bits(a), _bits(b))


def _torch_dtype(torch, dtype):
    return getattr(torch, np.dtype(dtype).name if np.dtype(dtype) != np.bool_ else "bool")


# ---------------------------------------------------------------------------- the select kernel (no torch)
_SIZES = [select.MIN_SIZE - 1, select.MIN_SIZE, select.MIN_SIZE + 1, 3 * select.MIN_SIZE + 17]


def _operands(rng, size, dtype):
    x = (rng.standard_normal(size) * 100).astype(dtype)
    y = (rng.standard_normal(size) * 100).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x[::97] = -0.0
        x[::89] = np.inf
        y[::83] = -np.inf
        # a NaN with a payload: a blend must copy the bits, as NumPy's where does
        words = x.view(f"u{x.itemsize}")
        words[::101] = np.array(np.nan, dtype).view(words.dtype) | 5
    return x, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.int64, np.int16, np.uint8])
@pytest.mark.parametrize("size", _SIZES)
def test_select_where_bits_as_numpy(dtype, size):
    rng = np.random.default_rng(size)
    x, y = _operands(rng, size, dtype)
    conditions = {"random": rng.random(size) < 0.5, "runs": (np.arange(size) // 5000) % 2 == 0,
                  "all": np.ones(size, bool), "none": np.zeros(size, bool)}
    zero, other = np.zeros((), dtype), np.asarray(y[3])
    for name, condition in conditions.items():
        for a, b in ((x, y), (x, zero), (zero, x), (x, other), (other, x)):
            _same_bits(select.where(condition, a, b), np.where(condition, a, b))
    # a C-contiguous 2-d condition, a transposed one (left to NumPy), a broadcast operand (left to NumPy)
    if size % 2 == 0:
        c2 = conditions["random"].reshape(2, -1)
        x2, y2 = x.reshape(2, -1), y.reshape(2, -1)
        _same_bits(select.where(c2, x2, y2), np.where(c2, x2, y2))
        _same_bits(select.where(c2.T, x.reshape(2, -1).T, y.reshape(2, -1).T),
                   np.where(c2.T, x.reshape(2, -1).T, y.reshape(2, -1).T))
        _same_bits(select.where(c2, x.reshape(2, -1), y[: size // 2]), np.where(c2, x.reshape(2, -1), y[: size // 2]))


def test_select_where_condition_bytes_other_than_one():
    """A bool array viewed from bytes: any nonzero byte is true, as for NumPy's where."""
    rng = np.random.default_rng(0)
    size = 2 * select.MIN_SIZE
    condition = rng.integers(0, 256, size, dtype=np.uint8).view(np.bool_)
    x, y = _operands(rng, size, np.float32)
    for a, b in ((x, y), (x, np.zeros((), np.float32)), (np.zeros((), np.float32), y)):
        _same_bits(select.where(condition, a, b), np.where(condition, a, b))


def test_select_where_decides_by_the_condition_changes():
    size = 4 * select.MIN_SIZE
    assert select._changes_often(np.random.default_rng(1).random(size) < 0.5)
    assert not select._changes_often((np.arange(size) // 1000) % 2 == 0)
    assert not select._changes_often(np.ones(size, bool))


# ---------------------------------------------------------------------------- where / masked_fill against PyTorch
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.bool_])
@pytest.mark.parametrize("shape", [(64, 8, 28, 28), (300, 219), (65536,), (65535,), (5, 3), ()])
def test_where_masked_fill_as_torch(dtype, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(shape))
    x = (rng.standard_normal(shape) * 10).astype(dtype)
    y = (rng.standard_normal(shape) * 10).astype(dtype)
    condition = np.asarray(rng.random(shape) < 0.5)
    ours = [torchless.from_numpy(np.array(v)) for v in (condition, x, y)]
    theirs = [torch.from_numpy(np.array(v)) for v in (condition, x, y)]
    for args_ours, args_theirs in (((ours[0], ours[1], ours[2]), (theirs[0], theirs[1], theirs[2])),
                                   ((ours[0], ours[1], 0), (theirs[0], theirs[1], 0)),
                                   ((ours[0], 0, ours[1]), (theirs[0], 0, theirs[1]))):
        if dtype == np.bool_ and any(isinstance(arg, int) for arg in args_ours):
            continue
        got, want = torchless.where(*args_ours), torch.where(*args_theirs)
        _same_bits(got.numpy(), want.numpy())
        assert got.stride() == want.stride()
    if dtype != np.bool_:
        for value in (0, -3):
            got, want = ours[1].masked_fill(ours[0], value), theirs[1].masked_fill(theirs[0], value)
            _same_bits(got.numpy(), want.numpy())
            assert got.dtype == torchless.from_numpy(np.zeros(0, dtype)).dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_where_masked_fill_clamp_gradients_as_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    shape = (16, 8, 30, 30)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    x.flat[::7] = np.nan
    y = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    g.flat[::11] = np.inf
    condition = rng.random(shape) < 0.5
    results = []
    for lib in (torchless, torch):
        a = lib.from_numpy(x.copy()).requires_grad_()
        b = lib.from_numpy(y.copy()).requires_grad_()
        c, grad = lib.from_numpy(condition), lib.from_numpy(g)
        lib.where(c, a, b).backward(grad)
        got = [a.grad.numpy().copy(), b.grad.numpy().copy()]
        a.grad = None
        a.masked_fill(c, -np.inf).backward(grad)
        got.append(a.grad.numpy().copy())
        a.grad = None
        a.clamp(-1, 1).backward(grad)
        got.append(a.grad.numpy().copy())
        results.append(got)
    for ours, theirs in zip(*results):
        _same_bits(ours, theirs)
    # and from first principles: the gradient flows where the condition picks the operand, exactly
    _same_bits(results[0][0], np.where(condition, g, np.zeros((), dtype)))
    _same_bits(results[0][1], np.where(condition, np.zeros((), dtype), g))


# ---------------------------------------------------------------------------- in-place binary ops and relu_
_INPLACE = {"add_": np.add, "sub_": np.subtract, "mul_": np.multiply, "div_": np.true_divide}


@pytest.mark.parametrize("op", sorted(_INPLACE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((64, 32, 28, 28), (64, 32, 28, 28)), ((64, 32, 28, 28), (1, 32, 1, 1)),
                                    ((64, 32, 28, 28), (32, 1, 1)), ((7, 9), (9,)), ((5,), ()), ((), ()),
                                    ((0, 4), (4,))])
def test_inplace_binary_as_torch_and_ieee(op, dtype, shapes):
    torch = pytest.importorskip("torch")
    shape, other_shape = shapes
    rng = np.random.default_rng(len(shape) + 10 * len(other_shape))
    x = np.asarray(rng.standard_normal(shape) * 5, dtype)
    y = np.asarray(rng.standard_normal(other_shape) * 5, dtype)
    if x.size:
        x.flat[::7] = np.inf
        x.flat[::11] = -0.0
    if y.size:
        y.flat[::5] = 0.0
    base = torchless.from_numpy(x.copy())
    view = base.view(shape) if shape else base
    version = base._version
    returned = getattr(view, op)(torchless.from_numpy(y))
    assert returned is view and base._version == version + 1
    expected = torch.from_numpy(x.copy())
    getattr(expected, op)(torch.from_numpy(y))
    _same_bits(base.numpy(), expected.numpy())
    with np.errstate(all="ignore"):  # IEEE arithmetic, element by element
        _same_bits(base.numpy(), _INPLACE[op](x, y).astype(dtype))


@pytest.mark.parametrize("op", sorted(_INPLACE))
def test_inplace_binary_aliasing_and_refusals_as_torch(op):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((300, 400)).astype(np.float32)
    # self as its own operand
    for lib in (torchless, torch):
        t = lib.from_numpy(x.copy())
        getattr(t, op)(t)
        if lib is torchless:
            ours = t.numpy().copy()
    _same_bits(ours, t.numpy())
    # a partly overlapping operand, a shape self cannot take, a leaf requiring grad: PyTorch's errors
    cases = [lambda lib, t: getattr(t[1:], op)(t[:-1]),
             lambda lib, t: getattr(t[:1], op)(t),
             lambda lib, t: getattr(t.requires_grad_(), op)(lib.ones(400))]
    for case in cases:
        errors = []
        for lib in (torchless, torch):
            with pytest.raises(RuntimeError) as error:
                case(lib, lib.from_numpy(x.copy()))
            errors.append(str(error.value).split("\n")[0])
        assert errors[0] == errors[1]
    # under no_grad a leaf requiring grad is written, and a view's base sees it
    for lib in (torchless, torch):
        t = lib.from_numpy(x.copy()).requires_grad_()
        with lib.no_grad():
            getattr(t[2:], op)(lib.full((400,), 2.0))
        if lib is torchless:
            ours = t.detach().numpy().copy()
    _same_bits(ours, t.detach().numpy())


def test_inplace_binary_recorded_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((2, 64, 100)).astype(np.float32)
    results = []
    for lib in (torchless, torch):
        a = lib.from_numpy(x.copy()).requires_grad_()
        b = lib.from_numpy(y.copy()).requires_grad_()
        h = a * 2
        h.mul_(b)
        h.add_(b)
        h.div_(b)
        h.sum().backward()
        results.append((h.detach().numpy().copy(), a.grad.numpy().copy(), b.grad.numpy().copy(), h.grad_fn.name()))
    for ours, theirs in zip(*results):
        if isinstance(ours, str):
            assert ours == theirs
        else:
            _same_bits(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32])
@pytest.mark.parametrize("shape", [(64, 32, 28, 28), (5999,), (6001,), (3, 4), (), (0, 3)])
def test_relu_inplace_as_torch(dtype, shape):
    torch = pytest.importorskip("torch")
    x = np.asarray(np.random.default_rng(5).standard_normal(shape) * 3, dtype)
    if x.size and np.dtype(dtype).kind == "f":
        x.flat[::7] = np.nan
        x.flat[::11] = -0.0
    results = []
    for lib in (torchless, torch):
        flat = lib.from_numpy(x.copy().reshape(-1))
        view = flat.view(shape)
        version = flat._version
        assert view.relu_() is view
        assert flat._version == version + 1
        transposed = lib.from_numpy(x.copy()).permute(tuple(reversed(range(x.ndim)))).relu_()
        functional = lib.nn.functional.relu(lib.from_numpy(x.copy()), inplace=True)
        results.append([flat.numpy().copy(), transposed.numpy().copy(), functional.numpy().copy()])
    for ours, theirs in zip(*results):
        _same_bits(ours, theirs)
    if np.dtype(dtype).kind == "f":  # 0 where x < 0, else x itself (-0.0 and NaN kept)
        _same_bits(results[0][0].reshape(shape), np.where(x < 0, np.zeros((), dtype), x))


def test_relu_inplace_refusals_as_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).standard_normal((100, 100)).astype(np.float32)
    errors = []
    for lib in (torchless, torch):
        with pytest.raises(RuntimeError) as error:
            lib.from_numpy(x.copy()).requires_grad_().relu_()
        errors.append(str(error.value))
    assert errors[0] == errors[1]


# ---------------------------------------------------------------------------- softmax split by rows
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_split_bits_independent_of_threads(function, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    threads = parallel.get_num_threads()
    for shape, dim in (((3000, 785), 1), ((3000, 785), 0), ((40, 16, 30, 30), 1), ((40, 16, 30, 30), -1),
                       ((1, 500000), 1), ((7, 3), 1)):
        x = (rng.standard_normal(shape) * 10).astype(dtype)
        x.flat[::997] = -np.inf
        t = torchless.from_numpy(x)
        try:
            parallel.set_num_threads(2)
            split = getattr(torchless, function)(t, dim).numpy()
            parallel.set_num_threads(1)
            whole = getattr(torchless, function)(t, dim).numpy()
        finally:
            parallel.set_num_threads(threads)
        _same_bits(split, whole)
        want = getattr(torch, function)(torch.from_numpy(x), dim).numpy()
        # x - max rounds to the inputs' scale: softmax's relative error and log_softmax's absolute error scale with it
        finite = x[np.isfinite(x)]
        scale = np.finfo(dtype).eps * (16 + 4 * float(finite.max() - finite.min()))
        atol = scale if function == "log_softmax" else 4 * np.finfo(dtype).tiny  # (subnormal results: absolute)
        np.testing.assert_allclose(split, want, rtol=scale, atol=atol)
        # float64 reference from first principles
        x64 = x.astype(np.float64)
        shifted = x64 - x64.max(axis=dim, keepdims=True)
        reference = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        if function == "softmax":
            reference = np.exp(reference)
        np.testing.assert_allclose(split, reference, rtol=scale, atol=atol)


# ---------------------------------------------------------------------------- whole sums split among the threads
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size, offset", [((1 << 22) - 1, 0), (1 << 22, 1), ((1 << 22) + 14, 0), (5_000_011, 3)])
def test_whole_sum_bits_as_torch_on_one_and_two_threads(dtype, size, offset):
    # (session 39 kept NumPy's pairwise order for whole sums, split in halves; session 42 adds them as ATen does:
    # each thread's range a cascade of four levels, the ranges' sums then added, on the cores at once)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(size)
    # heavy-tailed terms of both signs: the sum's last bits depend on the order (a split elsewhere changes them)
    normal = rng.standard_normal((2, size + offset))
    storage = (np.exp(normal[0] * 6) * np.sign(normal[1])).astype(dtype)
    x = storage[offset:]
    threads, torch_threads = parallel.get_num_threads(), torch.get_num_threads()
    try:
        for count in (2, 1):
            parallel.set_num_threads(count)
            torch.set_num_threads(count)
            t, theirs = torchless.from_numpy(x), torch.from_numpy(x)
            _same_bits(t.sum().numpy(), theirs.sum().numpy())
            _same_bits(t.sum(0, keepdim=True).numpy(), theirs.sum(0, keepdim=True).numpy())
            _same_bits(t.mean().numpy(), theirs.mean().numpy())
    finally:
        parallel.set_num_threads(threads)
        torch.set_num_threads(torch_threads)
    # and near the exact sum (the cascade's error bound: a few eps of the terms' magnitudes per level)
    exact = math.fsum(x.astype(np.float64))
    ours = float(torchless.from_numpy(x).sum())
    assert abs(ours - exact) <= 8 * float(np.abs(x.astype(np.float64)).sum()) * np.finfo(dtype).eps


@pytest.mark.parametrize("shape, dims", [((64, 32, 28, 28), (0, 2, 3)), ((64, 32, 28, 28), None),
                                         ((10000, 784), None), ((10000, 784), (0,)), ((3, 400000), (0, 1)),
                                         ((1001, 3, 400), (0, 2)), ((3001, 3, 400), (0, 2))])
def test_float64_accumulated_sums_as_torch_and_independent_of_threads(shape, dims):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(shape) + (0 if dims is None else len(dims)))
    x = (rng.standard_normal(shape) * 20 + 0.5).astype(np.float32)
    reference = x.astype(np.float64).mean(axis=dims)
    threads = parallel.get_num_threads()
    results = []
    try:
        for count in (2, 1):
            parallel.set_num_threads(count)
            t = torchless.from_numpy(x)
            results.append(t.mean() if dims is None else t.mean(dims))
    finally:
        parallel.set_num_threads(threads)
    _same_bits(results[0].numpy(), results[1].numpy())
    want = (torch.from_numpy(x).mean() if dims is None else torch.from_numpy(x).mean(dims)).numpy()
    ours = results[0].numpy()
    assert ours.shape == want.shape and ours.dtype == want.dtype
    # a float64 sum rounded to float32, then divided in float32: within an ulp of PyTorch's float32 cascade's error
    assert np.all(np.abs(ours - reference) <= np.abs(want - reference) + np.abs(reference) * 2 ** -23)


def test_split_sum_quiet_on_overflow_and_nan():
    """Sums of large finite floats overflowing to inf and of infinities of both signs give inf and NaN silently, as
    PyTorch's do, on the shard threads too."""
    code = (
        "import warnings, numpy as np, torchless as t\n"
        "warnings.simplefilter('error')\n"
        "print(t.full((2_000_000,), 3e38).sum().item())\n"
        "x = t.zeros(2_000_000); x[5] = float('inf'); x[1_999_000] = float('-inf')\n"
        "print(x.sum().item(), x.mean().item(), t.full((64, 32, 28, 28), 3e38).mean((0, 2, 3))[0].item())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": ROOT_SRC, "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["inf", "nan", "nan", "inf"]  # (PyTorch's, float32 sums overflowing)
