"""``type(tensor.grad_fn)`` is named as PyTorch's: graph drawings (torchviz's make_dot) and teaching code label
nodes with ``type(fn).__name__``, as ``str(type(fn))`` prints the class."""

import numpy as np
import pytest

import torchless
from helpers import same_script_output
from torchless._ops import unary

torch = pytest.importorskip("torch")


def graph_types(lib, build):
    """``type(fn).__name__`` and ``repr(type(fn))`` of every node reachable from ``build(lib)``'s grad_fn."""
    lib.manual_seed(0)
    out = build(lib)
    seen, order, stack = {}, [], [out.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen[id(fn)] = fn  # kept alive: a leaf's AccumulateGrad lives only as long as something holds it
        order.append((type(fn).__name__, repr(type(fn))))
        stack.extend(next_fn for next_fn, _ in fn.next_functions)
    return order


def course_cnn_loss(lib):
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                          nn.Conv2d(5, 10, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                          nn.Flatten(), nn.Linear(7 * 7 * 10, 10))
    x = lib.tensor(np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32))
    return nn.CrossEntropyLoss()(model(x), lib.tensor([3, 7]))


@pytest.mark.parametrize("build", [
    course_cnn_loss,
    lambda lib: (lib.ones(2, 3, requires_grad=True) * 2 + 1).sum(),
    lambda lib: lib.ones(2, 3, requires_grad=True).view(6).mean(),
    lambda lib: lib.nn.functional.log_softmax(lib.ones(2, 3, requires_grad=True), 1).exp().max(),
    lambda lib: lib.ones(4, requires_grad=True).clone().add_(1).relu_().sum(),
    lambda lib: (lib.ones(3, 3, requires_grad=True)[1:] ** 2).sum(),
    lambda lib: lib.bmm(lib.ones(2, 3, 4, requires_grad=True), lib.ones(2, 4, 5, requires_grad=True)).sum(),
    lambda lib: (2 / lib.ones(3, requires_grad=True)).sum(),
    lambda lib: (lib.ones(3, requires_grad=True).double() / lib.ones(3, requires_grad=True)).sum(),
    lambda lib: (lib.ones(3, requires_grad=True) * lib.ones(3, dtype=lib.float64, requires_grad=True)).sum(),
], ids=["course-cnn", "arithmetic", "view-mean", "softmax-max", "in-place", "indexing", "bmm", "scalar-over-tensor",
        "promoted-divisor", "promoted-factor"])
def test_node_types_are_named_as_pytorchs(build):
    assert graph_types(torchless, build) == graph_types(torch, build)


def test_named_nodes_are_still_their_op_classes():
    x = torchless.randn(2, 3, requires_grad=True)
    relu = torchless.relu(x).grad_fn
    assert type(relu).__name__ == "ReluBackward0" and isinstance(relu, unary.Relu)
    assert type(relu) is type(torchless.relu(x * 2).grad_fn)  # one class per op and name, made once


def test_gradients_of_gradients_through_named_nodes():
    # backward_graph applies ops through the recorded nodes' classes; the result is named afresh
    x = torchless.tensor([0.5, -1.5, 2.0], requires_grad=True)
    (gx,) = torchless.autograd.grad(torchless.sigmoid(x).sum(), x, create_graph=True)
    xt = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
    (gxt,) = torch.autograd.grad(torch.sigmoid(xt).sum(), xt, create_graph=True)
    assert type(gx.grad_fn).__name__ == type(gxt.grad_fn).__name__
    gx.sum().backward()
    gxt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


def test_torchviz_draws_a_cnn_as_for_pytorch(tmp_path):
    pytest.importorskip("torchviz")
    same_script_output(tmp_path, """
        import re
        import torch
        import torch.nn as nn
        from torchviz import make_dot

        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                              nn.Linear(5 * 14 * 14, 10))
        loss = nn.CrossEntropyLoss()(model(torch.rand(2, 1, 28, 28)).view(2, 10), torch.tensor([1, 2]))
        # plain, and with what each node saved (grad_fn._saved_*) and its other attributes
        for options in (dict(), dict(show_saved=True), dict(show_saved=True, show_attrs=True)):
            source = make_dot(loss, params=dict(model.named_parameters()), **options).source
            print("\\n".join(sorted(re.sub(r"\\b\\d{6,}\\b", "ID", source).splitlines())))
    """)



def comparable(value):
    """A saved value as something == compares across the two libraries: a tensor as its shape, values and node."""
    if not hasattr(value, "detach"):
        return value
    return tuple(value.shape), value.detach().numpy().tolist(), type(value.grad_fn).__name__


def view_chain(tensor):
    """(node name, {saved name: value}) of each node from ``tensor.grad_fn`` down its first input to the leaf."""
    chain, fn = [], tensor.grad_fn
    while fn is not None and type(fn).__name__ != "AccumulateGrad":
        saved = {name: comparable(getattr(fn, name)) for name in dir(fn)
                 if name.startswith("_saved_") and not name.startswith("_saved_indices")}
        chain.append((type(fn).__name__, saved))
        fn = next((next_fn for next_fn, _ in fn.next_functions if next_fn is not None), None)
    return chain


@pytest.mark.parametrize("key", [
    "[1:, :2]", "[1:, 0]", "[1:3, None, ::2]", "[0, 1]", "[0, 0, 0]", "[None, ..., None]", "[-2:, ..., 1]",
    "[:, :, 1:-1]", "[1:, :, :]", "[:]", "[...]", "[1:, lib.tensor([0, 1])]", "[lib.tensor([0, 1]), 1:]",
    "[0, lib.tensor([0, 1])]", "[1:, [0, 1]]", "[x > 0]",
])
def test_indexing_records_pytorchs_chain_of_views(key):
    # PyTorch runs a key as one view per part (select, slice, unsqueeze) and then one index; torchless lists
    # the same chain, with each view's saved arguments, and its gradient is that of the whole key
    chains, grads = [], []
    for lib in (torch, torchless):
        x = lib.tensor(np.arange(120, dtype=np.float32).reshape(4, 5, 6) - 60, requires_grad=True)
        out = eval("x" + key, {"x": x, "lib": lib})
        chains.append(view_chain(out))
        (out * out).sum().backward()
        grads.append(x.grad.numpy())
    assert chains[1] == chains[0]
    np.testing.assert_array_equal(grads[1], grads[0])


def test_folded_views_of_an_indexing_are_the_same_objects_at_every_look():
    x = torchless.randn(4, 5, requires_grad=True)
    fn = x[1:, :2].grad_fn
    assert fn.next_functions[0][0] is fn.next_functions[0][0]
    with pytest.raises(RuntimeError, match="register the hook on that node"):
        fn.next_functions[0][0].register_hook(lambda *args: None)


@pytest.mark.parametrize("pool", [
    lambda F, x: F.max_pool1d(x, 2), lambda F, x: F.max_pool1d(x, 3, 1, 1, ceil_mode=True),
    lambda F, x: F.max_pool1d(x, 2, return_indices=True)[0], lambda F, x: F.avg_pool1d(x, 3, 1, 1),
    lambda F, x: F.adaptive_avg_pool1d(x, 3), lambda F, x: F.adaptive_max_pool1d(x, 3),
    lambda F, x: F.max_pool1d(x[0], 2),
], ids=["max", "max-ceil", "max-indices", "avg", "adaptive-avg", "adaptive-max", "unbatched"])
def test_one_dimensional_pooling_lists_pytorchs_2d_pooling_of_the_unsqueezed_input(pool):
    # PyTorch pools 1-D as 2-D: SqueezeBackward1 over the 2-D pooling's node (saving the unsqueezed input and
    # 2-D arguments) over UnsqueezeBackward0
    chains = []
    for lib in (torch, torchless):
        x = lib.tensor(np.arange(48, dtype=np.float32).reshape(2, 3, 8) % 7, requires_grad=True)
        chains.append(view_chain(pool(lib.nn.functional, x)))
    assert chains[1] == chains[0]


def test_scalar_over_tensor_lists_pytorchs_reciprocal_with_its_saved_result():
    # PyTorch computes 2 / x as reciprocal(x) * 2
    chains = []
    for lib in (torch, torchless):
        x = lib.tensor([1.0, 2.0, 4.0], requires_grad=True)
        chains.append(view_chain(2 / x[1:]))
    assert chains[1] == chains[0]
