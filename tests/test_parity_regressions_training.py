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
    """PyTorch's message with its types named as torchless's: ``torch.`` read as ``torchless.`` (the C type
    torch._C.Generator, torch.Generator's own name, as torchless._C.Generator)."""
    return message.replace("torch.", "torchless.")


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


# ---------------------------------------------------------------------------- optimizer flags: fused / foreach / ...
# PyTorch's CPU optimizers take fused=True (Adam, AdamW, SGD, Adagrad) and foreach=True/False: another kernel for the
# same update. capturable=True and differentiable=True fail when step() runs, each optimizer with its own message.
FUSED_CASES = [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3, maximize=True)),
    ("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)), ("AdamW", dict(lr=0.1, amsgrad=True, weight_decay=0.3)),
    ("Adagrad", dict(lr=0.1)), ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2)),
]


@pytest.mark.parametrize("name, options", FUSED_CASES)
@pytest.mark.parametrize("flags", [dict(fused=True), dict(fused=True, foreach=False), dict(foreach=True),
                                   dict(foreach=False, fused=False)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_and_foreach_optimizers_match_torch(name, options, flags, dtype):
    from helpers import optimizer_problem, run_optimizer
    initial, grads = optimizer_problem(dtype, seed=7, steps=6)
    theirs, their_opt = run_optimizer(torch, name, {**options, **flags}, initial, grads)
    ours, our_opt = run_optimizer(torchless, name, {**options, **flags}, initial, grads)
    rtol, atol = (2e-6, 1e-7) if dtype == np.float32 else (1e-13, 1e-15)
    for t, o in zip(theirs, ours):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    expected, actual = their_opt.state_dict(), our_opt.state_dict()
    assert actual["param_groups"] == expected["param_groups"]
    for index, their_state in expected["state"].items():
        our_state = actual["state"][index]
        assert list(our_state) == list(their_state)
        for key, value in their_state.items():
            assert str(our_state[key].dtype) == str(value.dtype).replace("torch.", "torchless."), key
            np.testing.assert_allclose(our_state[key].numpy(), value.numpy(), rtol=rtol * 10, atol=atol)
    assert repr(our_opt) == repr(their_opt)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_step_counters_stay_float32_under_a_float64_default(name):
    def steps(lib):
        previous = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            p = lib.nn.Parameter(lib.ones(3))
            optimizer = getattr(lib.optim, name)([p], lr=0.1, fused=True)
            p.grad = lib.ones(3)
            optimizer.step()
            return {k: str(v.dtype).split(".")[-1] for k, v in optimizer.state_dict()["state"][0].items()}
        finally:
            lib.set_default_dtype(previous)
    assert_same_outcome(steps)


FLAG_COMBOS = [dict(fused=True), dict(fused=False), dict(foreach=True), dict(foreach=False),
               dict(fused=True, foreach=True), dict(fused=True, foreach=False), dict(fused=False, foreach=True),
               dict(capturable=True), dict(differentiable=True), dict(fused=True, differentiable=True),
               dict(fused=True, capturable=True), dict(capturable=True, foreach=True),
               dict(foreach=True, differentiable=True), dict(capturable=True, differentiable=True),
               dict(capturable=True, differentiable=True, foreach=True)]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam",
                                  "RAdam", "Rprop", "ASGD"])
@pytest.mark.parametrize("flags", FLAG_COMBOS)
@pytest.mark.parametrize("requires_grad", [True, False])
def test_optimizer_flags_are_taken_or_refused_as_in_torch(name, flags, requires_grad):
    """Constructor errors (unknown keyword, fused with foreach or differentiable), step() errors (capturable on the
    CPU, foreach with differentiable, in-place update of a leaf under differentiable), else the same update."""
    def run(lib):
        params = [lib.nn.Parameter(lib.ones(2), requires_grad=requires_grad),
                  lib.nn.Parameter(lib.ones(3), requires_grad=requires_grad)]
        optimizer = getattr(lib.optim, name)(params, **flags)
        rng = np.random.default_rng(3)
        for _ in range(3):
            for p in params:
                p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))
            optimizer.step()
        groups = optimizer.state_dict()["param_groups"]
        return repr(optimizer), groups, [p.detach().numpy().copy() for p in params]

    def same(theirs, ours):  # foreach kernels round differently from the for-loop one (ASGD's, by an ulp)
        return theirs[:2] == ours[:2] and all(np.allclose(o, t, rtol=1e-6, atol=0) for t, o in zip(theirs[2], ours[2]))
    assert_same_outcome(run, same)


def test_fused_refuses_integer_parameters_as_torch():
    def run(lib):
        p = lib.nn.Parameter(lib.ones(2, dtype=lib.int64), requires_grad=False)
        optimizer = lib.optim.Adam([p], fused=True)
        p.grad = lib.ones(2, dtype=lib.int64)
        optimizer.step()
    assert isinstance(outcome(lambda: run(torch)), Raised)
    assert_same_outcome(run)


def test_differentiable_takes_non_leaf_parameters_and_fused_then_refuses_it():
    def run(lib, **flags):
        p = lib.ones(2, requires_grad=True) * 2
        return lib.optim.SGD([p], lr=0.1, **flags).param_groups[0]["differentiable"]
    assert_same_outcome(lambda lib: run(lib, fused=True))
    assert_same_outcome(lambda lib: run(lib, fused=True, differentiable=True))
    assert_same_outcome(lambda lib: run(lib, differentiable=True))


# ---------------------------------------------------------------------------- parser errors of binary operands
BAD_OPERANDS = ["a", (2,), [1.0], None, object()]


def _operand_id(operand):
    """A test id the same in every process (a bare object's repr holds its address: pytest-xdist's workers must
    collect the same ids)."""
    return "object()" if type(operand) is object else repr(operand)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge", "maximum", "minimum"])
@pytest.mark.parametrize("bad", BAD_OPERANDS, ids=_operand_id)
def test_method_with_an_operand_neither_tensor_nor_number_raises_torchs_type_error(op, bad):
    assert isinstance(outcome(lambda: getattr(torch.ones(2), op)(bad)), Raised)
    assert_same_outcome(lambda lib: getattr(lib.ones(2), op)(bad))


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge", "maximum", "minimum", "add", "sub", "mul", "div"])
@pytest.mark.parametrize("bad", BAD_OPERANDS, ids=_operand_id)
def test_function_form_with_a_bad_operand_raises_torchs_type_error(op, bad):
    """The function forms: comparisons list their overloads, the others name ``other`` at position 2."""
    assert isinstance(outcome(lambda: getattr(torch, op)(torch.ones(2), bad)), Raised)
    assert_same_outcome(lambda lib: getattr(lib, op)(lib.ones(2), bad))


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_function_with_a_bad_input_and_the_operators_stay_as_torch(op):
    assert_same_outcome(lambda lib: getattr(lib, op)("a", lib.ones(2)))
    assert_same_outcome(lambda lib: (lib.ones(2) == "a", lib.ones(2) != None))  # noqa: E711 - the operator itself
    assert_same_outcome(lambda lib: getattr(lib, op)(lib.tensor([1.0, 3.0]), 2).tolist())


# ---------------------------------------------------------------------------- parser errors of max/min, where, ...
BAD_CALLS = {
    "max_float": lambda L, t, c: t.max(1.0),
    "max_str": lambda L, t, c: t.max("a"),
    "max_none": lambda L, t, c: t.max(None),
    "max_bool": lambda L, t, c: t.max(True),
    "max_dim_float": lambda L, t, c: t.max(dim=1.5),
    "max_keepdim_alone": lambda L, t, c: t.max(keepdim=True),
    "max_keepdim_str": lambda L, t, c: t.max(0, "x"),
    "max_keepdim_float_keyword": lambda L, t, c: t.max(0, keepdim=1.0),
    "max_unknown_keyword": lambda L, t, c: t.max(foo=1),
    "max_too_many": lambda L, t, c: t.max(0, True, 1),
    "min_float": lambda L, t, c: t.min(1.0),
    "min_dim_str": lambda L, t, c: t.min(dim="a"),
    "function_max_float": lambda L, t, c: L.max(t, 1.0),
    "function_max_str": lambda L, t, c: L.max(t, "a"),
    "function_max_keepdim_str": lambda L, t, c: L.max(t, 0, "x"),
    "function_min_dim_float": lambda L, t, c: L.min(t, dim=1.5),
    "argmax_float": lambda L, t, c: t.argmax(1.5),
    "argmin_dim_float": lambda L, t, c: t.argmin(dim=1.5),
    "argmax_keepdim_str": lambda L, t, c: t.argmax(0, "x"),
    "function_argmax_float": lambda L, t, c: L.argmax(t, 1.5),
    "function_argmin_dim_str": lambda L, t, c: L.argmin(t, dim="a"),
    "where_str_input": lambda L, t, c: L.where(c, "a", 1),
    "where_str_other": lambda L, t, c: L.where(c, t, "a"),
    "where_tuple_input": lambda L, t, c: L.where(c, (1,), t),
    "method_where_str_other": lambda L, t, c: t.where(c, "a"),
    "method_where_str_condition": lambda L, t, c: t.where("a", 1),
    "pow_str": lambda L, t, c: t.pow("a"),
    "pow_tuple": lambda L, t, c: t.pow((1,)),
    "function_pow_str": lambda L, t, c: L.pow(t, "a"),
    "function_pow_str_base": lambda L, t, c: L.pow("a", t),
    "remainder_str": lambda L, t, c: t.remainder("a"),
    "remainder_tuple": lambda L, t, c: t.remainder((1,)),
    "function_remainder_str": lambda L, t, c: L.remainder(t, "a"),
    "fmod_str": lambda L, t, c: t.fmod("a"),
    "fmod_tuple": lambda L, t, c: t.fmod((1, 2)),
    "function_fmod_str": lambda L, t, c: L.fmod(t, "a"),
    "function_fmod_number_input": lambda L, t, c: L.fmod(2, t),
    "index_str": lambda L, t, c: t["a"],
    "index_str_in_tuple": lambda L, t, c: t[None, "a"],
}


def _bad_call_operands(lib):
    return lib.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]]), lib.tensor([True, False, True])


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_arguments_of_max_min_where_pow_and_indexing_raise_torchs_type_error(call):
    assert_same_error(lambda: call(torch, *_bad_call_operands(torch)),
                      lambda: call(torchless, *_bad_call_operands(torchless)))


GOOD_CALLS = {
    "max_other_keyword": lambda L, t, c: t.max(other=t * 0 + 3).tolist(),
    "function_pow_number_base": lambda L, t, c: L.pow(2, t).tolist(),
    "function_remainder_number_dividend": lambda L, t, c: L.remainder(7, t).tolist(),
}


@pytest.mark.parametrize("call", GOOD_CALLS.values(), ids=GOOD_CALLS.keys())
def test_max_min_argmax_pow_remainder_accept_what_torch_accepts(call):
    assert_same_outcome(lambda lib: call(lib, *_bad_call_operands(lib)))
