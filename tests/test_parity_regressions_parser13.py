"""How Tensor methods and torch functions parse their arguments, compared with torch's argument parser: ints given as
separate arguments for a method's only int list (x.squeeze(0, 1), x.tile(1, 2)) and never for a function form
(torchless.permute(x, 0, 1)), keyword-only parameters refused positionally, the positions and the call shown in
TypeErrors.
"""
import re
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(source, lib):
    """What ``source`` evaluates to with ``torch`` bound to ``lib`` and ``x`` a (1, 3, 1, 4) tensor of ``lib``: the
    result's shape and values, or the exception's type and message (torch read as torchless)."""
    x = lib.arange(12.0).reshape(1, 3, 1, 4)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = eval(source, {"torch": lib, "x": x, "np": np})  # (the sources are the test's own)
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        return type(error).__name__, re.sub(r"\btorch\b", "torchless", str(error))
    pieces = result if isinstance(result, tuple) else (result,)
    return [(tuple(p.shape), np.asarray(p.tolist()).tolist()) if hasattr(p, "shape") else p for p in pieces]


def _check(source):
    assert _outcome(source, torchless) == _outcome(source, torch), source


# Each group: calls whose outcome (the result, or the exception's type and message) must be torch's.
CASES = {
    "method_takes_ints_as_separate_arguments_as_torch": [
        "x.squeeze(0, 2)", "x.squeeze(0, 0)", "x.squeeze(0, 1.5)", "x.squeeze((0,), 1)", "x.squeeze(0, (1,))",
        "x.squeeze(0, None)", "x.squeeze(True, 1)", "x.squeeze(0, 1, 2, 3)",
        "x.tile(1, 2)", "x.tile(0, 1)", "x.tile(1, 2.0)", "x.tile((1,), 2)", "x.tile(dims=1)", "x.tile(dims=(1, 2))",
        "x.tile(1)", "x.tile([1, 2])", "x.tile(x.shape)", "x.tile(True, 1)", "x.tile(torch.tensor(2), 2)", "x.tile()",
        "x.count_nonzero(0, 1)", "x.count_nonzero(0, 2.0)", "x.count_nonzero(0, 1, 1)",
        "x.count_nonzero(torch.tensor(0), 1)",
        "x.reshape(1, 3, 2, 2).hsplit(1, 2)", "x.reshape(1, 3, 2, 2).hsplit(1, 2.0)", "x.reshape(3, 2, 2).vsplit(1, 2)",
        "x.reshape(1, 3, 2, 2).dsplit(1, 1)", "x.hsplit(3)",
    ],
    "function_form_never_takes_ints_as_separate_arguments": [
        "torch.permute(x, 0, 1, 3, 2)", "torch.permute(x, (0, 1, 3, 2))", "torch.permute(x, dims=(0, 1, 3, 2))",
        "torch.permute(torch.ones(3), 0)", "torch.permute()",
        "torch.reshape(x, 2, 6)", "torch.reshape(x, 12)", "torch.reshape(x, shape=12)", "torch.reshape(x, shape=(12,))",
        "torch.reshape(x, torch.tensor(12))", "torch.reshape(x, [12])", "torch.reshape(x, x.shape)", "torch.reshape(x)",
        "torch.reshape(x, (2, 6.0))", "torch.reshape(x, ('a',))", "torch.reshape(x, (2, 6), foo=1)",
        "torch.reshape(input=x, shape=(12,))", "torch.reshape()",
        "torch.tile(x, 1, 2)", "torch.tile(x, 2)", "torch.tile(x, (1, 2))", "torch.tile(x, dims=(1, 2))",
        "torch.count_nonzero(x, 0, 1)", "torch.count_nonzero(x, (0, 1))", "torch.count_nonzero(x, 1)",
        "torch.squeeze(x, 0, 2)", "torch.squeeze(x, 0)", "torch.squeeze(x, (0, 2))",
        "torch.hsplit(x.reshape(1, 3, 2, 2), 1, 2)", "torch.hsplit(x.reshape(1, 3, 2, 2), [1])",
    ],
    "keyword_only_parameter_refused_by_position": [
        "x.cumsum(0, torch.float64)", "x.cumsum_(0, torch.float64)", "x.numpy(True)", "x.numpy(False)",
        "x.float(torch.channels_last)", "x.double(torch.contiguous_format)", "x.long(torch.preserve_format)",
        "x.float(1)", "x.round(1)", "x.sort(0, False, True)", "x.argsort(0, False, True)",
        "x.sum(0, False, torch.float64)", "x.mean(0, False, torch.float64)", "torch.sum(x, 0, False, torch.float64)",
        "torch.cumsum(x, 0, torch.float64)", "getattr(x, 'cumsum')(*(0, torch.float64))",
        "getattr(x, 'sort')(*(0, False, True))",
    ],
    "keyword_only_parameter_by_keyword_as_torch": [
        "x.cumsum(0, dtype=torch.float64)", "x.numpy(force=True).shape", "x.round(decimals=1)",
        "x.sort(stable=True, dim=0)", "x.argsort(stable=True, descending=True)", "x.sum(0, False, dtype=torch.float64)",
        "x.float(memory_format=torch.preserve_format).stride()", "x.sum(dtype=torch.int32)", "x.mean(dtype=torch.float64)",
        "x.cumsum_(0, dtype=torch.float32)", "x.round(decimals=0)",
        "x.mean(0, True, dtype=torch.float64)", "x.new_full((2,), 1, dtype=torch.float64)",
        "x.float(memory_format=torch.channels_last).stride()", "x.clone().resize_as_(x, memory_format=torch.contiguous_format)",
    ],
    "reduction_type_error_shows_the_call_as_written": [
        "x.sum(0, 1)", "x.sum(0, keepdim=1)", "x.sum(dim=0, keepdim=1)", "x.sum(axis=0, keepdims=1)",
        "getattr(x, 'sum')(*(0, 1))", "x.sum(0, True, dtype=1)", "x.sum(1.5)", "x.sum(dim=1.5)",
        "x.mean(0, 1)", "x.amax(0, 1)", "x.amin(0, 1)", "x.logsumexp(0, 1)", "x.nansum(0, 1)", "x.median(0, 1)",
        "x.median(0, keepdim=1)", "x.median(dim=0, keepdim=1)", "x.amax(dim=1.5)", "x.count_nonzero(dim=1.5)",
        "x.any(0, 1)", "x.any(0, keepdim=1)", "x.all(0, 1)", "x.any(dim=1.5)",
        "torch.sum(x, 0, 1)", "torch.sum(x, 0, keepdim=1)", "torch.nansum(x, 0, 1)", "torch.amax(x, 0, 1)",
        "torch.logsumexp(x, 0, 1)", "torch.median(x, 0, 1)", "torch.sum(x, 1.5)", "torch.sum(x, dim=1.5)",
        "torch.mean(x, 0, 1)", "torch.any(x, 0, 1)", "torch.all(x, 0, 1)", "torch.amax(x, 1.5)", "torch.nansum(x, 1.5)",
        "torch.logsumexp(x, 1.5)", "torch.count_nonzero(x, 1.5)", "torch.median(x, 1.5)",
        # stable given: the other arguments by keyword only
        "x.sort(0, False, stable=True)", "x.sort(0, stable=True)", "x.argsort(0, True, stable=True)",
        "torch.sort(x, 0, stable=True)", "torch.sort(x, dim=0, stable=True)", "torch.argsort(x, 0, stable=True)",
    ],
    "type_error_position_only_for_an_argument_given_by_position": [
        # by keyword: no position; by position: the method's, or the function form's counting the input
        "x.add(other='s')", "x.add('s')", "torch.add(x, other='s')", "torch.add(x, 's')", "x.maximum(other='s')",
        "torch.maximum(x, other='s')", "torch.maximum(x, 's')", "x.chunk(chunks='s')", "x.chunk(2, dim='s')",
        "x.chunk(2, 's')", "torch.chunk(x, 2, 's')", "torch.chunk(x, 2, dim='s')", "x.cumsum(dim='s')",
        "x.cumsum('s')", "torch.cumsum(x, dim='s')", "torch.cumsum(x, 's')", "x.flatten(0, end_dim='s')",
        "x.flatten(start_dim='s')", "torch.flatten(x, 0, 's')", "torch.flatten(x, 0, end_dim='s')",
        "x.select(0, index='s')", "torch.select(x, 0, index='s')", "x.softmax(dim='s')", "x.softmax('s')",
        "torch.softmax(x, dim='s')", "torch.nn.functional.softmax(x, dim='s')", "x.log_softmax(dim='s')",
        "x.size(dim='s')", "x.size('s')", "x.transpose(0, dim1='s')", "torch.transpose(x, 0, 's')",
        "x.unsqueeze(dim='s')", "torch.unsqueeze(x, 's')", "torch.unsqueeze(x, dim='s')", "x.expand_as(other='s')",
    ],
    "type_error_position_of_functions_bound_as_methods": [
        # functions that are also methods: the method's positions leave self out
        "x.kron('s')", "torch.kron(x, 's')", "x.kron(other='s')", "x.mvlgamma('s')", "torch.mvlgamma(x, 's')",
        "x.hardshrink('s')", "torch.hardshrink(x, 's')", "x.hardshrink(lambd='s')",
        "torch.nn.functional.hardshrink(x, 's')", "x.inner('s')", "torch.inner(x, 's')",
        # PyTorch's functional.softmax calls the method with dim by position; torchless.softmax is the function form
        "torch.softmax(x, 's')", "torch.softmax(x, dim='s')", "torch.nn.functional.softmax(x, dim='s')",
        "torch.nn.functional.log_softmax(x, dim='s')", "torch.log_softmax(x, 's')",
        # CPython's type name (a class defined in Python is named without its module)
        "x.add(type('Foo', (), {})())", "x.add(np.zeros(2))",
    ],
    "bool_and_int_arguments_checked_as_torch": [
        "x.mode(0, 1)", "x.mode(0, keepdim=1)", "x.mode(1.5)", "x.mode(dim=1.5)", "torch.mode(x, 0, 1)",
        "x.nanmedian(0, 1)", "x.nanmedian(1.5)", "x.nanmedian(dim=0, keepdim=1)", "torch.nanmedian(x, 0, 1)",
        "x.mode(torch.tensor(1))", "x.mode(0, True)", "x.nanmedian(0)",
        "x.sort(0, 1)", "x.argsort(0, 1)", "torch.sort(x, 0, 1)", "torch.argsort(x, 0, 1)", "x.sort(1.5)",
        "x.sort(dim=1.5)", "x.sort(0, descending=1)", "x.sort(torch.tensor(0))", "x.sort(0, True)",
        "getattr(x, 'sort')(*(0, 1))", "x.argsort(dim=0, descending=True)",
    ],
    "namespace_form_refuses_functional_inplace": [
        "torch.selu(x, 0)", "torch.selu(x, True)", "torch.selu(x, inplace=True)", "torch.selu(x)", "torch.celu(x, 1, 1)",
        "torch.celu(x, 1.0)", "torch.celu(x, alpha=2.0)", "torch.celu(x, 1.0, True)", "torch.threshold(x, 0, 0, 0)",
        "torch.threshold(x, 0.5, 0.0)", "torch.threshold(x, 0.5, 0.0, inplace=True)", "torch.prelu(x, torch.ones(1))",
    ],
    "new_full_size_is_a_sequence": [
        "x.new_full(2, 1)", "x.new_full(size=2, fill_value=1)", "x.new_full((2,), 1)", "x.new_full([2, 3], 1)",
        "x.new_full(torch.Size([2]), 1)", "x.new_full(x.shape, 1)",
    ],
    "type_error_position_of_made_methods": [
        "x.mvlgamma(p='s')", "x.igamma(other='s')", "x.igamma('s')", "x.reshape(3, 4).multinomial('s')",
        "x.reshape(3, 4).multinomial(num_samples='s')", "torch.multinomial(x.reshape(3, 4), 's')",
        "torch.multinomial(x.reshape(3, 4), num_samples='s')",
    ],
    "type_error_position_of_method_in_function_form": [
        "x.cross(other='s')", "torch.cross(x, 's')", "x.dist(other='s')", "torch.dist(x, 's')", "x.nextafter(other='s')",
        "torch.nextafter(x, 's')", "x.slice_scatter(src='s')", "torch.slice_scatter(x, 's')",
        "torch.diagonal_scatter(x, 's')", "torch.select_scatter(x, 0, 0, 's')", "x.split_with_sizes(split_sizes='s')",
        "torch.split_with_sizes(x, 's')", "x.topk(k='s')", "x.topk('s')", "torch.topk(x, 's')", "torch.matmul(x, 's')",
        "torch.index_select(x, 0, 's')", "torch.cummax(x, 's')", "torch.cumsum(x, 's')", "torch.put(x, 0, 's')",
        "x.index_select(0, 's')", "x.index_select(0, index='s')",
    ],
}


@pytest.mark.parametrize("source", [pytest.param(source, id=f"{group}: {source}")
                                    for group, sources in CASES.items() for source in sources])
def test_call_matches_torch(source):
    _check(source)


# ---------------------------------------------------------------------------- refusals in Python's words
@pytest.mark.parametrize("source", [
    "x.new_full((2,), 1, torch.float64)", "x.new_empty_strided((2,), (1,), torch.float64)",
    "x.resize_as_(x, torch.contiguous_format)",
])
def test_keyword_only_parameter_refused_by_position_in_python_words(source):
    # (keyword-only in the signature: the wording of the refusal is Python's, only the refusal is compared)
    ours, theirs = _outcome(source, torchless), _outcome(source, torch)
    assert theirs[0] == "TypeError" and "positional argument" in theirs[1]
    assert ours[0] == "TypeError" and "positional argument" in ours[1], ours


# ---------------------------------------------------------------------------- method names
@pytest.mark.parametrize("name", ["acos", "hsplit", "gcd", "igamma", "mvlgamma", "lgamma_", "i0", "conj"])
def test_made_methods_are_named_as_methods(name):
    # (Python's arity TypeError names a method by its qualified name; PyTorch's name the method, not a factory)
    method = getattr(torchless.Tensor, name)
    assert method.__name__ == getattr(torch.Tensor, name).__name__ == name
    assert "<locals>" not in method.__qualname__
