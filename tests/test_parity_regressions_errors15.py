"""Differences from PyTorch found by a fifteenth differential error-input fuzz of the CNN-building API, each compared
with torch.

* F.max_pool1d/2d/3d, adaptive_max_pool1d/2d/3d and fractional_max_pool2d/3d dispatch on ``return_indices`` as
  PyTorch's do (its boolean_dispatch): an argument error Python raises (too many positional arguments, an
  unexpected or repeated keyword, a missing size) names max_pool2d_with_indices, ... where ``return_indices`` (by
  keyword, or by position) is true, and the private F._max_pool2d, ... otherwise;
* the functions checked by PyTorch's argument parser (avg_pool*d, adaptive_avg_pool1d, conv*d, ...) report too many
  positional arguments as it does ("takes 2 positional arguments", not "takes from 2 to 2"), and a keyword
  repeating a positional argument only after the positional arguments' type checks, first in the order given;
* an int beyond int64 given where the parser unpacks one fails as in PyTorch: a lone int (a stride, a kernel size,
  an adaptive output size, groups, ignore_index, num_groups, softmax's and glu's dim) with ValueError "Overflow
  when unpacking long long", an element of a list (F.pad's too) with the parser's TypeError naming it (PyTorch
  appends a C++ stack to that message, left out here), where NumPy overflowed or the value reached the checks;
* F.gelu's ``approximate`` is keyword-only, as in PyTorch's native gelu: F.gelu(x, 'tanh') fails (it ran);
* cross_entropy's and nll_loss's ignore_index is a SymInt for PyTorch's parser: a one-element integer tensor of any
  rank is taken (it was refused unless 0-d), a float one still refused; so are embedding's padding_idx and
  channel_shuffle's groups;
* cosine_similarity, pairwise_distance and pdist (so nn.CosineSimilarity and nn.PairwiseDistance) parse their
  arguments as PyTorch's native functions do: "argument 'dim' (position 3) must be int", "argument 'p' must be
  float", the parser's arity errors (a non-number reached the norm, None ran);
* the parser takes NumPy's names of input, other, dim and keepdim (x=, a=, x1=, x2=, axis=, keepdims=), and reports
  a leftover keyword as PyTorch's does: the first one that names no parameter (a NumPy name included);
* F.relu_ of a non-tensor names relu_ (it named relu);
* an optimizer whose loaded state does not fit its parameters' shapes (a checkpoint of another model) fails at its
  step with PyTorch's RuntimeError "The size of tensor a (2) must match the size of tensor b (3) ..." (state, then
  gradient; Rprop the other way round), not NumPy's ValueError.
"""
import pickle

import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_outcome, outcome

F = torchless.nn.functional

_MAX_POOLING = [("max_pool1d", 1), ("max_pool2d", 2), ("max_pool3d", 3), ("adaptive_max_pool1d", 1),
                ("adaptive_max_pool2d", 2), ("adaptive_max_pool3d", 3), ("fractional_max_pool2d", 2),
                ("fractional_max_pool3d", 3)]

# (positional arguments after the input, keyword arguments): argument errors Python raises before any check
_ARITY_ERRORS = [((2, 2, 0, 1, False, True, 9), {}), ((2, 2, 0, 1, True, False, 5, 6, 7), {}),
                 ((2, None, 0, 1, False, True), {}), ((2,), {"return_indices": True, "foo": 1}),
                 ((), {"return_indices": True}), ((), {"return_indices": False}), ((), {}),
                 ((2,) * 10, {"return_indices": True}), ((2, 2), {"stride": 2, "return_indices": 1})]


@pytest.mark.parametrize("name, spatial", _MAX_POOLING)
@pytest.mark.parametrize("args, kwargs", _ARITY_ERRORS)
def test_max_pooling_argument_errors_name_the_function_return_indices_selects(name, spatial, args, kwargs):
    torch = pytest.importorskip("torch")

    for with_input in (True, False):
        def call(lib):
            leading = (lib.ones((1, 1) + (4,) * spatial),) if with_input else ()
            return getattr(lib.nn.functional, name)(*leading, *args, **kwargs)

        if outcome(lambda: call(torch)) == ("AttributeError", "'int' object has no attribute 'is_cuda'"):
            continue  # (max_pool3d_with_indices reads an int input's is_cuda before its parser sees it)
        assert_same_outcome(call)


@pytest.mark.parametrize("name, spatial", _MAX_POOLING)
def test_max_pooling_dispatch_keeps_results_help_and_pickling(name, spatial):
    """The dispatching function returns what the one it picks returns, shows its docstring and signature, and it
    and PyTorch's private name (F._max_pool2d) both pickle by reference."""
    import inspect

    torch = pytest.importorskip("torch")
    kernel = {"fractional_max_pool2d": (2, 2), "fractional_max_pool3d": (2, 2, 2)}.get(name, 2)
    extra = {"output_size": 2} if name.startswith("fractional") else {}
    for flag in (False, True, 0, "yes"):
        def pool(lib):
            x = (lib.arange(4 ** spatial * 2, dtype=lib.float32) * 37 % 11).reshape((1, 2) + (4,) * spatial)
            return getattr(lib.nn.functional, name)(x, kernel, return_indices=flag, **extra)

        if name.startswith("fractional"):  # random windows: compare what is returned, not the values
            expected, actual = pool(torch), pool(torchless)
            assert type(expected) is type(actual) and len(expected) == len(actual) if flag else True
            continue
        assert_same_outcome(pool)
    public, private = getattr(F, name), getattr(F, f"_{name}")
    assert public.__name__ == name and private.__name__ == f"_{name}"
    assert public.__doc__ and "return_indices" in str(inspect.signature(public))
    for function in (public, private):
        assert pickle.loads(pickle.dumps(function)) is function


def test_max_pooling_modules_still_return_indices_on_request():
    """nn.MaxPool2d(return_indices=True) and nn.AdaptiveMaxPool1d go through the dispatch with the flag."""
    torch = pytest.importorskip("torch")
    assert_same_outcome(lambda lib: lib.nn.MaxPool2d(2, return_indices=True)(
        (lib.arange(32, dtype=lib.float32) * 37 % 11).reshape(2, 4, 4)))
    assert_same_outcome(lambda lib: lib.nn.AdaptiveMaxPool1d(3, return_indices=True)(
        (lib.arange(14, dtype=lib.float32) * 5 % 7).reshape(2, 7)))
    assert_same_outcome(lambda lib: lib.nn.MaxPool3d(2)((lib.arange(64, dtype=lib.float32) % 5).reshape(1, 4, 4, 4)))
    # torch-free: the indices are those of each window's maximum
    out, indices = F.max_pool2d(torchless.tensor([[[1.0, 3.0], [4.0, 2.0]]]), 2, return_indices=True)
    assert out.tolist() == [[[4.0]]] and indices.tolist() == [[[2]]]


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, 2, 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, 2, 2, 0, 1, False, True, 9),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(2, 2, 0),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[None], 2, 2),
    lambda lib, x: lib.nn.functional.avg_pool1d(x, 2, 2, 0, False, True, 1, 2),
    lambda lib, x: lib.nn.functional.conv1d(x, lib.ones(1, 1, 2), None, 1, 0, 1, 1, 5),
])
def test_parser_too_many_positional_arguments(call):
    torch = pytest.importorskip("torch")
    expected = outcome(lambda: call(torch, torch.ones(1, 1, 4)))
    assert isinstance(expected, Raised), expected
    assert outcome(lambda: call(torchless, torchless.ones(1, 1, 4))) == expected


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.avg_pool1d(2, input=1),  # the positional int fails its type check first
    lambda lib, x: lib.nn.functional.avg_pool2d(2, input=x),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(2, input=x),
    lambda lib, x: lib.nn.functional.avg_pool1d(x, 2, kernel_size=2),
    lambda lib, x: lib.nn.functional.avg_pool1d(x, 2, foo=1, kernel_size=2),  # the first in the order given
    lambda lib, x: lib.nn.functional.avg_pool1d(x, 2, kernel_size=2, foo=1),
    lambda lib, x: lib.nn.functional.avg_pool3d(x, 2, stride=2, kernel_size=2),
])
def test_parser_keyword_repeating_a_positional_argument(call):
    torch = pytest.importorskip("torch")
    expected = outcome(lambda: call(torch, torch.ones(1, 1, 4)))
    assert isinstance(expected, Raised), expected
    assert outcome(lambda: call(torchless, torchless.ones(1, 1, 4))) == expected


_INT64_OVERFLOW = 2 ** 63


@pytest.mark.parametrize("call", [
    lambda F, lib: F.conv1d(lib.ones(1, 1, 3), lib.ones(1, 1, 1), stride=_INT64_OVERFLOW),
    lambda F, lib: F.conv1d(lib.ones(1, 1, 3), lib.ones(1, 1, 1), stride=-_INT64_OVERFLOW - 1),
    lambda F, lib: F.conv1d(lib.ones(1, 1, 3), lib.ones(1, 1, 1), stride=_INT64_OVERFLOW, padding=2 ** 64),
    lambda F, lib: F.conv1d(lib.ones(1, 1, 3), lib.ones(1, 1, 1), groups=_INT64_OVERFLOW),
    lambda F, lib: F.conv2d(lib.ones(1, 1, 3, 3), lib.ones(1, 1, 1, 1), dilation=_INT64_OVERFLOW),
    lambda F, lib: F.conv_transpose2d(lib.ones(1, 1, 3, 3), lib.ones(1, 1, 1, 1), output_padding=_INT64_OVERFLOW),
    lambda F, lib: F.max_pool1d(lib.ones(1, 1, 3), 1, _INT64_OVERFLOW, 2 ** 64),
    lambda F, lib: F.max_pool2d(lib.ones(1, 1, 3, 3), _INT64_OVERFLOW, return_indices=True),
    lambda F, lib: F.max_pool3d(lib.ones(1, 1, 2, 2, 2), _INT64_OVERFLOW),
    lambda F, lib: F.avg_pool2d(lib.ones(1, 1, 3, 3), 1, divisor_override=_INT64_OVERFLOW),
    lambda F, lib: F.lp_pool2d(lib.ones(1, 1, 3, 3), 2, _INT64_OVERFLOW),
    lambda F, lib: F.adaptive_avg_pool1d(lib.ones(1, 1, 3), _INT64_OVERFLOW),
    lambda F, lib: F.adaptive_avg_pool2d(lib.ones(1, 1, 3, 3), _INT64_OVERFLOW),
    lambda F, lib: F.adaptive_max_pool3d(lib.ones(1, 1, 2, 2, 2), _INT64_OVERFLOW),
    lambda F, lib: F.cross_entropy(lib.ones(2, 3), lib.tensor([0, 1]), ignore_index=_INT64_OVERFLOW),
    lambda F, lib: F.nll_loss(lib.ones(2, 3), lib.tensor([0, 1]), ignore_index=-_INT64_OVERFLOW - 1),
    lambda F, lib: F.group_norm(lib.ones(2, 4), _INT64_OVERFLOW),
    lambda F, lib: F.softmax(lib.ones(2, 3), _INT64_OVERFLOW),
    lambda F, lib: F.log_softmax(lib.ones(2, 3), -_INT64_OVERFLOW - 1),
    lambda F, lib: F.glu(lib.ones(2, 4), _INT64_OVERFLOW),
    lambda F, lib: lib.nn.MaxPool2d(_INT64_OVERFLOW)(lib.ones(1, 1, 3, 3)),
    lambda F, lib: F.softmax(lib.ones(2, 3), 2 ** 63 - 1),  # within int64: the dim's own error
])
def test_lone_int_beyond_int64_fails_as_the_parser_unpacks_it(call):
    torch = pytest.importorskip("torch")
    expected = outcome(lambda: call(torch.nn.functional, torch))
    assert isinstance(expected, Raised), expected
    assert outcome(lambda: call(F, torchless)) == expected


@pytest.mark.parametrize("call", [
    lambda F, lib: F.conv2d(lib.ones(1, 1, 3, 3), lib.ones(1, 1, 1, 1), stride=(1, _INT64_OVERFLOW)),
    lambda F, lib: lib.nn.Conv2d(1, 1, 1, padding=(-_INT64_OVERFLOW - 1, 0))(lib.ones(1, 1, 3, 3)),
    lambda F, lib: F.max_pool2d(lib.ones(1, 1, 3, 3), (1, 2 ** 64)),
    lambda F, lib: F.pad(lib.ones(1, 2, 3), (1, _INT64_OVERFLOW)),
    lambda F, lib: F.pad(lib.ones(1, 2, 3), (1, 2.0)),  # (a non-int there keeps its message)
    lambda F, lib: F.layer_norm(lib.ones(2, 3), (_INT64_OVERFLOW,)),
    lambda F, lib: F.unfold(lib.ones(1, 1, 3, 3), _INT64_OVERFLOW),
    lambda F, lib: F.fold(lib.ones(1, 1, 9), (3, _INT64_OVERFLOW), 1),
    lambda F, lib: F.max_unpool2d(lib.ones(1, 1, 3, 3), lib.zeros(1, 1, 3, 3, dtype=lib.long), _INT64_OVERFLOW),
])
def test_list_element_beyond_int64_fails_as_the_parser_unpacks_it(call):
    """PyTorch's message goes on with the C++ stack of the overflow; the rest is compared."""
    torch = pytest.importorskip("torch")
    expected = outcome(lambda: call(torch.nn.functional, torch))
    assert isinstance(expected, Raised), expected
    first_line = expected.message.split("\n")[0]
    overflow = first_line.endswith('"Overflow when unpacking long long')
    assert outcome(lambda: call(F, torchless)) == (expected.type, first_line + '"' if overflow else expected.message)


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.gelu(x, "tanh"),
    lambda lib, x: lib.nn.functional.gelu(x, "none", 1),
    lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"),
    lambda lib, x: lib.nn.functional.gelu(input=x, approximate="none"),
    lambda lib, x: lib.nn.GELU("tanh")(x),
])
def test_gelu_approximate_is_keyword_only(call):
    torch = pytest.importorskip("torch")
    assert_same_outcome(lambda lib: call(lib, lib.linspace(-3, 3, 7)))
    with pytest.raises(TypeError, match=r"^gelu\(\) takes 1 positional argument but 2 were given$"):
        F.gelu(torchless.ones(2), "tanh")


@pytest.mark.parametrize("ignore_index", [[2], [[2]], [2.0], [2, 3], np.array([2], np.uint8), np.array([2], np.int32)])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_loss_ignore_index_takes_a_one_element_integer_tensor(loss, ignore_index):
    torch = pytest.importorskip("torch")
    assert_same_outcome(lambda lib: getattr(lib.nn.functional, loss)(
        lib.arange(6.0).reshape(2, 3) / 6, lib.tensor([0, 2]), ignore_index=lib.tensor(ignore_index)))
    assert_same_outcome(lambda lib: lib.nn.CrossEntropyLoss(ignore_index=lib.tensor(ignore_index), label_smoothing=0.1)(
        lib.arange(6.0).reshape(2, 3) / 6, lib.tensor([0, 2])))
    if np.asarray(ignore_index).size == 1 and np.asarray(ignore_index).dtype.kind in "iu":
        # torch-free: the ignored sample drops out of the mean
        full = F.nll_loss(torchless.tensor([[0.0, -1.0, -2.0], [0.0, -1.0, -2.0]]), torchless.tensor([0, 2]),
                          ignore_index=torchless.tensor(ignore_index))
        assert full.item() == 0.0


@pytest.mark.parametrize("value", [[1], [[1]], [1.0], [1, 2], 1])
@pytest.mark.parametrize("call", [
    lambda lib, v: lib.nn.functional.embedding(lib.tensor([0, 1, 2]), lib.arange(6.0).reshape(3, 2), padding_idx=v),
    lambda lib, v: lib.nn.functional.channel_shuffle(lib.arange(8.0).reshape(1, 4, 2, 1), v + 1),
    lambda lib, v: lib.nn.functional.native_channel_shuffle(lib.arange(8.0).reshape(1, 4, 2, 1), v + 1),
    lambda lib, v: lib.nn.ChannelShuffle(v + 1)(lib.arange(8.0).reshape(1, 4, 2, 1)),
])
def test_symint_arguments_take_a_one_element_integer_tensor(call, value):
    torch = pytest.importorskip("torch")
    assert_same_outcome(lambda lib: call(lib, lib.tensor(value)))


@pytest.mark.parametrize("name", ["cosine_similarity", "pairwise_distance", "pdist"])
@pytest.mark.parametrize("args, kwargs", [
    ((1,), {}), (("a",), {}), ((1.0,), {}), ((None,), {}), ((True,), {}), ((np.float32(1),), {}), ((1, "x"), {}),
    ((1, None), {}), ((), {"dim": "a"}), ((), {"eps": "a"}), ((), {"p": "a"}), ((2.0, 1e-6, "a"), {}),
    ((), {"p": np.bool_(True)}), ((1, 1e-6, True, 5), {}), ((), {"bogus": 1}), ((1,), {"dim": 1}), ((1,), {"p": 1}),
    (([1],), {}), ((2 ** 63,), {}), ((float("inf"),), {}), ((0,), {}), ((-1,), {}),
])
def test_distance_functions_parse_as_pytorchs_native_ones(name, args, kwargs):
    torch = pytest.importorskip("torch")

    def call(lib):
        leading = (lib.arange(6.0).reshape(2, 3) / 5,) + (() if name == "pdist" else (lib.ones(2, 3),))
        given = tuple(lib.tensor(v) if isinstance(v, list) else v for v in args)
        return getattr(lib.nn.functional, name)(*leading, *given, **kwargs)

    assert_same_outcome(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.cosine_similarity(),
    lambda lib: lib.nn.functional.pairwise_distance(lib.ones(2, 3)),
    lambda lib: lib.nn.functional.pdist([1.0]),
    lambda lib: lib.nn.CosineSimilarity(dim=lib.tensor([1]))(lib.ones(2, 3), lib.ones(2, 3)),
    lambda lib: lib.nn.PairwiseDistance(p=lib.tensor([1.0]))(lib.ones(2, 3), lib.ones(2, 3)),
    lambda lib: lib.nn.PairwiseDistance(p=lib.tensor(1.0))(lib.arange(6.0).reshape(2, 3), lib.ones(2, 3)),
    lambda lib: lib.nn.functional.pdist(x1=lib.ones(2, 3), x2=lib.ones(2, 3)),
    lambda lib: lib.nn.functional.pdist(x=lib.arange(6.0).reshape(2, 3)),
    lambda lib: lib.nn.functional.pdist(a=lib.arange(6.0).reshape(2, 3), p=1),
    lambda lib: lib.nn.functional.pdist(x=lib.ones(2, 3), foo=1),
    lambda lib: lib.nn.functional.pdist(lib.ones(2, 3), x=lib.ones(2, 3)),
    lambda lib: lib.nn.functional.cosine_similarity(lib.arange(6.0).reshape(2, 3), lib.ones(2, 3), axis=0),
    lambda lib: lib.nn.functional.pairwise_distance(lib.arange(6.0).reshape(2, 3), lib.ones(2, 3), keepdims=True),
    lambda lib: lib.nn.functional.avg_pool1d(x=lib.arange(4.0).reshape(1, 1, 4), kernel_size=2),
    lambda lib: lib.nn.functional.conv1d(x=lib.arange(4.0).reshape(1, 1, 4), weight=lib.ones(1, 1, 2)),
    lambda lib: lib.nn.functional.conv2d(a=lib.arange(16.0).reshape(1, 1, 4, 4), weight=lib.ones(1, 1, 2, 2),
                                         bias=lib.ones(1)),
])
def test_parser_numpy_names_and_arity(call):
    torch = pytest.importorskip("torch")
    assert_same_outcome(call)


def test_relu_inplace_names_itself():
    torch = pytest.importorskip("torch")
    assert_same_outcome(lambda lib: lib.nn.functional.relu_([1.0]))
    assert_same_outcome(lambda lib: lib.nn.functional.relu_(None))
    assert_same_outcome(lambda lib: lib.nn.functional.relu_(lib.tensor([-1.0, 2.0])))


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {}), ("AdamW", {}),
                                          ("Adam", {"amsgrad": True}), ("RMSprop", {"centered": True}),
                                          ("Adagrad", {}), ("Adadelta", {}), ("Adamax", {}), ("NAdam", {}),
                                          ("RAdam", {}), ("ASGD", {}), ("Rprop", {})])
@pytest.mark.parametrize("saved, loaded", [((2,), (3,)), ((2, 2), (3, 2)), ((2, 3), (2, 4)), ((2, 3), (2, 3))])
def test_optimizer_state_of_other_shapes_fails_at_the_step(name, kwargs, saved, loaded):
    torch = pytest.importorskip("torch")

    def train(lib):
        p = lib.nn.Parameter(lib.ones(saved))
        optimizer = getattr(lib.optim, name)([p], **kwargs)
        p.grad = lib.ones(saved)
        optimizer.step()
        q = lib.nn.Parameter(lib.ones(loaded))
        other = getattr(lib.optim, name)([q], **kwargs)
        other.load_state_dict(optimizer.state_dict())
        q.grad = lib.ones(loaded)
        other.step()
        return q.detach()

    assert_same_outcome(train)
