"""Argument checking compared with PyTorch: the exception type and message of a call given an argument of the
wrong type or out of range (session 17).

* a Tensor[] argument's errors name the type as PyTorch's parser does (``numpy.ndarray``, not ``ndarray``), for
  cat/stack/... and for the functions taking tensors as separate arguments (block_diag, meshgrid, atleast_1d...);
"""
import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_error, assert_same_outcome, outcome

torch = pytest.importorskip("torch")


def _both(fn):
    """fn(torch) and fn(torchless), as the pair assert_same_error compares."""
    return (lambda: fn(torch)), (lambda: fn(torchless))


_NOT_TENSORS = {
    "ndarray": lambda lib: np.ones((2, 3), np.float32),
    "int": lambda lib: 1,
    "None": lambda lib: None,
    "list": lambda lib: [lib.ones(2)],
    "float64": lambda lib: np.float64(1.0),
}


@pytest.mark.parametrize("name", ["cat", "stack", "hstack", "vstack", "dstack", "column_stack", "row_stack",
                                  "concat", "concatenate"])
@pytest.mark.parametrize("bad", sorted(_NOT_TENSORS))
def test_a_tensor_list_names_a_wrong_element_or_argument_as_the_parser_does(name, bad):
    assert_same_error(*_both(lambda lib: getattr(lib, name)([lib.ones(2, 3), _NOT_TENSORS[bad](lib)])))
    if bad != "list":  # (a list of tensors is the argument itself)
        assert_same_error(*_both(lambda lib: getattr(lib, name)(_NOT_TENSORS[bad](lib))))


@pytest.mark.parametrize("name", ["block_diag", "broadcast_tensors", "meshgrid", "cartesian_prod", "atleast_1d",
                                  "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("bad", sorted(_NOT_TENSORS))
def test_tensors_given_as_separate_arguments_are_checked_as_a_tensor_list(name, bad):
    assert_same_error(*_both(lambda lib: getattr(lib, name)(lib.ones(3), _NOT_TENSORS[bad](lib))))
    assert_same_error(*_both(lambda lib: getattr(lib, name)(_NOT_TENSORS[bad](lib), lib.ones(3))))


@pytest.mark.parametrize("name", ["meshgrid", "atleast_1d", "atleast_2d", "atleast_3d"])
def test_a_lone_list_of_tensors_is_unpacked_before_its_elements_are_checked(name):
    assert_same_error(*_both(lambda lib: getattr(lib, name)([lib.ones(3), np.ones(3)])))


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast_of_one_non_tensor_lists_both_overloads(name):
    assert_same_error(*_both(lambda lib: getattr(lib, name)(np.ones(3))))
    assert_same_error(*_both(lambda lib: getattr(lib, name)(1.5)))


def test_other_parser_type_names_are_qualified_as_pytorch_prints_them():
    x = np.ones(3)
    assert_same_error(*_both(lambda lib: lib.einsum("i,i->", lib.ones(3), x)))
    assert_same_error(*_both(lambda lib: lib.einsum(x, lib.ones(3))))
    assert_same_error(*_both(lambda lib: lib.cdist(x, lib.ones(2, 3))))
    assert_same_error(*_both(lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3), np.array(2.0))))
    assert_same_error(*_both(lambda lib: lib.set_grad_enabled(np.bool_(True))))
    assert_same_error(*_both(lambda lib: lib.use_deterministic_algorithms(np.int64(1))))
    assert_same_error(*_both(lambda lib: lib.add(lib.ones(2), 1, out=x)))
    assert_same_error(*_both(lambda lib: lib.linalg.vector_norm(lib.ones(2), x)))
    assert_same_error(*_both(lambda lib: lib.zeros(2, dtype=np.float32)))
    assert_same_error(*_both(lambda lib: lib.ones(2).index_put_((lib.tensor([0]), x), lib.tensor(1.0))))


# ---------------------------------------------------------------------------- bool arguments
# PyTorch's parser takes a Python bool only where a bool is expected: NumPy's bools and ints (0 and 1 too), None,
# 0-d tensors and strings are refused, with "must be bool" or, for ops of several overloads, "invalid combination"
_NOT_BOOLS = {
    "np.bool_": lambda lib: np.bool_(True),
    "int": lambda lib: 1,
    "zero": lambda lib: 0,
    "np.int64": lambda lib: np.int64(1),
    "None": lambda lib: None,
    "bool tensor": lambda lib: lib.tensor(True),
    "str": lambda lib: "a",
}
_BOOL_ARGUMENT_CALLS = {
    "unique sorted": lambda lib, x, v: lib.unique(x, sorted=v),
    "unique return_inverse": lambda lib, x, v: x.unique(return_inverse=v),
    "unique dim return_counts": lambda lib, x, v: lib.unique(x, dim=0, return_counts=v),
    "unique_consecutive return_counts": lambda lib, x, v: lib.unique_consecutive(x, return_counts=v),
    "unique_consecutive positional": lambda lib, x, v: lib.unique_consecutive(x, v),
    "index_put_ accumulate": lambda lib, x, v: x.index_put_((lib.tensor([0]),), lib.tensor(1.0), accumulate=v),
    "index_put_ positional": lambda lib, x, v: x.index_put_((lib.tensor([0]),), lib.tensor(1.0), v),
    "index_put function": lambda lib, x, v: lib.index_put(x, (lib.tensor([0]),), lib.tensor(1.0), v),
    "nonzero as_tuple": lambda lib, x, v: lib.nonzero(x, as_tuple=v),
    "method nonzero as_tuple": lambda lib, x, v: x.nonzero(as_tuple=v),
    "to copy": lambda lib, x, v: x.to(lib.float64, copy=v),
    "to non_blocking": lambda lib, x, v: x.to("cpu", non_blocking=v),
    "to positional flag": lambda lib, x, v: x.to(lib.float64, v),
    "searchsorted right": lambda lib, x, v: lib.searchsorted(lib.tensor([1.0, 2.0]), x, right=v),
    "searchsorted out_int32": lambda lib, x, v: lib.searchsorted(lib.tensor([1.0, 2.0]), 1.5, out_int32=v),
    "bucketize right": lambda lib, x, v: lib.bucketize(x, lib.tensor([1.0, 2.0]), right=v),
    "vector_norm keepdim": lambda lib, x, v: lib.linalg.vector_norm(x, dim=0, keepdim=v),
    "vector_norm positional": lambda lib, x, v: lib.linalg.vector_norm(x, 2, 0, v),
    "norm keepdim": lambda lib, x, v: x.norm(dim=1, keepdim=v),
    "set_grad_enabled": lambda lib, x, v: lib.set_grad_enabled(v),
    "sum keepdim": lambda lib, x, v: x.sum(1, keepdim=v),
    "topk largest": lambda lib, x, v: x.topk(1, largest=v),
    "sdpa is_causal": lambda lib, x, v: lib.nn.functional.scaled_dot_product_attention(x, x, x, is_causal=v),
    "sdpa enable_gqa": lambda lib, x, v: lib.nn.functional.scaled_dot_product_attention(x, x, x, enable_gqa=v),
}


@pytest.mark.parametrize("call", sorted(_BOOL_ARGUMENT_CALLS))
@pytest.mark.parametrize("value", sorted(_NOT_BOOLS))
def test_a_bool_argument_takes_a_python_bool_only(call, value):
    fn = _BOOL_ARGUMENT_CALLS[call]
    assert_same_error(*_both(lambda lib: fn(lib, lib.tensor([[3.0, 1.0, 2.0], [1.0, 2.0, 0.0]]),
                                            _NOT_BOOLS[value](lib))))


def test_to_takes_its_flags_by_position_after_a_dtype_or_tensor_only():
    for args in [("cpu", True), ("cpu", 1), ("float64", "float64"), ("float64", True, True, True)]:
        assert_same_error(*_both(lambda lib: lib.ones(2).to(*(getattr(lib, a) if a == "float64" else a
                                                               for a in args))))
    for lib in (torch, torchless):  # copy given by position is honoured
        x = lib.ones(2)
        assert x.to(lib.float32, False, True) is not x
        assert x.to(x, False, False) is x
        assert x.to("cpu", lib.float32, False, True) is not x


# ---------------------------------------------------------------------------- torch.embedding_bag
def _bag_inputs(lib, dtype="float32"):
    weight = lib.arange(12.0, dtype=getattr(lib, dtype)).reshape(4, 3)
    return weight, lib.tensor([0, 1, 2, 3, 1])


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("case", ["plain", "padding_idx", "include_last_offset", "float64", "empty last bag",
                                  "decreasing offsets", "all padding", "defaults"])
def test_the_native_embedding_bag_returns_the_kernels_four_tensors(mode, case):
    def fn(lib):
        weight, indices = _bag_inputs(lib, "float64" if case == "float64" else "float32")
        offsets = {"empty last bag": [0, 2, 5], "decreasing offsets": [0, 0, 5]}.get(case, [0, 2])
        if case == "all padding":
            indices = lib.tensor([1, 1, 2])
        if case == "defaults":
            return lib.embedding_bag(weight, indices, lib.tensor(offsets), mode=mode)
        return lib.embedding_bag(weight, indices, lib.tensor(offsets), False, mode, False, None,
                                 case == "include_last_offset", 1 if case in ("padding_idx", "all padding") else None)

    assert_same_outcome(fn)


@pytest.mark.parametrize("per_sample_weights", [False, True])
def test_the_native_embedding_bag_sum_with_per_sample_weights(per_sample_weights):
    assert_same_outcome(lambda lib: lib.embedding_bag(*_bag_inputs(lib), lib.tensor([0, 2]), False, 0, False,
                                                      lib.ones(5) * 2, False, 1 if per_sample_weights else None))


def test_the_native_embedding_bag_has_the_gradient_of_f_embedding_bag():
    grads = []
    for lib in (torch, torchless):
        weight, indices = _bag_inputs(lib)
        weight.requires_grad_(True)
        output = lib.embedding_bag(weight, indices, lib.tensor([0, 2]), False, 1, False, None, False, None)[0]
        (output * lib.arange(6.0).reshape(2, 3)).sum().backward()
        grads.append(weight.grad.numpy())
        assert type(output.grad_fn).__name__ == "EmbeddingBagBackward0"
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


@pytest.mark.parametrize("args", [(), ("w",), ("w", "i"), ("w", "i", "o", 1), ("w", "i", "o", False, "sum"),
                                  ("w", "i", "o", False, 3), ("w", "i", "o", False, -1), ("w", "i", "o", False, True),
                                  ("w", "f", "o"), ("w", "i", None), ("w", "i", "o", False, 1, False, "p")])
def test_the_native_embedding_bag_refuses_bad_arguments_as_pytorch(args):
    def fn(lib):
        weight, indices = _bag_inputs(lib)
        named = {"w": weight, "i": indices, "f": indices.float(), "o": lib.tensor([0, 2]), "p": lib.ones(5)}
        return lib.embedding_bag(*(named.get(a, a) if isinstance(a, str) and len(a) == 1 else a for a in args))

    assert_same_error(*_both(fn))


# ---------------------------------------------------------------------------- ints beyond int64
_BEYOND_INT64 = [2 ** 70, 2 ** 63, -2 ** 63 - 1]
_SIZE_CALLS = {
    "view": lambda lib, x, n: x.view(n),
    "view second": lambda lib, x, n: x.view(2, n),
    "view list": lambda lib, x, n: x.view([n]),
    "reshape": lambda lib, x, n: x.reshape(n),
    "torch.reshape": lambda lib, x, n: lib.reshape(x, (n,)),
    "expand": lambda lib, x, n: x[:1].expand(n, 3),
    "repeat": lambda lib, x, n: x.repeat(n),
    "permute": lambda lib, x, n: x.permute(0, n),
    "unflatten": lambda lib, x, n: x.unflatten(1, (n,)),
    "zeros": lambda lib, x, n: lib.zeros(n),
    "empty": lambda lib, x, n: lib.empty(2, n),
    "ones tuple": lambda lib, x, n: lib.ones((n,)),
    "full": lambda lib, x, n: lib.full((n,), 1.0),
    "new_zeros": lambda lib, x, n: x.new_zeros(n),
    "new_empty": lambda lib, x, n: x.new_empty((n,)),
}
_INT_CALLS = {
    "narrow start": lambda lib, x, n: x.narrow(0, n, 1),
    "select": lambda lib, x, n: x.select(0, n),
    "flatten": lambda lib, x, n: x.flatten(n),
    "sum": lambda lib, x, n: x.sum(n),
    "topk": lambda lib, x, n: x.topk(n),
    "randint": lambda lib, x, n: lib.randint(n, (2,)),
    "unsqueeze": lambda lib, x, n: x.unsqueeze(n),
    "transpose": lambda lib, x, n: x.transpose(0, n),
    "index": lambda lib, x, n: x[n],
}


def _first_line_of_an_overflow(message):
    """PyTorch's message for a size it cannot unpack goes on with the C++ stack of the failure: the line before."""
    first = message.split("\n")[0]
    return first + '"' if first.endswith('"Overflow when unpacking long long') else message


@pytest.mark.parametrize("call", sorted(_SIZE_CALLS))
@pytest.mark.parametrize("n", _BEYOND_INT64)
def test_a_size_beyond_int64_fails_to_unpack_as_in_the_parser(call, n):
    fn = _SIZE_CALLS[call]
    expected = outcome(lambda: fn(torch, torch.ones(2, 3), n))
    assert isinstance(expected, Raised), expected
    actual = outcome(lambda: fn(torchless, torchless.ones(2, 3), n))
    assert actual == (expected.type, _first_line_of_an_overflow(expected.message))


@pytest.mark.parametrize("call", sorted(_INT_CALLS))
@pytest.mark.parametrize("n", _BEYOND_INT64)
def test_an_int_argument_beyond_int64_fails_to_unpack_as_in_the_parser(call, n):
    assert_same_error(*_both(lambda lib: _INT_CALLS[call](lib, lib.ones(2, 3), n)))


@pytest.mark.parametrize("call", ["zeros", "empty", "ones", "new_zeros", "new_empty", "full"])
@pytest.mark.parametrize("sizes", [(2 ** 63 - 1,), (2 ** 40, 2 ** 40), (2 ** 62, 2)])
def test_a_tensor_of_more_than_int64_bytes_fails_as_pytorchs_storage_size_check(call, sizes):
    def fn(lib):
        x = lib.ones(2)
        if call == "full":
            return lib.full(sizes, 1.0)
        return getattr(x, call)(sizes) if call.startswith("new") else getattr(lib, call)(*sizes)

    assert_same_error(*_both(fn))


# ---------------------------------------------------------------------------- calls missing an argument
_MISSING_ARGUMENT_CALLS = {
    "sdpa()": lambda lib, x: lib.nn.functional.scaled_dot_product_attention(),
    "sdpa(q)": lambda lib, x: lib.nn.functional.scaled_dot_product_attention(x),
    "sdpa(q, k)": lambda lib, x: lib.nn.functional.scaled_dot_product_attention(x, x),
    "sdpa(q, value=)": lambda lib, x: lib.nn.functional.scaled_dot_product_attention(x, value=x),
    "sdpa(1)": lambda lib, x: lib.nn.functional.scaled_dot_product_attention(1),
    "softmax()": lambda lib, x: lib.softmax(),
    "softmax(x)": lambda lib, x: lib.softmax(x),
    "log_softmax()": lambda lib, x: lib.log_softmax(),
    "bernoulli()": lambda lib, x: lib.bernoulli(),
    "bernoulli(p=)": lambda lib, x: lib.bernoulli(p=0.5),
    "bernoulli(x, str)": lambda lib, x: lib.bernoulli(x, "a"),
    "bernoulli(1.0)": lambda lib, x: lib.bernoulli(1.0),
    "argmax()": lambda lib, x: lib.argmax(),
    "neg()": lambda lib, x: lib.neg(),
    "numel()": lambda lib, x: lib.numel(),
    "sum()": lambda lib, x: lib.sum(),
    "all()": lambda lib, x: lib.all(),
    "argsort()": lambda lib, x: lib.argsort(),
    "matmul(x)": lambda lib, x: lib.matmul(x),
    "atan2()": lambda lib, x: lib.atan2(),
    "atan2(x)": lambda lib, x: lib.atan2(x),
    "allclose(x)": lambda lib, x: lib.allclose(x),
}


@pytest.mark.parametrize("call", sorted(_MISSING_ARGUMENT_CALLS))
def test_a_call_missing_an_argument_fails_as_pytorchs_parser_words_it(call):
    assert_same_error(*_both(lambda lib: _MISSING_ARGUMENT_CALLS[call](lib, lib.ones(1, 2, 2))))


@pytest.mark.parametrize("name", ["exp", "relu", "sigmoid", "t", "abs", "neg", "tanh", "sqrt", "floor", "sign"])
@pytest.mark.parametrize("extra", ["positional", "two positional", "keyword"])
def test_a_function_form_of_a_method_without_arguments_words_extra_arguments_as_the_parser(name, extra):
    args, kwargs = {"positional": ((1,), {}), "two positional": ((1, 2), {}), "keyword": ((), {"foo": 1})}[extra]
    assert_same_error(*_both(lambda lib: getattr(lib, name)(lib.ones(2, 2), *args, **kwargs)))


# ---------------------------------------------------------------------------- messages naming the library
def test_messages_name_the_library_as_pytorchs_name_torch():
    assert_same_error(*_both(lambda lib: lib.ones(2).clamp()))
    assert_same_error(*_both(lambda lib: lib.meshgrid(lib.ones(2), indexing="yx")))

