"""Differences from PyTorch 2.13 found by a differential audit of tensor creation and in-place Tensor methods,
each compared with torch.

* dtype inference of ``tensor``/``as_tensor``: NumPy scalars, arrays and 0-d tensors inside a list kept NumPy's
  value-based promotion or became int64/float32, where PyTorch promotes their own dtypes (``[np.float16(1), 2]``
  is float16, ``[np.int8(1), np.uint8(2)]`` int16, ``[np.uint8(1), np.uint8(2)]`` uint8);
* storing values: ``[np.bool_(True), 1]`` (a NumPy bool into an int tensor), a float tensor into an int tensor,
  a 0-d array as a first element ("len() of unsized object"), ``["a"]`` ("too many dimensions 'str'"), bytes
  ("new(): invalid data type 'bytes'"), ``[[], [1]]`` (shape (2, 0): PyTorch reads no further than the first
  empty sequence), ``[[1, 2], tensor([3., 4])]`` (taken), ``[tensor([1, 2]), 3]`` (PyTorch's index TypeError)
  all differed;
* ``tensor(1, torch.float32)`` was taken (PyTorch: "takes 1 positional argument"); ``dtype=np.float32`` or
  ``"float32"`` were taken by every factory (PyTorch: "argument 'dtype' must be torch.dtype, not type", or its
  overload listing for rand/arange/linspace/eye/randint/randperm); ``dtype=float`` gave float32 (PyTorch:
  float64);
* arrays not in the machine's byte order were refused with a dtype TypeError (or converted with a dtype);
  ``from_numpy(np.float32(1))`` named the type "float32"; ``from_numpy`` of a read-only array neither warned nor
  could be written through; ``tensor(t)``/``t.new_tensor(t)`` did not warn to use clone().detach();
* ``masked_fill_``/``index_fill_`` on an expanded tensor raised the memory-overlap RuntimeError (PyTorch fills it
  with a deprecation warning), and ``zero_``/``fill_``/``masked_fill_`` of an expanded view of a tensor in the
  graph too (PyTorch computes it, and refuses only the backward through it);
* ``clamp_min_``, ``clamp_max_`` and ``nan_to_num_`` were missing.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_outcome, finite_difference_check, outcome

torch = pytest.importorskip("torch")


def _same(call, env=None):
    def run(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(call, {"lib": lib, "np": np, **(env(lib) if env else {})})
    assert_same_outcome(run)


_CREATION = [
    "lib.tensor([np.float16(1), 2])", "lib.tensor([lib.tensor(1., dtype=lib.float16), 2])",
    "lib.tensor([np.float16(1), 2.5])", "lib.tensor([np.float16(1), True])",
    "lib.tensor([np.int8(1), np.uint8(2)])", "lib.tensor([np.int8(1), np.int16(2)])",
    "lib.tensor([np.int32(1), np.uint8(2)])", "lib.tensor([np.uint8(1), np.uint8(2)])", "lib.tensor([np.int8(1), True])",
    "lib.tensor([lib.tensor(1, dtype=lib.uint8), lib.tensor(2, dtype=lib.int8)])",
    "lib.tensor([[np.int8(1)], np.array([1], dtype=np.uint8)])",
    "lib.tensor([np.array([1, 2], dtype=np.float16), [1, 2]])", "lib.tensor([np.float32(1), np.float64(2)])",
    "lib.tensor([np.bool_(True), 1])", "lib.tensor([1, np.bool_(True)])", "lib.tensor([np.bool_(True), True])",
    "lib.tensor([np.bool_(True), 1.5])", "lib.tensor([np.float32(1.5)], dtype=lib.int64)",
    "lib.tensor([1.5], dtype=lib.int64)", "lib.tensor([np.float32(1.5)], dtype=lib.bool)",
    "lib.tensor([np.array(1.5), 2])", "lib.tensor([2, np.array(1.5)])", "lib.tensor([np.array([1.5]), 2])",
    "lib.tensor([2, np.array([1.5])])", "lib.tensor([2, np.array(1.5, dtype=np.float32)], dtype=lib.int64)",
    "lib.tensor(['a'])", "lib.tensor(['ab'])", "lib.tensor([1, 'a'])", "lib.tensor('a')",
    "lib.tensor(b'ab')", "lib.tensor([b'ab'])", "lib.tensor(bytearray(b'ab'))",
    "lib.tensor([[], [1]])", "lib.tensor([[], [1]], dtype=lib.int64)", "lib.tensor([[], 1])",
    "lib.tensor([[1], []])", "lib.tensor([[], None])", "lib.tensor([[1], [None]])", "lib.tensor([[1, 2], 3])",
    "lib.tensor([1, [2]])", "lib.tensor([1., [2]])",
    "lib.tensor([lib.tensor([1, 2]), lib.tensor([3, 4])])", "lib.tensor([lib.tensor([1, 2]), 3])",
    "lib.tensor([lib.tensor([1., 2]), 3.])", "lib.tensor([[1, 2], lib.tensor([3., 4])])",
    "lib.tensor([lib.tensor(1.5)], dtype=lib.int64)", "lib.tensor([[lib.tensor(1.5)], [2]])",
    "lib.tensor([10**20])", "lib.tensor([10**20, 1.5])", "lib.tensor([-1], dtype=lib.uint8)",
    "lib.tensor(1, 2)", "lib.tensor(1, lib.float32)", "lib.as_tensor(1, lib.float32)",
    "lib.tensor(1, dtype=np.float32)", "lib.tensor(1, dtype='float32')", "lib.as_tensor(1, dtype=np.float32)",
    "lib.tensor(1, dtype=float)", "lib.tensor(1.5, dtype=int)", "lib.tensor(1, dtype=bool)",
    "lib.as_tensor([1], dtype=float)", "lib.zeros(2, dtype=float)", "lib.zeros(2, dtype=np.float32)",
    "lib.ones(1, dtype='float32')", "lib.full((2,), 1, dtype=float)", "lib.arange(3, dtype=float)",
    "lib.zeros_like(lib.zeros(1), dtype=float)", "lib.eye(2, dtype=float)", "lib.linspace(0, 1, 3, dtype=float)",
    "lib.randint(3, (2,), dtype=float).dtype == lib.float64", "lib.rand(1, dtype=np.float32)",
    "lib.arange(3, dtype=np.float32)", "lib.linspace(0, 1, 3, dtype=np.float32)", "lib.eye(2, dtype=np.int64)",
    "lib.randperm(3, dtype=np.int64)", "lib.randint(3, (2,), dtype=np.int64)",
    "lib.tensor(np.arange(3, dtype='>f4'))", "lib.tensor(np.arange(3, dtype='>f4'), dtype=lib.float64)",
    "lib.as_tensor(np.arange(3, dtype='>i8'))", "lib.from_numpy(np.arange(3, dtype='>f4'))",
    "lib.tensor([np.array([1.5], dtype='>f8')])", "lib.from_numpy(np.float32(1))", "lib.from_numpy([1.0])",
]


@pytest.mark.parametrize("call", _CREATION)
def test_creation(call):
    def run(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = eval(call, {"lib": lib, "np": np})
        return out if isinstance(out, lib.Tensor) else lib.tensor(out)
    assert_same_outcome(run)


def test_nesting_deeper_than_pytorch_allows():
    for depth in (64, 129):  # (NumPy holds no more than 64 dims, PyTorch 128)
        data = 1
        for _ in range(depth):
            data = [data]
        assert_same_outcome(lambda lib, data=data: lib.tensor(data).reshape(-1))


def test_from_numpy_of_a_read_only_array_warns_once_and_writes_through():
    from torchless import _creation

    _creation.from_data._warned_read_only = False
    array = np.arange(6.).reshape(2, 3)
    array.flags.writeable = False
    with pytest.warns(UserWarning, match="^The given NumPy array is not writable, and PyTorch does not support"):
        t = torchless.from_numpy(array)
    t[0, 1] = 5
    t.add_(1)
    assert array.tolist() == [[1, 6, 3], [4, 5, 6]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torchless.from_numpy(array)  # once only, as PyTorch's


@pytest.mark.parametrize("call, caller", [("lib.tensor(x)", "lib.tensor"), ("x.new_tensor(x)", "tensor.new_tensor")])
def test_copy_constructing_from_a_tensor_warns(call, caller):
    caught = {}
    for lib in (torch, torchless):
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            eval(call, {"lib": lib, "x": lib.ones(2)})
        caught[lib] = [str(r.message) for r in records]
    assert caught[torchless] == [m.replace("torch.tensor(", "torchless.tensor(") for m in caught[torch]]
    assert caught[torchless] and caller.replace("lib", "torchless") in caught[torchless][0]


# ---------------------------------------------------------------------------- fills of expanded tensors
def _expanded(lib):
    return {"t": lib.zeros(1, 4).expand(3, 4), "m": lib.tensor([True, False, True, False]),
            "leaf": lib.ones(4, requires_grad=True)}


_EXPANDED = [
    "t.masked_fill_(m, 2.0)", "t.masked_fill_(m, lib.tensor(2.0))", "t.index_fill_(1, lib.tensor([0, 2]), 5.0)",
    "t.add_(1)", "leaf.clone().expand(3, 4).zero_()", "leaf.clone().expand(3, 4).fill_(2.0)",
    "leaf.clone().expand(3, 4).masked_fill_(m, 2.0)", "leaf.clone().expand(3, 4).mul_(2.0)",
    "(lambda c: (c.expand(3, 4).zero_(), c)[1])(leaf.clone())",
    "(lambda c: (c.expand(3, 4).masked_fill_(m, 2.), c)[1])(leaf.clone())",
    "(lambda c: (c.expand(3, 4).zero_(), c.sum().backward(), leaf.grad)[2])(leaf.clone())",
    "(lambda c: (c.expand(3, 4).masked_fill_(m, 2.), (c * 3).sum().backward(), leaf.grad)[2])(leaf.clone())",
]


@pytest.mark.parametrize("call", _EXPANDED)
def test_fills_of_an_expanded_tensor(call):
    _same(call, _expanded)


@pytest.mark.parametrize("op, args", [("masked_fill_", "m, 2.0"), ("index_fill_", "1, lib.tensor([0, 2]), 5.0")])
def test_fills_of_an_expanded_tensor_warn_as_pytorch(op, args):
    caught = {}
    for lib in (torch, torchless):
        env = _expanded(lib)
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            eval(f"t.{op}({args})", {"lib": lib, **env})
        caught[lib] = [str(r.message).split(" (Triggered internally")[0] for r in records]
    assert caught[torchless] == caught[torch] and caught[torch]


# ---------------------------------------------------------------------------- in-place clamp_min_, clamp_max_, nan_to_num_
def _values(lib):
    return {"x": lib.tensor([[1.5, -2.0, float("nan")], [float("inf"), 0.0, 3.0]]),
            "i": lib.tensor([[1, 2, 3], [4, 5, 6]]), "leaf": lib.tensor([1.0, -2.0, 3.0], requires_grad=True)}


_INPLACE = [
    "x.clone().clamp_min_(0.5)", "x.clone().clamp_max_(0.5)", "i.clone().clamp_min_(2)", "i.clone().clamp_max_(2.5)",
    "x.clone().clamp_min_(x[0])", "x.clone().clamp_min_(None)", "leaf.clamp_min_(0.0)",
    "(lambda c: (c.clamp_min_(0.0).sum().backward(), leaf.grad)[1])(leaf * 2)",
    "(lambda c: (c.clamp_max_(0.0).sum().backward(), leaf.grad)[1])(leaf * 2)",
    "x.clone().nan_to_num_()", "x.clone().nan_to_num_(1.0, 2.0, -2.0)", "i.clone().nan_to_num_()",
    "(lambda c: (c.nan_to_num_().sum().backward(), leaf.grad)[1])(leaf * 2)",
]


@pytest.mark.parametrize("call", _INPLACE)
def test_in_place_clamp_and_nan_to_num(call):
    _same(call, _values)


@pytest.mark.parametrize("op", ["clamp_min_(0.1)", "clamp_max_(0.1)", "nan_to_num_()"])
def test_in_place_gradients_by_finite_differences(op):
    def fn(x):
        y = x * 1.5
        eval(f"y.{op}")
        return (y * y).sum()

    array = np.random.default_rng(0).normal(size=(3, 4))
    finite_difference_check(fn, [array])



# ---------------------------------------------------------------------------- select, logspace, to(python type)
@pytest.mark.parametrize("args", [(0, 1), (1, -1), (0, 5), (0, -4), (2, 0), (-3, 0), (0, 1.0)])
def test_select_matches_torch(args):
    def run(lib):
        x = lib.arange(12.0).reshape(3, 4).requires_grad_()
        y = x.select(*args)
        (y * lib.arange(1.0, y.numel() + 1)).sum().backward()
        return y, x.grad, lib.select(x, *args), y.grad_fn.name()

    theirs, ours = outcome(lambda: run(torch)), outcome(lambda: run(torchless))
    if isinstance(theirs, Raised):
        assert ours == (theirs.type, theirs.message), ours
        return
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert ours[3] == theirs[3]


def test_select_of_a_0d_tensor_matches_torch():
    assert outcome(lambda: torchless.tensor(1.0).select(0, 0)) == outcome(lambda: torch.tensor(1.0).select(0, 0))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8"])
def test_logspace_matches_torch_bit_for_bit(dtype):
    rng = np.random.default_rng(5)
    for case in range(60):
        start, end = rng.uniform(-3, 3, 2)
        if case % 3 == 0:
            start, end = int(abs(start) * 2), int(abs(end) * 2)
        steps, base = int(rng.integers(0, 12)), float(rng.choice([10.0, 2.0, 2.5, 0.5, 3.3, -2.0]))
        theirs = outcome(lambda: torch.logspace(start, end, steps, base=base, dtype=getattr(torch, dtype)).numpy())
        ours = outcome(lambda: torchless.logspace(start, end, steps, base=base, dtype=getattr(torchless, dtype)).numpy())
        if isinstance(theirs, Raised):
            assert ours == theirs, (start, end, steps, base)
        else:
            np.testing.assert_array_equal(ours, theirs, err_msg=str((start, end, steps, base)))


def test_logspace_default_dtype_and_values():
    np.testing.assert_array_equal(torchless.logspace(0, 2, 3).numpy(), np.array([1, 10, 100], np.float32))
    assert torchless.logspace(0, 1, 2, base=2).dtype == torchless.float32


@pytest.mark.parametrize("python_type", [float, int, bool])
def test_to_python_type_matches_torch(python_type):
    assert torchless.zeros(2).to(python_type).dtype.name == str(torch.zeros(2).to(python_type).dtype).split(".")[1]
    assert torchless.zeros(2).to(dtype=python_type).dtype.name == str(torch.zeros(2).to(dtype=python_type).dtype).split(".")[1]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_float_linspace_matches_torch_bit_for_bit(dtype):
    rng = np.random.default_rng(3)
    for case in range(200):
        start, end = rng.uniform(-5, 5, 2)
        if case % 2:
            start, end = round(start, 1), round(end, 1)
        steps = int(rng.integers(0, 40))
        np.testing.assert_array_equal(
            torchless.linspace(start, end, steps, dtype=getattr(torchless, dtype)).numpy(),
            torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy(), err_msg=str((start, end, steps)))


@pytest.mark.parametrize("kwargs", [dict(p="fro", dim=[1, 2, 3]), dict(p="nuc", dim=[1]), dict(p="fro", dim=[1, 2]),
                                    dict(p="nuc", dim=[2, 3]), dict(p=None, dim=1), dict(p="fro"),
                                    dict(p=2, dim=1, dtype="float64"), dict(p="nuc")])
def test_tensor_norm_string_orders_go_through_matrix_norm_as_torchs(kwargs):
    def run(lib):
        options = dict(kwargs)
        if "dtype" in options:
            options["dtype"] = getattr(lib, options["dtype"])
        x = lib.arange(24.0).reshape(3, 2, 2, 2) if kwargs.get("dim") or kwargs["p"] != "nuc" else lib.ones(5, 6)
        return x.norm(**options)

    assert_same_outcome(run)
