"""Autograd's safety checks against PyTorch: version counters and in-place changes of saved tensors, in-place ops on
leaves and their views, detach_ on views, and .grad of non-leaf tensors.

Each case is a function of the library (torch or torchless) returning the gradients it computed, as arrays; both
libraries must give the same ones, or raise the same error.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_error, outcome

torch = pytest.importorskip("torch")


def same_outcome(case):
    """``case(torch)`` and ``case(torchless)`` return the same arrays, or raise the same error."""
    expected = outcome(lambda: case(torch))
    if isinstance(expected, Raised):
        assert_same_error(lambda: case(torch), lambda: case(torchless))
        return
    actual = case(torchless)
    assert len(actual) == len(expected)
    for ours, theirs in zip(actual, expected):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6, atol=1e-6)


def grad_of(w):
    return w.grad.numpy().copy()


def leaf(L, *shape, dtype=None):
    return L.arange(float(np.prod(shape)), dtype=dtype or L.float32).reshape(shape).add(1).requires_grad_()


# ---------------------------------------------------------------------------- a saved tensor changed in place
def relu_on_saved_output(L):
    w = leaf(L, 3, 4)
    y = (w - 5).sigmoid()  # saves its output
    y.relu_()
    y.sum().backward()
    return [grad_of(w)]


def relu_on_relu_output(L):
    w = leaf(L, 3, 4)
    x = w.relu()
    x.add_(1)
    x.sum().backward()
    return [grad_of(w)]


def add_on_saved_plain_input(L):
    w = leaf(L, 3)
    x = L.ones(3)
    y = w * x  # saves x for w's gradient
    x.add_(1)
    y.sum().backward()
    return [grad_of(w)]


def mul_on_saved_nonleaf_input(L):
    w = leaf(L, 4)
    x = w * 2
    y = x.log()  # saves x
    x.mul_(3)
    y.sum().backward()
    return [grad_of(w)]


def iadd_on_saved_input_twice(L):
    w = leaf(L, 4)
    x = w * 2
    x += 1
    y = x * x
    x += 1
    y.sum().backward()
    return [grad_of(w)]


def setitem_on_saved_output(L):
    w = leaf(L, 4)
    y = (w / 4).tanh()
    y[1] = 5
    y.sum().backward()
    return [grad_of(w)]


def setitem_on_unsaved_input(L):
    w = leaf(L, 4)
    x = w * 2
    y = x.sigmoid()  # saves its output, not x
    x[1] = 5
    y.sum().backward()
    return [grad_of(w)]


def zero_on_saved_output(L):
    w = leaf(L, 4)
    y = (w / 4).exp()
    y.zero_()
    y.sum().backward()
    return [grad_of(w)]


def copy_on_saved_output(L):
    w = leaf(L, 4)
    y = (w / 4).exp()
    y.copy_(L.ones(4))
    y.sum().backward()
    return [grad_of(w)]


def copy_on_saved_plain_input(L):
    w = leaf(L, 2, 3, dtype=L.float64)
    x = L.ones(2, 3, dtype=L.float64)
    y = x * w
    x.copy_(L.zeros(2, 3))
    y.sum().backward()
    return [grad_of(w)]


def clamp_on_saved_input(L):
    w = leaf(L, 4)
    x = w * 2
    y = x.clamp(0, 5)  # saves x
    x.clamp_(0, 3)
    y.sum().backward()
    return [grad_of(w)]


def clamp_on_saved_output(L):
    w = leaf(L, 4)
    y = (w / 4).sigmoid()
    y.clamp_(0, 0.7)
    y.sum().backward()
    return [grad_of(w)]


def fill_under_no_grad_on_saved_input(L):
    w = leaf(L, 4)
    x = L.ones(4)
    y = w * x
    with L.no_grad():
        x.fill_(3)
    y.sum().backward()
    return [grad_of(w)]


def inplace_on_result_of_inplace_op(L):
    w = leaf(L, 4)
    x = w - 2
    x.relu_()  # saves x at version 1
    x.mul_(w)
    x.sum().backward()
    return [grad_of(w)]


def inplace_through_detach(L):
    w = leaf(L, 3)
    x = w * 2
    y = x * x
    x.detach().add_(1)  # detach() shares the version counter
    y.sum().backward()
    return [grad_of(w)]


def inplace_on_view_of_saved_output(L):
    w = leaf(L, 3)
    y = (w * 2).exp()
    y[0:2].mul_(2)
    y.sum().backward()
    return [grad_of(w)]


def inplace_on_view_of_saved_plain_input(L):
    w = leaf(L, 3)
    x = L.ones(2, 3)
    y = w * x
    x[0].add_(1)
    y.sum().backward()
    return [grad_of(w)]


def inplace_on_reshaped_view_of_saved_input(L):
    w = leaf(L, 2, 2)
    x = L.ones(4)
    y = w * x.view(2, 2)
    x.add_(1)
    y.sum().backward()
    return [grad_of(w)]


def inplace_on_base_of_saved_view(L):
    w = leaf(L, 4)
    x = w * 2
    v = x[0:2]
    y = v * v  # saves the view
    x.add_(1)
    y.sum().backward()
    return [grad_of(w)]


def inplace_on_base_of_saved_plain_view(L):
    w = leaf(L, 3)
    x = L.ones(2, 3)
    y = x[1] * w
    x.mul_(2)
    y.sum().backward()
    return [grad_of(w)]


def optimizer_step_between_forward_and_backward(module):
    def case(L):
        L.manual_seed(0)
        model = module(L)
        with L.no_grad():  # the same weights in both libraries
            for p in model.parameters():
                p.copy_(L.linspace(-1, 1, p.numel()).reshape(p.shape))
        optimizer = L.optim.SGD(model.parameters(), lr=0.1)
        loss = model(L.ones(model.input_shape)).sum()
        loss.backward(retain_graph=True)
        optimizer.step()
        loss.backward()
        return [p.grad.numpy().copy() for p in model.parameters()]
    return case


def conv(L):
    model = L.nn.Conv2d(1, 2, 3)
    model.input_shape = (1, 1, 4, 4)
    return model


def linear_with_input_grad(L):
    class Model(L.nn.Module):
        input_shape = (4, 3)

        def __init__(self):
            super().__init__()
            self.fc = L.nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(x.requires_grad_())
    return Model()


MODIFIED_SAVED = [relu_on_saved_output, relu_on_relu_output, add_on_saved_plain_input, mul_on_saved_nonleaf_input,
                  iadd_on_saved_input_twice, setitem_on_saved_output, zero_on_saved_output, copy_on_saved_output,
                  copy_on_saved_plain_input, clamp_on_saved_input, clamp_on_saved_output,
                  fill_under_no_grad_on_saved_input, inplace_on_result_of_inplace_op, inplace_through_detach, inplace_on_view_of_saved_output,
                  inplace_on_view_of_saved_plain_input, inplace_on_reshaped_view_of_saved_input,
                  inplace_on_base_of_saved_view, inplace_on_base_of_saved_plain_view]


@pytest.mark.parametrize("case", MODIFIED_SAVED, ids=lambda case: case.__name__)
def test_backward_refuses_a_saved_tensor_changed_in_place(case):
    assert isinstance(outcome(lambda: case(torch)), Raised)  # the case does test the check
    assert_same_error(lambda: case(torch), lambda: case(torchless))


@pytest.mark.parametrize("module", [conv, linear_with_input_grad], ids=lambda m: m.__name__)
def test_an_optimizer_step_before_backward_is_refused(module):
    case = optimizer_step_between_forward_and_backward(module)
    assert isinstance(outcome(lambda: case(torch)), Raised)
    assert_same_error(lambda: case(torch), lambda: case(torchless))


# ---------------------------------------------------------------------------- what must still work
def inplace_on_unsaved_input(L):
    w = leaf(L, 4)
    x = w * 2
    y = x + 1  # add saves nothing
    z = x * 3  # nor a multiplication by a number
    x.add_(1)
    (y + z).sum().backward()
    return [grad_of(w)]


def factor_saved_only_for_the_other_gradient(L):
    w = leaf(L, 3)
    x = w * 1
    y = x * L.ones(3)  # x is saved only if the other factor requires grad
    x.add_(1)
    y.sum().backward()
    return [grad_of(w)]


def inplace_after_backward(L):
    w = leaf(L, 4)
    x = L.ones(4)
    y = (w * x).exp()
    y.sum().backward()
    x.add_(1)
    y.add_(1)
    return [grad_of(w), x.numpy().copy()]


def data_writes_do_not_count(L):
    w = leaf(L, 3)
    x = w * 2
    y = x * x
    x.data.add_(1)  # .data shares the values, not the version counter: PyTorch's escape hatch
    y.sum().backward()
    return [grad_of(w)]


def data_assignment_does_not_count(L):
    w = leaf(L, 3)
    x = L.ones(3)
    y = w * x
    x.data = L.ones(3)  # (the same values: torchless's graph keeps the old array, PyTorch's reads the new one)
    y.sum().backward()
    return [grad_of(w), [x._version]]


def inplace_op_then_its_result_is_saved(L):
    w = leaf(L, 4)
    x = w - 2
    x.relu_()  # relu_ saves its result at its new version
    z = x.exp() * x
    z.sum().backward()
    return [grad_of(w)]


def inplace_op_keeps_its_old_input(L):
    w = leaf(L, 4)
    x = w - 2
    x.mul_(w)  # mul_ keeps the old x for w's gradient: no later change reaches it
    z = x * 1
    x.add_(1)
    z.sum().backward()
    return [grad_of(w)]


def number_exponent_and_weight_save_no_output(L):
    w = leaf(L, 4)
    y = (w * 1) ** 2  # saves the base only
    y.add_(1)
    x = w * 1
    z = x.lerp(L.ones(4), 0.25)  # a number weight saves nothing
    x.add_(1)
    (y + z).sum().backward()
    return [grad_of(w)]


def training_steps_with_weight_updates(L):
    L.manual_seed(0)
    model = L.nn.Sequential(L.nn.Conv2d(1, 2, 3), L.nn.ReLU(), L.nn.Flatten(), L.nn.Linear(8, 3))
    with L.no_grad():
        for p in model.parameters():
            p.copy_(L.linspace(-0.5, 0.5, p.numel()).reshape(p.shape))
    optimizer = L.optim.Adam(model.parameters(), lr=0.01)
    images = L.linspace(0, 1, 2 * 16).reshape(2, 1, 4, 4)
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        loss = L.nn.functional.cross_entropy(model(images), L.tensor([0, 2]))
        loss.backward()
        optimizer.step()
        with L.no_grad():  # a manual update between steps, too
            model[0].weight.mul_(0.99)
        losses.append(loss.item())
    return [losses] + [p.detach().numpy().copy() for p in model.parameters()]


STILL_WORK = [inplace_on_unsaved_input, factor_saved_only_for_the_other_gradient, inplace_after_backward,
              data_writes_do_not_count, data_assignment_does_not_count, inplace_op_then_its_result_is_saved,
              inplace_op_keeps_its_old_input,
              number_exponent_and_weight_save_no_output, training_steps_with_weight_updates,
              setitem_on_unsaved_input]


@pytest.mark.parametrize("case", STILL_WORK, ids=lambda case: case.__name__)
def test_inplace_changes_backward_does_not_need_still_work(case):
    assert not isinstance(outcome(lambda: case(torch)), Raised)
    same_outcome(case)


# ---------------------------------------------------------------------------- the version counter itself
def version_sequence(L):
    w = leaf(L, 4)
    x = w * 1
    seen = [x._version]
    x.add_(1)
    seen.append(x._version)
    v = x[0:2]
    v.mul_(2)  # a view shares its base's counter
    seen += [x._version, v._version]
    x.detach().zero_()
    seen.append(x._version)
    x.data.add_(1)
    seen.append(x._version)
    p = L.nn.Linear(2, 2).weight  # initialised in place
    seen.append(p._version)
    with L.no_grad():
        p.sub_(1)
        p[0] = 3
    seen.append(p._version)
    c = L.ones(2, 3).t().reshape(6)  # a reshape that copies starts its own counter
    c.add_(1)
    seen.append(c._version)
    return [seen]


def test_version_counters_count_as_torch():
    same_outcome(version_sequence)


# ---------------------------------------------------------------------------- leaves, views, detach_, .grad
@pytest.mark.parametrize("call", [
    lambda L: leaf(L, 3).add_(1),
    lambda L: leaf(L, 3).zero_(),
    lambda L: leaf(L, 3).__setitem__(0, 1.0),
    lambda L: leaf(L, 3)[0:2].add_(1),
    lambda L: leaf(L, 2, 2).view(4).mul_(2),
    lambda L: leaf(L, 2, 3).t().copy_(L.zeros(3, 2)),
    lambda L: L.ones(3)[0:2].detach_(),
    lambda L: leaf(L, 3)[1:].detach_(),
    lambda L: (leaf(L, 3) * 2).view(3).detach_(),
], ids=["add_", "zero_", "setitem", "view add_", "view mul_", "t copy_", "detach_ view", "detach_ view of leaf",
        "detach_ view of non-leaf"])
def test_refused_inplace_ops_match_torch(call):
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_detach_inplace_of_a_non_view_works():
    for L in (torch, torchless):
        x = leaf(L, 3) * 2
        assert x.detach_() is x and not x.requires_grad and x.grad_fn is None
        y = leaf(L, 3).detach()
        y.detach_()


def grad_warnings(L, make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make(L).grad
    return [str(w.message).split(" (Triggered internally")[0] for w in caught if w.category is UserWarning]


def retained(L):
    x = leaf(L, 3) * 2
    x.retain_grad()
    return x


@pytest.mark.parametrize("make", [lambda L: leaf(L, 3) * 2, lambda L: leaf(L, 3), lambda L: L.ones(3) * 2, retained],
                         ids=["non-leaf", "leaf", "not requiring grad", "retained"])
def test_grad_of_a_non_leaf_warns_as_torch(make):
    expected = grad_warnings(torch, make)
    assert grad_warnings(torchless, make) == expected
