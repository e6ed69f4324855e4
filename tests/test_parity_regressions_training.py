"""Differences from PyTorch found by a differential fuzz of the training surface, each compared with torch.

* nn.Module: get_submodule / get_parameter / get_buffer and their AttributeErrors; Sequential and ModuleList
  item assignment of a non-module;
* optimizers: the key order of RMSprop's, Adadelta's and RAdam's param groups (a state_dict shows it); RMSprop
  with alpha > 1 is NaN silently;
* Tensor.grad assignment: PyTorch's type, dtype and size checks; einsum's gradient of a 0-d operand;
* utils.data: randperm's argument checks (random_split with float lengths), WeightedRandomSampler's distribution
  checks and its draws without replacement;
* autograd switches: requires_grad / requires_grad_ / set_grad_enabled refusing non-bools, ``@no_grad`` without
  parentheses, topk's ``k``.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_error, outcome

torch = pytest.importorskip("torch")


def _as_torchless_message(message):
    """PyTorch's message with its types named as torchless's: ``torch.`` read as ``torchless.``, and the C type
    torch._C.Generator (torch.Generator) as torchless.Generator."""
    return message.replace("torch._C.", "torch.").replace("torch.", "torchless.")


def assert_same_outcome(fn, compare=lambda theirs, ours: theirs == ours):
    """``fn(lib)`` raises the same error in both libraries (named as ``_as_torchless_message`` says), or
    returns results for which ``compare(torch's, torchless's)`` holds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, actual = outcome(lambda: fn(torch)), outcome(lambda: fn(torchless))
    if isinstance(expected, Raised):
        assert actual == (expected.type, _as_torchless_message(expected.message)), actual
        return
    assert not isinstance(actual, Raised), actual
    assert compare(expected, actual), (expected, actual)


# ---------------------------------------------------------------------------- nn.Module
def _net(lib):
    net = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2), lib.nn.Sequential(lib.nn.ReLU()))
    net.head = lib.nn.Linear(2, 3)
    net.scale = 2.0
    return net


@pytest.mark.parametrize("method", ["get_submodule", "get_parameter", "get_buffer"])
@pytest.mark.parametrize("target", ["", "0", "0.weight", "1.running_mean", "1.num_batches_tracked", "head.bias",
                                    "2.0", "nothing", "5.weight", "head.nothing", "2.0.x", "scale", "head.weight.x",
                                    "1.training"])
def test_get_submodule_parameter_buffer(method, target):
    def describe(result):
        return type(result).__name__, tuple(getattr(result, "shape", ()))

    assert_same_outcome(lambda lib: describe(getattr(_net(lib), method)(target)))


@pytest.mark.parametrize("container", ["Sequential", "ModuleList"])
@pytest.mark.parametrize("value", [3, "relu", None, [1]])
def test_container_item_assignment_of_a_non_module(container, value):
    def assign(lib):
        modules = getattr(lib.nn, container)(lib.nn.ReLU(), lib.nn.Tanh()) if container == "Sequential" else \
            lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.Tanh()])
        modules[-1] = value
        return [type(m).__name__ for m in modules._modules.values()]

    assert_same_outcome(assign)


# ---------------------------------------------------------------------------- optimizers
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
                                  "ASGD", "Rprop"])
def test_param_group_keys_in_pytorch_order(name):
    def keys(lib):
        optimizer = getattr(lib.optim, name)([lib.nn.Parameter(lib.ones(2))], lr=0.1)
        return list(optimizer.defaults), list(optimizer.state_dict()["param_groups"][0])

    assert_same_outcome(keys)


def test_rmsprop_negative_average_is_nan_silently():
    def steps(lib):
        param = lib.nn.Parameter(lib.ones(3))
        optimizer = lib.optim.RMSprop([param], alpha=1.5, centered=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(2):
                param.grad = lib.full((3,), 2.0)
                optimizer.step()
        return np.isnan(param.detach().numpy()).tolist(), [str(w.message) for w in caught]

    assert_same_outcome(steps)


# ---------------------------------------------------------------------------- Tensor.grad
@pytest.mark.parametrize("grad", [
    lambda lib: lib.ones(3, dtype=lib.float64), lambda lib: lib.ones(2, dtype=lib.float64),
    lambda lib: lib.ones(2, dtype=lib.float16), lambda lib: lib.ones(2, dtype=lib.int64),
    lambda lib: lib.ones(2, dtype=lib.bool), lambda lib: lib.ones(3), lambda lib: lib.ones(1), lambda lib: lib.ones(2, 2),
    lambda lib: lib.ones(()), lambda lib: np.ones(2, np.float32), lambda lib: [1.0, 1.0], lambda lib: 3,
    lambda lib: None, lambda lib: lib.full((2,), 5.0),
])
def test_grad_assignment_is_checked(grad):
    def assign(lib):
        param = lib.nn.Parameter(lib.zeros(2))
        param.grad = grad(lib)
        return None if param.grad is None else param.grad.tolist()

    assert_same_outcome(assign)


def test_grad_assignment_refuses_the_tensor_itself_and_can_be_deleted():
    def assign(lib):
        param = lib.nn.Parameter(lib.zeros(2))
        param.grad = lib.ones(2)
        del param.grad
        assert param.grad is None
        param.grad = param

    assert_same_error(lambda: assign(torch), lambda: assign(torchless))


def test_optimizer_step_with_a_wrong_gradient_fails_at_the_assignment():
    def step(lib):
        param = lib.nn.Parameter(lib.zeros(3, 2))
        optimizer = lib.optim.Adam([param], lr=0.1)
        param.grad = lib.ones(3, 2, dtype=lib.float64)
        optimizer.step()

    assert_same_error(lambda: step(torch), lambda: step(torchless))


@pytest.mark.parametrize("equation, shapes", [(",->", [(), ()]), ("i,->i", [(3,), ()]), ("->", [()]), ("ij,->", [(2, 3), ()])])
def test_einsum_gradient_of_a_0d_operand_is_0d(equation, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]

    def gradients(lib):
        tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
        lib.einsum(equation, *tensors).sum().backward()
        return [t.grad.numpy() for t in tensors]

    for theirs, ours in zip(gradients(torch), gradients(torchless), strict=True):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


# ---------------------------------------------------------------------------- utils.data
@pytest.mark.parametrize("n", [10.0, "a", True, -1, 0, np.int64(3)])
@pytest.mark.parametrize("keywords", [{}, {"generator": "G"}])
def test_randperm_argument_checks(n, keywords):
    def call(lib):
        kwargs = {k: lib.Generator().manual_seed(0) if v == "G" else v for k, v in keywords.items()}
        return tuple(lib.randperm(n, **kwargs).shape)

    assert_same_outcome(call)


@pytest.mark.parametrize("lengths", [[5.0, 5.0], [3, 7], [0.3, 0.7], [3, 6]])
def test_random_split_lengths(lengths):
    assert_same_outcome(lambda lib: [len(s) for s in lib.utils.data.random_split(range(10), lengths)])


@pytest.mark.parametrize("weights", [[-0.1, 0.9], [np.inf, 1.0], [np.nan, 1.0], [1.0, np.nan], [np.inf, -1.0],
                                     [1.0, -np.inf], [0.0, 0.0], [], [1.0], [0.0, 1.0, 0.0], [1e308, 1e308]])
@pytest.mark.parametrize("num_samples", [1, 2, 4])
@pytest.mark.parametrize("replacement", [True, False])
def test_weighted_random_sampler_checks_the_distribution(weights, num_samples, replacement):
    def draw(lib):
        sampler = lib.utils.data.WeightedRandomSampler(weights, num_samples, replacement=replacement,
                                                       generator=lib.Generator().manual_seed(0))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            drawn = list(sampler)
        return len(drawn), [str(w.message) for w in caught]

    assert_same_outcome(draw)


def test_weighted_sampling_without_replacement_draws_zero_weights_last():
    weights = [0.0, 3.0, 0.0, 1.0]

    def draw(lib):
        drawn = list(lib.utils.data.WeightedRandomSampler(weights, 4, replacement=False,
                                                          generator=lib.Generator().manual_seed(1)))
        return sorted(drawn), sorted(drawn[:2]), sorted(drawn[2:])

    assert_same_outcome(draw)


# ---------------------------------------------------------------------------- autograd switches, topk
@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2).requires_grad_(1),
    lambda lib: lib.ones(2).requires_grad_(None),
    lambda lib: lib.ones(2).requires_grad_("yes"),
    lambda lib: setattr(lib.ones(2), "requires_grad", 1),
    lambda lib: lib.set_grad_enabled(1),
    lambda lib: lib.set_grad_enabled(None),
    lambda lib: lib.ones(3).topk(2.0),
    lambda lib: lib.ones(3).topk(True),
    lambda lib: lib.ones(3).topk("a"),
    lambda lib: lib.ones(3).topk(None),
    lambda lib: lib.ones(3).topk(lib.tensor(1.0)),
])
def test_argument_types_of_autograd_switches_and_topk(call):
    assert_same_error(lambda: call(torch), lambda: call(torchless))


@pytest.mark.parametrize("k", [lambda lib: np.int64(2), lambda lib: lib.tensor(2), lambda lib: 0])
def test_topk_takes_integer_like_k(k):
    assert_same_outcome(lambda lib: lib.arange(5.0).topk(k(lib)).values.tolist())


@pytest.mark.parametrize("mode", ["no_grad", "enable_grad"])
def test_grad_modes_decorate_without_parentheses(mode):
    def call(lib):
        @getattr(lib, mode)
        def recorded(x):
            return (x * 2).requires_grad, lib.is_grad_enabled()

        with lib.set_grad_enabled(mode == "no_grad"):
            inside = recorded(lib.ones(2, requires_grad=True))
            return inside, lib.is_grad_enabled(), recorded.__name__

    assert_same_outcome(call)
