"""Differences from PyTorch found by a thirty-second differential error-input fuzz of the CNN course's surface,
each compared with torch at run time.

* torch.concat and torch.concatenate fail as torch.cat does, in their own names (an empty list, tensors of other
  ranks or sizes, a dim out of range, a 0-d tensor): their out= wrappers re-read the failing call as
  PyTorch's parser and named a private keyword instead ("cat() got an unexpected keyword argument '_name'");
* a str key of ``t[key]`` (and ``t[key] = v``) is a sequence to PyTorch: a non-empty one warns its "non-tuple
  sequence for multidimensional indexing" deprecation before the refusal "new(): invalid data type 'str'"; a bytes
  part of a key is refused in the same words ("invalid data type 'bytes'", not the IndexError of other types);
* F.relu and F.silu of a non-tensor with a true ``inplace`` name their in-place native functions relu_ and silu_,
  as PyTorch's parser does;
* the hot Tensor methods of no arguments (t, dim, numel, relu, relu_, detach; ndimension and nelement, no longer
  their aliases) refuse arguments in CPython's words for PyTorch's METH_NOARGS methods ("TensorBase.t() takes no
  arguments (1 given)"), not Python's ("t() takes 1 positional argument but 2 were given").
"""
import warnings

import pytest

import torchless
from helpers import outcome


def _outcome_and_warnings(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = outcome(call)
    if isinstance(result, tuple):
        result = (result[0], result[1].replace("torchless", "torch"))
    elif hasattr(result, "shape"):
        result = (tuple(result.shape), str(result.dtype).split(".")[-1])
    return result, [(w.category.__name__, str(w.message)) for w in caught]


_CAT_CALLS = [
    lambda lib, x, f: f([]),
    lambda lib, x, f: f([x, lib.ones(2, 3)]),
    lambda lib, x, f: f([x, lib.ones(2, 4, 3)]),
    lambda lib, x, f: f([x, x], dim=3),
    lambda lib, x, f: f([x, x], -4),
    lambda lib, x, f: f([x, x], 1.0),
    lambda lib, x, f: f([x, x], dim="a"),
    lambda lib, x, f: f([lib.tensor(1.), lib.tensor(2.)]),
    lambda lib, x, f: f((x, 1)),
    lambda lib, x, f: f([x, x], 1, out=5),
    lambda lib, x, f: f([x, x], foo=1),
    lambda lib, x, f: f([x, x], 1, 2),
    lambda lib, x, f: f([x, x.double()], 2),
    lambda lib, x, f: f([x, lib.ones(0)], dim=1),
    lambda lib, x, f: f(x),
]


@pytest.mark.parametrize("name", ["cat", "concat", "concatenate"])
@pytest.mark.parametrize("index", range(len(_CAT_CALLS)))
def test_concat_and_concatenate_fail_as_cat_in_their_own_names(name, index):
    torch = pytest.importorskip("torch")

    def run(lib):
        return _outcome_and_warnings(lambda: _CAT_CALLS[index](lib, lib.ones(2, 3, 4), getattr(lib, name)))

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("key", ["a", "ab", "", b"a", b"", ("a",), (0, "a"), ["a"], (0, b"a"), [b"a"],
                                 [0, slice(None)], [None]])
@pytest.mark.parametrize("assign", [False, True])
def test_str_and_bytes_keys_warn_and_fail_as_in_torch(key, assign):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.ones(2, 3)

        def index():
            if assign:
                x[key] = 1.0
                return x
            return x[key]

        return _outcome_and_warnings(index)

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("name", ["relu", "silu"])
@pytest.mark.parametrize("inplace", [True, 1, "a", False, 0, "", None])
@pytest.mark.parametrize("value", [[1.0], None, 2.0])
def test_in_place_activations_of_non_tensors_name_their_in_place_function(name, inplace, value):
    torch = pytest.importorskip("torch")

    def run(lib):
        return _outcome_and_warnings(lambda: getattr(lib.nn.functional, name)(value, inplace=inplace))

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("name", ["t", "dim", "numel", "relu", "relu_", "detach", "ndimension", "nelement"])
@pytest.mark.parametrize("arguments", ["", "1", "0, 1", "'a'", "None"])
def test_hot_methods_of_no_arguments_refuse_arguments_in_cpythons_words(name, arguments):
    torch = pytest.importorskip("torch")
    # (written out, as users call them: a bound method object called later words its error otherwise in PyTorch)
    call = compile(f"x.{name}({arguments})", "<call>", "eval")

    def run(lib):
        x = lib.ones(2, 3)
        return _outcome_and_warnings(lambda: eval(call, {"x": x}))

    assert run(torchless) == run(torch)
