"""Regressions found by the lead in the twenty-third session, checked against PyTorch."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(function):
    try:
        return "ok", function()
    except Exception as error:
        return type(error).__name__, str(error).replace("torchless", "torch")


# An index op's node saves its index tensors: changing one in place before backward is PyTorch's error (torchless
# used to read the changed indices silently, giving wrong gradients, or crash inside NumPy with a changed mask).
INDEX_OPS = {
    "getitem": lambda lib, x, i, s: x[i],
    "getitem_with_slice": lambda lib, x, i, s: x[i, 1:],
    "getitem_two_tensors": lambda lib, x, i, s: x[i, i],
    "setitem": lambda lib, x, i, s: x.__setitem__(i, s) or x,
    "setitem_number": lambda lib, x, i, s: x.__setitem__((i, 0), 5.0) or x,
    "gather": lambda lib, x, i, s: x.gather(0, i.view(2, 1).expand(2, 3)),
    "index_select": lambda lib, x, i, s: x.index_select(0, i),
    "take": lambda lib, x, i, s: x.take(i),
    "index_add": lambda lib, x, i, s: x.index_add(0, i, lib.ones(2, 3)),
    "index_add_source_grad": lambda lib, x, i, s: x.index_add(0, i, s),
    "scatter_value": lambda lib, x, i, s: x.scatter(0, i.view(2, 1).expand(2, 3), 1.0),
    "scatter_src": lambda lib, x, i, s: x.scatter(0, i.view(2, 1).expand(2, 3), s),
    "scatter_add": lambda lib, x, i, s: x.scatter_add(0, i.view(2, 1).expand(2, 3), lib.ones(2, 3)),
    "scatter_add_src_grad": lambda lib, x, i, s: x.scatter_add(0, i.view(2, 1).expand(2, 3), s),
    "index_fill": lambda lib, x, i, s: x.index_fill(0, i, 2.0),
    "index_copy": lambda lib, x, i, s: x.index_copy(0, i, s),
    "embedding": lambda lib, x, i, s: lib.nn.functional.embedding(i, x),
}


@pytest.mark.parametrize("name", sorted(INDEX_OPS))
@pytest.mark.parametrize("change", ["add_", "setitem", "zero_"])
def test_changing_an_index_tensor_before_backward_is_an_error(name, change):
    def run(lib):
        x = lib.randn(5, 3, requires_grad=True)
        index = lib.tensor([0, 2])
        source = lib.ones(2, 3, requires_grad=True)
        result = INDEX_OPS[name](lib, x * 1, index, source)
        {"add_": lambda: index.add_(1), "setitem": lambda: index.__setitem__(0, 1),
         "zero_": lambda: index.zero_()}[change]()
        result.sum().backward()
        return x.grad.numpy().tolist()

    assert _outcome(lambda: run(torchless)) == _outcome(lambda: run(torch))


# Masks, conditions and running statistics are saved too.
SAVED_OUTSIDE_THE_GRAPH = {
    "masked_fill": (lambda lib: lib.tensor([[True, False, True]] * 3), lambda lib, x, a: x.masked_fill(a, 0.0),
                    lambda a: a.logical_not_()),
    "masked_fill_tensor_value": (lambda lib: lib.tensor([[True, False, True]] * 3),
                                 lambda lib, x, a: x.masked_fill(a, lib.tensor(2.0)), lambda a: a.logical_not_()),
    "masked_fill_": (lambda lib: lib.tensor([[True, False, True]] * 3),
                     lambda lib, x, a: (x * 1).masked_fill_(a, 0.0), lambda a: a.logical_not_()),
    "where": (lambda lib: lib.tensor([[True, False, True]] * 3), lambda lib, x, a: lib.where(a, x, x * 2),
              lambda a: a.logical_not_()),
    "where_number": (lambda lib: lib.tensor([[True, False, True]] * 3), lambda lib, x, a: lib.where(a, x, 0.0),
                     lambda a: a.logical_not_()),
    "batch_norm_eval": (lambda lib: lib.zeros(3), lambda lib, x, a: lib.nn.functional.batch_norm(
        x, a, lib.ones(3), training=False), lambda a: a.add_(1)),
    "batch_norm_train": (lambda lib: lib.zeros(3), lambda lib, x, a: lib.nn.functional.batch_norm(
        x, a, lib.ones(3), training=True), lambda a: a.add_(1)),
    "embedding_bag": (lambda lib: lib.tensor([0, 2, 1, 1]),
                      lambda lib, x, a: lib.nn.functional.embedding_bag(a, x, lib.tensor([0, 2])), lambda a: a.zero_()),
    "embedding_bag_2d": (lambda lib: lib.tensor([[0, 2], [1, 1]]),
                         lambda lib, x, a: lib.nn.functional.embedding_bag(a, x), lambda a: a.zero_()),
    "nll_loss_target": (lambda lib: lib.tensor([0, 2, 1]),
                        lambda lib, x, a: lib.nn.functional.nll_loss(x.log_softmax(1), a), lambda a: a.zero_()),
    "nll_loss_weight": (lambda lib: lib.ones(3), lambda lib, x, a: lib.nn.functional.nll_loss(
        x, lib.tensor([0, 2, 1]), weight=a), lambda a: a.mul_(3)),
    "cross_entropy_target": (lambda lib: lib.tensor([0, 2, 1]),
                             lambda lib, x, a: lib.nn.CrossEntropyLoss(label_smoothing=0.1)(x, a),
                             lambda a: a.zero_()),
    "cross_entropy_weight": (lambda lib: lib.tensor([1.0, 2.0, 3.0]), lambda lib, x, a: lib.nn.functional.cross_entropy(
        x, lib.tensor([0, 2, 1]), weight=a), lambda a: a.mul_(2)),
    "huber_loss_target": (lambda lib: lib.ones(3, 3), lambda lib, x, a: lib.nn.functional.huber_loss(x, a),
                          lambda a: a.mul_(3)),
    "smooth_l1_loss_target": (lambda lib: lib.ones(3, 3), lambda lib, x, a: lib.nn.functional.smooth_l1_loss(x, a),
                              lambda a: a.mul_(3)),
    "multi_margin_loss_target": (lambda lib: lib.tensor([0, 2, 1]),
                                 lambda lib, x, a: lib.nn.functional.multi_margin_loss(x, a), lambda a: a.zero_()),
    "multilabel_margin_loss_target": (lambda lib: lib.tensor([[0, 2, -1]] * 3),
                                      lambda lib, x, a: lib.nn.functional.multilabel_margin_loss(x, a),
                                      lambda a: a.zero_()),
    "binary_cross_entropy_weight": (lambda lib: lib.ones(3, 3), lambda lib, x, a: (
        lib.nn.functional.binary_cross_entropy(x.sigmoid(), lib.full((3, 3), 0.5), weight=a)), lambda a: a.mul_(3)),
    "bce_with_logits_pos_weight": (lambda lib: lib.ones(3), lambda lib, x, a: (
        lib.nn.functional.binary_cross_entropy_with_logits(x, lib.full((3, 3), 0.5), pos_weight=a)),
        lambda a: a.mul_(3)),
    "max_unpool1d": (lambda lib: lib.tensor([[0, 3, 5]]),
                     lambda lib, x, a: lib.nn.functional.max_unpool1d(x[:1].view(1, 1, 3), a.view(1, 1, 3), 2),
                     lambda a: a.zero_()),
    "max_unpool2d": (lambda lib: lib.tensor([[[[0, 3], [8, 10]]]]),
                     lambda lib, x, a: lib.nn.functional.max_unpool2d(x[:2, :2].reshape(1, 1, 2, 2), a, 2),
                     lambda a: a.zero_()),
    "max_unpool3d": (lambda lib: lib.tensor([[[[[0, 3]]]]]),
                     lambda lib, x, a: lib.nn.functional.max_unpool3d(x[0, :2].reshape(1, 1, 1, 1, 2), a, 2),
                     lambda a: a.zero_()),
}


@pytest.mark.parametrize("name", sorted(SAVED_OUTSIDE_THE_GRAPH))
def test_changing_a_saved_mask_or_statistic_before_backward_is_an_error(name):
    make, op, change = SAVED_OUTSIDE_THE_GRAPH[name]

    def run(lib):
        x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.2], [0.1, 0.9, -1.4]], requires_grad=True)
        saved = make(lib)
        result = op(lib, x, saved)
        change(saved)
        result.sum().backward()
        return x.grad.numpy().round(6).tolist()

    assert _outcome(lambda: run(torchless)) == _outcome(lambda: run(torch))


def test_batch_norm_modules_called_twice_or_across_modes_still_backpropagate():
    """The running statistics' own update by a training forward is no in-place change autograd sees. (A training
    forward between an evaluation forward and its backward is left out: PyTorch's backward then reads the running
    variance the later forward updated, torchless's the one its forward used.)"""
    grads = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        norm = lib.nn.BatchNorm2d(3)
        x = lib.randn(4, 3, 5, 5, requires_grad=True)
        first = norm(x) + norm(x * 2)
        norm.eval()
        second = norm(x)
        (first.pow(2).sum() + second.sum()).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-4, atol=1e-5)


def test_changing_a_mask_after_indexing_by_it_is_an_error():
    def run(lib):
        x = lib.randn(5, 2, requires_grad=True)
        mask = lib.ones(5, dtype=lib.bool)
        y = x * 1
        y[mask] = lib.zeros(5, 2)
        mask[mask.clone()] = False  # (Wishart.rsample does this)
        y.sum().backward()

    assert _outcome(lambda: run(torchless)) == _outcome(lambda: run(torch))


def test_an_index_changed_after_backward_is_no_error():
    results = []
    for lib in (torch, torchless):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        index = lib.tensor([0, 2, 2])
        (x[index] * lib.tensor([[1.0], [2.0], [3.0]])).sum().backward()
        index.add_(1)
        results.append(x.grad.numpy())
    np.testing.assert_array_equal(results[1], results[0])


# torch.func's transforms keep the graph to tensors requiring grad that the function captured (torchless used to
# detach their results: a meta-gradient through a model's weights was lost).
FUNC_TRANSFORMS = {
    "grad": lambda lib, w, x: lib.func.grad(lambda x: (x * x * w).sum())(x),
    "grad_and_value": lambda lib, w, x: lib.func.grad_and_value(lambda x: (x * w).sum())(x)[1],
    "vjp": lambda lib, w, x: lib.func.vjp(lambda x: x * w.exp(), x)[1](lib.ones(2))[0],
    "vjp_primal": lambda lib, w, x: lib.func.vjp(lambda x: x * w, x)[0],
    "jvp": lambda lib, w, x: lib.func.jvp(lambda x: x.sin() * w, (x,), (lib.ones(2),))[1],
    "jacrev": lambda lib, w, x: lib.func.jacrev(lambda x: x * x * w)(x),
    "jacfwd": lambda lib, w, x: lib.func.jacfwd(lambda x: x * x * w)(x),
    "hessian": lambda lib, w, x: lib.func.hessian(lambda x: (x ** 3 * w).sum())(x),
}


@pytest.mark.parametrize("name", sorted(FUNC_TRANSFORMS))
@pytest.mark.parametrize("captured_requires_grad", [True, False])
def test_func_transforms_keep_the_graph_to_captured_tensors(name, captured_requires_grad):
    results = []
    for lib in (torch, torchless):
        w = lib.tensor([1.0, 2.0], requires_grad=captured_requires_grad)
        result = FUNC_TRANSFORMS[name](lib, w, lib.tensor([3.0, 4.0]))
        entry = [result.requires_grad, result.detach().numpy()]
        if result.requires_grad:
            (result * lib.tensor(2.0)).sum().backward()
            entry.append(w.grad.numpy())
        results.append(entry)
    expected, actual = results
    assert actual[0] == expected[0]
    for e, a in zip(expected[1:], actual[1:]):
        np.testing.assert_allclose(a, e, rtol=1e-6)
