"""Differences from PyTorch found by a seventh differential fuzz of errors and edge cases of the Tensor API and the
training API (creation, shape ops, indexing, arithmetic and autograd, reductions, nn.Module, optim, lr_scheduler,
data), each compared with torch (exception type and message, or the result):

* a list key of ``t[key]`` is read as PyTorch reads it: as a tuple of indices when it holds a tensor, a sequence,
  a slice, Ellipsis or None (with PyTorch's deprecation warning), otherwise as an index tensor made as PyTorch's
  indexing_tensor_from_data makes it (floats truncated to int64, an empty list an empty int64 index);
  ``del t[i]`` is PyTorch's TypeError;
* Tensor.scatter / scatter_ take the legacy ``reduce='add' | 'multiply'`` (no derivative, as in PyTorch, whose
  NotImplemented node is named ``torch::autograd::NotImplemented``);
* Tensor.flip takes its dims as separate arguments (``x.flip(0, 1)``) and refuses a repeated dim;
  torchless.flip parses its arguments first (``torchless.flip(x, 0)`` fails as in PyTorch); torchless.reshape
  counts the input in its TypeError's positions.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome as _assert_same_outcome

torch = pytest.importorskip("torch")


def assert_same_outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same_outcome(fn, rtol=1e-5, atol=1e-6)


def _grid(lib, *shape, dtype="float32"):
    return lib.arange(float(np.prod(shape))).reshape(shape).to(getattr(lib, dtype))


# ---------------------------------------------------------------------------- indexing with lists
_LIST_KEYS = [
    lambda lib: [lib.tensor(0), lib.tensor(1)], lambda lib: [1.7], lambda lib: [[True, False, True]],
    lambda lib: (0, [1.9, 0.2]), lambda lib: [0, [1, 2]], lambda lib: [1, None], lambda lib: [np.array(1), 0],
    lambda lib: [slice(None), 0], lambda lib: [Ellipsis, 1], lambda lib: [], lambda lib: [True, 1],
    lambda lib: [[0, 1], [2, 3]], lambda lib: ["ab"],
]


@pytest.mark.parametrize("key", _LIST_KEYS)
def test_list_keys_read_as_pytorch_reads_them(key):
    assert_same_outcome(lambda lib: _grid(lib, 3, 4)[key(lib)])

    def write(lib):
        x = _grid(lib, 3, 4)
        x[key(lib)] = -1.0
        return x
    assert_same_outcome(write)


@pytest.mark.parametrize("key", [lambda lib: [0, [1, 2]], lambda lib: [1, None], lambda lib: [lib.tensor(1)]])
def test_list_keys_read_as_tuples_warn_as_pytorch(key):
    def warned(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _grid(lib, 3, 4)[key(lib)]
        return [str(w.message) for w in caught]
    assert warned(torchless) == warned(torch)


def test_deleting_an_item_is_a_type_error():
    def delete(lib):
        del _grid(lib, 3)[0]
    assert_same_outcome(delete)


# ---------------------------------------------------------------------------- scatter's legacy reduce
@pytest.mark.parametrize("reduce", ["add", "multiply", "max", 3])
@pytest.mark.parametrize("src", ["tensor", "number"])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_scatter_with_reduce(reduce, src, dtype):
    def call(lib):
        x = _grid(lib, 4, 2, dtype=dtype)
        index = lib.tensor([[0], [1], [0]])
        source = lib.full((3, 1), 2).to(x.dtype) if src == "tensor" else 3
        out = x.scatter(1, index, source, reduce=reduce)
        x.scatter_(1, index, source, reduce=reduce)
        return out, x
    assert_same_outcome(call)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_with_reduce_has_no_derivative(reduce):
    def call(lib):
        x = _grid(lib, 4, 2).requires_grad_()
        out = x.scatter(1, lib.tensor([[0], [1], [0]]), lib.full((3, 1), 2.0), reduce=reduce)
        assert out.requires_grad and out.grad_fn.name() == "torch::autograd::NotImplemented"
        out.sum().backward()
    assert_same_outcome(call)


# ---------------------------------------------------------------------------- flip, reshape
_FLIPS = [
    lambda lib, x: x.flip(0, 1), lambda lib, x: x.flip(0), lambda lib, x: x.flip((0, 1)), lambda lib, x: x.flip([1]),
    lambda lib, x: x.flip(), lambda lib, x: x.flip(0, 0), lambda lib, x: lib.flip(x, 0),
    lambda lib, x: lib.flip(x, (0,)), lambda lib, x: lib.flip(x, [0, 0]), lambda lib, x: x.flip(dims=1),
    lambda lib, x: x.flip(1.0), lambda lib, x: x.flip(0, 2), lambda lib, x: x.flip(dims=(0, 1)),
    lambda lib, x: x.flip((0, 1.0)), lambda lib, x: x.flip([]), lambda lib, x: lib.flip(x, dims=[1]),
    lambda lib, x: lib.flip(x, 1.0), lambda lib, x: x.flip(lib.tensor(1)),
]


@pytest.mark.parametrize("call", _FLIPS)
def test_flip_arguments(call):
    assert_same_outcome(lambda lib: call(lib, _grid(lib, 2, 3)))


@pytest.mark.parametrize("shape", [(2.0, 12), ("a",), ([2, 12],), (None,)])
def test_reshape_function_counts_the_input_in_positions(shape):
    assert_same_outcome(lambda lib: lib.reshape(_grid(lib, 2, 3, 4), shape))
