"""Parity regressions of session 28 (gaps28): index_add on an empty tensor, integer results of index_fill and
masked_fill refused to autograd, and PyTorch's functional optimizer API (torch.optim.sgd.sgd, adam.adam, ...)."""
import pytest

import torchless
from helpers import outcome_named_as_torch, take_steps

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------------- index_add into an empty tensor
@pytest.mark.parametrize("shape, dim, source_shape, alpha, index", [
    ((0, 3), 0, (2, 3), 1, [0, 1]), ((0, 3), 0, (2, 3), 2, [0, 7]), ((3, 0), 1, (3, 2), 1, [0, 1]),
    ((2, 0, 3), 1, (2, 2, 3), 2, [0, 7]), ((0, 2, 3), 1, (0, 2, 3), 1, [0, 9]), ((0,), 0, (2,), 1, [0, 1]),
    ((0, 3), 0, (3, 3), 1, [0, 1]), ((0, 3), 0, (2, 4), 1, [0, 1]), ((2, 0), 0, (2, 0), 1, [0, 5]),
])
@pytest.mark.parametrize("in_place", [False, True])
def test_index_add_into_an_empty_tensor(shape, dim, source_shape, alpha, index, in_place):
    def run(lib):
        def call():
            out = lib.zeros(*shape)
            method = out.index_add_ if in_place else out.index_add
            return tuple(method(dim, lib.tensor(index), lib.ones(*source_shape), alpha=alpha).shape)
        return outcome_named_as_torch(call)
    assert run(torchless) == run(torch)


@pytest.mark.parametrize("shape, dim, source_shape, index", [
    ((0, 3), 0, (2, 3), [0, 1]), ((3, 0), 1, (3, 2), [0, 1]), ((2, 0), 0, (2, 0), [0, 5]), ((2, 0), 0, (2, 0), [0, 1]),
    ((0, 3), 1, (0, 2), [0, 2]),
])
@pytest.mark.parametrize("source_requires_grad", [False, True])
def test_index_add_into_an_empty_tensor_backward(shape, dim, source_shape, index, source_requires_grad):
    def run(lib):
        def call():
            x = lib.zeros(*shape, requires_grad=True)
            source = lib.ones(*source_shape, requires_grad=source_requires_grad)
            x.index_add(dim, lib.tensor(index), source, alpha=2).sum().backward()
            return tuple(x.grad.shape), None if source.grad is None else source.grad.tolist()
        return outcome_named_as_torch(call)
    assert run(torchless) == run(torch)


# ---------------------------------------------------------------------------- integer fills recording a gradient
_FILLED_DTYPES = ["int64", "int32", "uint8", "bool", "float32", "float64", "complex64"]


def _fill(lib, op, dtype, value_requires_grad):
    x = lib.zeros(3, dtype=getattr(lib, dtype))
    value = lib.tensor(1.5, requires_grad=value_requires_grad)
    mask = lib.tensor([True, False, True])
    calls = {"index_fill": lambda: x.index_fill(0, lib.tensor([1]), value),
             "index_fill_": lambda: x.index_fill_(0, lib.tensor([1]), value),
             "torch.index_fill": lambda: lib.index_fill(x, 0, lib.tensor([1]), value),
             "masked_fill": lambda: x.masked_fill(mask, value),
             "masked_fill_": lambda: x.masked_fill_(mask, value),
             "torch.masked_fill": lambda: lib.masked_fill(x, mask, value)}
    result = calls[op]()
    return str(result.dtype).split(".")[-1], result.tolist(), result.requires_grad, type(result.grad_fn).__name__


@pytest.mark.parametrize("op", ["index_fill", "index_fill_", "torch.index_fill", "masked_fill", "masked_fill_",
                                "torch.masked_fill"])
@pytest.mark.parametrize("dtype", _FILLED_DTYPES)
@pytest.mark.parametrize("value_requires_grad", [False, True])
def test_fill_of_an_integer_tensor_with_a_value_requiring_grad(op, dtype, value_requires_grad):
    expected = outcome_named_as_torch(lambda: _fill(torch, op, dtype, value_requires_grad))
    assert outcome_named_as_torch(lambda: _fill(torchless, op, dtype, value_requires_grad)) == expected


def test_fill_of_an_integer_tensor_without_grad_mode_is_not_refused():
    for lib in (torch, torchless):
        with lib.no_grad():
            out = lib.zeros(2, dtype=lib.long).index_fill(0, lib.tensor([1]), lib.tensor(1.5, requires_grad=True))
        assert out.tolist() == [0, 1] and not out.requires_grad


# ---------------------------------------------------------------------------- the functional optimizer API
import importlib  # noqa: E402
import inspect  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import torchless.optim._functional  # noqa: E402, F401

_FUNCTIONAL_NAMES = ["sgd", "adam", "adamw", "rmsprop", "adagrad"]


def _functional(lib, name):
    """``<lib>.optim.<name>.<name>``, imported as PyTorch code imports it (torch.optim drops the submodules'
    names)."""
    return getattr(importlib.import_module(f"{lib.__name__}.optim.{name}"), name)


@pytest.mark.parametrize("name", _FUNCTIONAL_NAMES)
def test_functional_optimizers_have_pytorchs_signatures(name):
    ours, theirs = inspect.signature(_functional(torchless, name)), inspect.signature(_functional(torch, name))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.parameters.values()]
    assert getattr(sys.modules["torchless.optim._functional"], name) is _functional(torchless, name)


_SHAPES = [(3, 4), (5,), (), (2, 0)]

# (class, its arguments, the functional's name, its state lists as the class's state names, its keyword arguments)
_CONFIGS = [
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01), "sgd", ["momentum_buffer"],
     dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01, nesterov=False, maximize=False)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True), "sgd", ["momentum_buffer"],
     dict(lr=0.05, momentum=0.9, dampening=0, weight_decay=0, nesterov=True, maximize=True)),
    ("SGD", dict(lr=0.05), "sgd", ["momentum_buffer"],
     dict(lr=0.05, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)),
    ("Adam", dict(lr=0.01, weight_decay=0.01), "adam", ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"],
     dict(amsgrad=False, beta1=0.9, beta2=0.999, lr=0.01, weight_decay=0.01, eps=1e-8, maximize=False)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), amsgrad=True, maximize=True), "adam",
     ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"],
     dict(amsgrad=True, beta1=0.8, beta2=0.99, lr=0.01, weight_decay=0, eps=1e-8, maximize=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True), "adamw", ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"],
     dict(amsgrad=True, beta1=0.9, beta2=0.999, lr=0.01, weight_decay=0.01, eps=1e-8, maximize=False)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.01), "rmsprop", ["square_avg", "grad_avg", "momentum_buffer", "step"],
     dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.01, momentum=0, centered=False)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, alpha=0.9, maximize=True), "rmsprop",
     ["square_avg", "grad_avg", "momentum_buffer", "step"],
     dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0, momentum=0.5, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.2), "adagrad",
     ["sum", "step"], dict(lr=0.1, weight_decay=0.01, lr_decay=0.1, eps=1e-10, maximize=False)),
    ("Adagrad", dict(lr=0.1, maximize=True), "adagrad", ["sum", "step"],
     dict(lr=0.1, weight_decay=0, lr_decay=0, eps=1e-10, maximize=True)),
]
_FLAGS = {"sgd": [{}, {"foreach": True}, {"foreach": False}, {"fused": True}],
          "adam": [{}, {"foreach": True}, {"foreach": False}, {"fused": True}],
          "adamw": [{}, {"foreach": True}, {"fused": True}],
          "rmsprop": [{}, {"foreach": True}, {"foreach": False}],
          "adagrad": [{}, {"foreach": True}, {"foreach": False}, {"fused": True}]}
_CASES = [(config, flags) for config in _CONFIGS for flags in _FLAGS[config[2]]]


def _data(dtype, steps=20):
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(shape).astype(dtype) for shape in _SHAPES]
    grads = [[rng.standard_normal(shape).astype(dtype) for shape in _SHAPES] for _ in range(steps)]
    return params, grads


def _state_lists(lib, name, state_names, params, class_kwargs, fused, amsgrad):
    """The functional's state lists for fresh ``params``, as the class starts them."""
    def fresh(state_name):
        if state_name == "step":  # (fused kernels count in float32, the others in the default dtype's)
            return [lib.tensor(0.0, dtype=lib.float32 if fused else lib.get_default_dtype()) for _ in params]
        if state_name == "momentum_buffer" and name == "sgd":
            return [None for _ in params]
        if state_name == "max_exp_avg_sq" and not amsgrad:
            return []
        value = class_kwargs.get("initial_accumulator_value", 0) if state_name == "sum" else 0
        return [lib.full_like(p, value) for p in params]
    return {state_name: fresh(state_name) for state_name in state_names}


def _functional_run(lib, config, flags, dtype):
    class_name, class_kwargs, name, state_names, kwargs = config
    arrays, grads = _data(dtype)
    params = [lib.tensor(a.copy()) for a in arrays]
    states = _state_lists(lib, name, state_names, params, class_kwargs, flags.get("fused"), kwargs.get("amsgrad"))
    order = {"sgd": ["momentum_buffer"], "adam": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"],
             "adamw": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"],
             "rmsprop": ["square_avg", "grad_avg", "momentum_buffer", "step"], "adagrad": ["sum", "step"]}[name]
    for step_grads in grads:
        _functional(lib, name)(params, [lib.tensor(g.copy()) for g in step_grads], *(states[s] for s in order),
                               **flags, **kwargs)
    return [p.numpy() for p in params], states


def _class_run(config, flags, dtype):
    class_name, class_kwargs, *_ = config
    arrays, grads = _data(dtype)
    params = [torchless.tensor(a.copy(), requires_grad=True) for a in arrays]
    optimizer = getattr(torchless.optim, class_name)(params, **class_kwargs, **flags)
    take_steps(torchless, optimizer, params, grads)
    return [p.detach().numpy() for p in params], optimizer.state, params


@pytest.mark.parametrize("config, flags", _CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_optimizers_update_as_the_classes_bit_for_bit(config, flags, dtype):
    got, states = _functional_run(torchless, config, flags, dtype)
    expected, class_state, params = _class_run(config, flags, dtype)
    for have, want in zip(got, expected):
        np.testing.assert_array_equal(have, want)
    for state_name, tensors in states.items():
        for i, tensor in enumerate(tensors):
            want = class_state[params[i]].get(state_name)
            if want is None:  # (a state the options leave out: the caller's list stays as given)
                continue
            assert tensor.dtype == want.dtype
            np.testing.assert_array_equal(tensor.numpy(), want.numpy())


@pytest.mark.parametrize("config, flags", _CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_optimizers_update_as_pytorchs(config, flags, dtype):
    got, our_states = _functional_run(torchless, config, flags, dtype)
    expected, their_states = _functional_run(torch, config, flags, dtype)
    # SGD to the bit; the others' last bits follow their classes' (their vectorized kernels round a few elements
    # apart), compared to a few ulps
    exact = config[2] == "sgd"
    tolerance = dict(rtol=0, atol=0) if exact else dict(rtol=2e-6 if dtype == np.float32 else 1e-14, atol=1e-7
                                                        if dtype == np.float32 else 1e-15)
    for have, want in zip(got, expected):
        np.testing.assert_allclose(have, want, **tolerance)
    for state_name in our_states:
        ours, theirs = our_states[state_name], their_states[state_name]
        assert [t is None for t in ours] == [t is None for t in theirs]
        for mine, their in zip(ours, theirs):
            if mine is not None:
                assert str(mine.dtype) == str(their.dtype).replace("torch", "torchless")
                assert mine.shape == tuple(their.shape)
                np.testing.assert_allclose(mine.numpy(), their.numpy(), **tolerance)


@pytest.mark.parametrize("maximize, weight_decay", [(False, 0), (True, 0), (False, 0.1)])
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("buffers", ["new", "given"])
def test_functional_sgd_momentum_buffers_and_nesterov_gradients_as_pytorchs(maximize, weight_decay, foreach,
                                                                              buffers):
    def run(lib):
        params = [lib.ones(3), lib.tensor(2.0)]
        grads = [lib.tensor([1.0, 2.0, 3.0]), lib.tensor(3.0)]
        bufs = [None, None] if buffers == "new" else [lib.tensor([0.5, 0.25, 0.0]), lib.tensor(1.0)]
        _functional(lib, "sgd")(params, grads, bufs, foreach=foreach, weight_decay=weight_decay, momentum=0.9,
                                lr=0.1, dampening=0, nesterov=True, maximize=maximize)
        return [[t.tolist() for t in tensors] for tensors in (params, grads, bufs)] + [bufs[0] is grads[0]]
    assert run(torchless) == run(torch)


def _error_calls(lib):
    F = sys.modules[f"{lib.__name__}.optim._functional"]
    ones = lambda: [lib.ones(3)]  # noqa: E731
    step = lambda: [lib.tensor(0.0)]  # noqa: E731
    adam_kwargs = dict(amsgrad=False, beta1=0.9, beta2=0.999, lr=0.01, weight_decay=0, eps=1e-8, maximize=False)
    rmsprop_kwargs = dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)
    adagrad_kwargs = dict(lr=0.1, weight_decay=0, lr_decay=0, eps=1e-10, maximize=False)
    sgd_kwargs = dict(weight_decay=0, momentum=0.9, lr=0.1, dampening=0, nesterov=False, maximize=False)
    return {
        "adam int steps": lambda: F.adam(ones(), ones(), ones(), ones(), ones(), [0], **adam_kwargs),
        "adamw float steps": lambda: F.adamw(ones(), ones(), ones(), ones(), ones(), [1.0], **adam_kwargs),
        "rmsprop int steps": lambda: F.rmsprop(ones(), ones(), ones(), ones(), ones(), [0], **rmsprop_kwargs),
        "adagrad int steps": lambda: F.adagrad(ones(), ones(), ones(), [0], **adagrad_kwargs),
        "adam capturable": lambda: F.adam(ones(), ones(), ones(), ones(), ones(), step(), capturable=True,
                                          **adam_kwargs),
        "adam capturable foreach": lambda: F.adam(ones(), ones(), ones(), ones(), ones(), step(), capturable=True,
                                                  foreach=True, **adam_kwargs),
        "adam capturable no params": lambda: F.adam([], [], [], [], [], [], capturable=True, foreach=True,
                                                    **adam_kwargs),
        "adam tensor lr foreach": lambda: F.adam(ones(), ones(), ones(), ones(), ones(), step(), foreach=True,
                                                 **{**adam_kwargs, "lr": lib.tensor(0.1)}),
        "adam tensor beta2 foreach": lambda: F.adam(ones(), ones(), ones(), ones(), ones(), step(), foreach=True,
                                                    **{**adam_kwargs, "beta2": lib.tensor(0.9)}),
        "adam grad_scale": lambda: F.adam(ones(), ones(), ones(), ones(), ones(), step(),
                                          grad_scale=lib.tensor(1.0), **adam_kwargs),
        "adam differentiable foreach": lambda: F.adam(ones(), ones(), ones(), ones(), ones(), step(),
                                                      differentiable=True, foreach=True, **adam_kwargs),
        "adam differentiable fused": lambda: F.adam(ones(), ones(), ones(), ones(), ones(), step(),
                                                    differentiable=True, fused=True, **adam_kwargs),
        "adam fused max_exp_avg_sqs": lambda: F.adam(ones(), ones(), ones(), ones(), ones(), step(), fused=True,
                                                     **adam_kwargs),
        "adam fused amsgrad without them": lambda: F.adam(ones(), ones(), ones(), ones(), [], step(), fused=True,
                                                          **{**adam_kwargs, "amsgrad": True}),
        "adam amsgrad without them": lambda: F.adam(ones(), ones(), ones(), ones(), [], step(),
                                                    **{**adam_kwargs, "amsgrad": True}),
        "adam short grads": lambda: F.adam(ones(), [], ones(), ones(), ones(), step(), **adam_kwargs),
        "adam missing keywords": lambda: F.adam(ones(), ones(), ones(), ones(), ones(), step(), lr=0.1),
        "rmsprop capturable": lambda: F.rmsprop(ones(), ones(), ones(), ones(), ones(), step(), capturable=True,
                                                **rmsprop_kwargs),
        "rmsprop differentiable foreach": lambda: F.rmsprop(ones(), ones(), ones(), ones(), ones(), step(),
                                                            differentiable=True, foreach=True, **rmsprop_kwargs),
        "adagrad grad_scale": lambda: F.adagrad(ones(), ones(), ones(), step(), grad_scale=lib.tensor(1.0),
                                                **adagrad_kwargs),
        "adagrad differentiable foreach": lambda: F.adagrad(ones(), ones(), ones(), step(), differentiable=True,
                                                            foreach=True, **adagrad_kwargs),
        "adagrad fused complex": lambda: F.adagrad(ones(), ones(), ones(), step(), fused=True, has_complex=True,
                                                   **adagrad_kwargs),
        "adagrad fused differentiable": lambda: F.adagrad(ones(), ones(), ones(), step(), fused=True,
                                                          differentiable=True, **adagrad_kwargs),
        "sgd found_inf": lambda: F.sgd(ones(), ones(), [None], found_inf=lib.tensor(0.0), **sgd_kwargs),
        "sgd found_inf foreach": lambda: F.sgd(ones(), ones(), [None], found_inf=lib.tensor(0.0), foreach=True,
                                               **sgd_kwargs),
        "sgd short buffers": lambda: F.sgd(ones(), ones(), [], **sgd_kwargs),
        "sgd missing keyword": lambda: F.sgd(ones(), ones(), [None],
                                             **{k: v for k, v in sgd_kwargs.items() if k != "maximize"}),
    }


@pytest.mark.parametrize("case", list(_error_calls(torch)))
def test_functional_optimizer_errors_as_pytorchs(case):
    def run(lib):
        outcome = outcome_named_as_torch(_error_calls(lib)[case])
        return outcome if isinstance(outcome, tuple) else "returned"
    assert run(torchless) == run(torch)


@pytest.mark.parametrize("step_dtype", ["int64", "float64", "float32"])
def test_functional_adam_steps_are_counted_in_place_in_their_dtype(step_dtype):
    def run(lib):
        steps = [lib.tensor(3, dtype=getattr(lib, step_dtype))]
        original = steps[0]
        _functional(lib, "adam")([lib.ones(2)], [lib.ones(2)], [lib.zeros(2)], [lib.zeros(2)], [], steps,
                                 amsgrad=False, beta1=0.9, beta2=0.999, lr=0.1, weight_decay=0, eps=1e-8,
                                 maximize=False)
        return steps[0] is original, str(steps[0].dtype).split(".")[-1], steps[0].item()
    assert run(torchless) == run(torch)


_DIFFERENTIABLE_CASES = [
    ("adam", dict(amsgrad=False, beta1=0.9, beta2=0.999, lr=0.01, weight_decay=0.1, eps=1e-8, maximize=False)),
    ("adam", dict(amsgrad=True, beta1=0.9, beta2=0.999, lr=0.01, weight_decay=0.1, eps=1e-8, maximize=True)),
    ("adamw", dict(amsgrad=False, beta1=0.9, beta2=0.999, lr=0.01, weight_decay=0.1, eps=1e-8, maximize=False)),
    ("rmsprop", dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.1, momentum=0.5, centered=True)),
    ("rmsprop", dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0, momentum=0, centered=False)),
    ("adagrad", dict(lr=0.1, weight_decay=0.1, lr_decay=0.1, eps=1e-10, maximize=True)),
]


@pytest.mark.parametrize("name, kwargs", _DIFFERENTIABLE_CASES)
@pytest.mark.parametrize("through_params", [False, True])
def test_functional_optimizers_differentiable_as_pytorchs(name, kwargs, through_params):
    """differentiable=True: the for-loop under autograd, the updates differentiable in the parameters' history (or
    failing as PyTorch's where an in-place update overwrites what a backward needs)."""
    def run(lib):
        rng = np.random.default_rng(0)
        weight = lib.tensor(rng.standard_normal(4), requires_grad=through_params)
        params = [weight.clone() if through_params else weight]
        steps = [lib.tensor(0.0, dtype=lib.float64)]
        zeros = lambda: [lib.zeros(4, dtype=lib.float64)]  # noqa: E731
        lists = {"adam": (zeros(), zeros(), zeros() if kwargs.get("amsgrad") else [], steps),
                 "rmsprop": (zeros(), zeros(), zeros(), steps), "adagrad": (zeros(), steps)}[name.rstrip("w")]
        for _ in range(3):
            grads = [lib.tensor(rng.standard_normal(4)) * (params[0] if through_params else 1)]
            _functional(lib, name)(params, grads, *lists, differentiable=True, **kwargs)
        out = [params[0].detach().numpy(), steps[0].item(), params[0].requires_grad]
        if through_params:
            params[0].sum().backward()
            out.append(weight.grad.numpy())
        return out

    expected, got = outcome_named_as_torch(lambda: run(torch)), outcome_named_as_torch(lambda: run(torchless))
    if isinstance(expected, tuple) and isinstance(expected[0], str):  # an error
        assert got == expected
        return
    assert got[1:3] == expected[1:3]
    for have, want in zip(got[:1] + got[3:], expected[:1] + expected[3:]):
        np.testing.assert_allclose(have, want, rtol=1e-12, atol=1e-15)
