"""Differences from PyTorch found by a differential fuzz audit of the tensor ops CNN code uses, each compared with torch.

* reductions: ``dim=()`` (or ``[]``) reduces over every dim in sum, mean, std, var, nansum, nanmean, var_mean,
  std_mean, count_nonzero and norm, as PyTorch's legacy reading of an empty dim list;
* cat and friends: non-tensor elements, concat's and concatenate's names, hstack/vstack of one tensor and of none;
* expand's -1 in a new leading dim and other negative sizes; unbind of a 0-d tensor; mT/mH of 1-D and 0-D tensors;
* masked_fill's order of checks, the C++ dtype names of its mask error and its value tensor's rank; take's and
  index_select's index checks; scatter_add's dtype errors (named scatter, as in PyTorch).
"""
import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome

torch = pytest.importorskip("torch")


def _values(lib, dtype="float32", shape=(2, 3, 4)):
    data = (np.arange(int(np.prod(shape))) % 5 - 2).reshape(shape)
    return lib.tensor(data.tolist(), dtype=getattr(lib, dtype))


# ---------------------------------------------------------------------------- reductions over dim=()
@pytest.mark.parametrize("shape", [(2, 3, 4), (0, 3)])
@pytest.mark.parametrize("dim", [(), []])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "std", "var", "nansum", "nanmean", "norm"])
def test_an_empty_dim_list_reduces_every_dim(name, dim, keepdim, shape):
    def call(lib):
        x = _values(lib, shape=shape)
        return x.norm(dim=dim, keepdim=keepdim) if name == "norm" else getattr(x, name)(dim, keepdim)
    assert_same_outcome(call)


@pytest.mark.parametrize("dtype", ["int64", "bool", "uint8"])
def test_an_empty_dim_list_sums_every_dim_of_integers(dtype):
    assert_same_outcome(lambda lib: _values(lib, dtype).sum(()))
    assert_same_outcome(lambda lib: _values(lib, dtype).sum((), dtype=lib.float64))
    assert_same_outcome(lambda lib: _values(lib, dtype).count_nonzero(()))


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
def test_var_mean_and_std_mean_over_an_empty_dim_list(name):
    assert_same_outcome(lambda lib: getattr(lib, name)(_values(lib), dim=()))


# ---------------------------------------------------------------------------- cat, hstack, vstack
_JOINING_CASES = [(name, case) for name in ["cat", "concat", "concatenate", "stack", "hstack", "vstack"]
                  for case in ["list_element", "int_element"]]
_JOINING_CASES += [("concat", "tensor"), ("concatenate", "tensor"), ("hstack", "tensor"), ("vstack", "tensor"),
                   ("hstack", "empty"), ("vstack", "empty"),
                   ("hstack", "single"), ("vstack", "single")]


@pytest.mark.parametrize("name, case", _JOINING_CASES)
def test_joining_checks_its_list(name, case):
    def call(lib):
        x = _values(lib, shape=(2, 3))
        tensors = {"single": [x], "empty": [], "list_element": [x, [1, 2]], "int_element": [x, 1], "tensor": x}[case]
        return getattr(lib, name)(tensors)
    assert_same_outcome(call)


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_atleast_of_a_one_tensor_list_is_a_tuple(shape):
    for name in ("atleast_1d", "atleast_2d"):
        expected = getattr(torch, name)([torch.ones(shape)])
        actual = getattr(torchless, name)([torchless.ones(shape)])
        assert type(actual) is type(expected) and len(actual) == len(expected)
        assert tuple(actual[0].shape) == tuple(expected[0].shape)


# ---------------------------------------------------------------------------- shape ops
@pytest.mark.parametrize("shape, sizes", [((3,), (-1, 3)), ((3,), (2, -1, 3)), ((3,), (-1, -1)), ((2, 3), (-1, 2, 3)),
                                          ((1, 3), (-2, 3)), ((2, 1), (2, -3)), ((), (-1,)), ((), (2, -1))])
def test_expand_negative_sizes(shape, sizes):
    assert_same_outcome(lambda lib: lib.zeros(shape).expand(*sizes))


@pytest.mark.parametrize("dim", [0, -1])
def test_unbind_of_a_0d_tensor(dim):
    assert_same_outcome(lambda lib: lib.tensor(3.0).unbind(dim))
    assert_same_outcome(lambda lib: lib.unbind(lib.tensor(3.0), dim))


@pytest.mark.parametrize("name", ["mT", "mH"])
@pytest.mark.parametrize("shape", [(), (3,)])
def test_matrix_transposes_by_rank(name, shape):
    assert_same_outcome(lambda lib: getattr(lib.arange(float(np.prod(shape))).reshape(shape), name))


# ---------------------------------------------------------------------------- indexing
_MASKS = [(dtype, shape) for dtype in ["uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
          for shape in [(3, 4), (1, 4), (2, 4), (5,)]] + [("bool", (2, 4)), ("bool", (5,))]


@pytest.mark.parametrize("mask_dtype, mask_shape", _MASKS)
def test_masked_fill_checks_shapes_then_mask_dtype(mask_dtype, mask_shape):
    assert_same_outcome(lambda lib: lib.arange(12.0).reshape(3, 4).masked_fill(
        lib.ones(mask_shape, dtype=getattr(lib, mask_dtype)), -1.0))


@pytest.mark.parametrize("value_shape", [(1,), (1, 1)])
def test_masked_fill_takes_only_a_0d_value_tensor(value_shape):
    assert_same_outcome(lambda lib: lib.arange(12.0).reshape(3, 4).masked_fill(
        lib.arange(12.0).reshape(3, 4) > 3, lib.full(value_shape, 2.0)))


@pytest.mark.parametrize("dtype", ["int32", "int16", "uint8", "float32", "bool"])
def test_take_wants_an_int64_index(dtype):
    data = [True] if dtype == "bool" else [0, 11]
    assert_same_outcome(lambda lib: lib.arange(12.0).reshape(3, 4).take(lib.tensor(data, dtype=getattr(lib, dtype))))


@pytest.mark.parametrize("dtype", ["float32", "bool", "uint8"])
def test_index_select_checks_the_dim_before_the_index_dtype(dtype):
    assert_same_outcome(lambda lib: lib.arange(12.0).reshape(3, 4).index_select(
        2, lib.tensor([0, 1], dtype=getattr(lib, dtype))))


def test_scatter_add_dtype_errors_name_scatter():
    assert_same_outcome(lambda lib: lib.arange(12.0).reshape(3, 4).scatter_add(
        0, lib.tensor([[0.0, 1.0]]), lib.ones(3, 4)))
    assert_same_outcome(lambda lib: lib.arange(12.0).reshape(3, 4).scatter_add(
        0, lib.zeros(1, 2, dtype=lib.int64), lib.ones(1, 2, dtype=lib.float64)))


@pytest.mark.parametrize("bounds", [(float("inf"),), (float("-inf"), 5), (0, float("inf")), (0.5, float("inf"), 2),
                                    (float("nan"), 3), (1e10, float("inf")), (0, float("inf"), -1),
                                    (0, 5, float("nan")), (0, 5, float("inf")), (5, 0, float("-inf")),
                                    (0, 5, float("-inf"))])
@pytest.mark.parametrize("dtype", [None, "float64", "int64", "int32", "uint8"])
def test_arange_with_infinite_or_nan_bounds_and_steps(bounds, dtype):
    """PyTorch refuses non-finite bounds ("unsupported range"), counts no values for an infinite float step and
    overflows an integer one, and takes a NaN step for a zero one (NumPy's errors leaked before)."""
    assert_same_outcome(lambda lib: lib.arange(*bounds, **({} if dtype is None else {"dtype": getattr(lib, dtype)})))
