"""``grad_fn.next_functions`` lists a linear layer's and a classification loss's inputs as PyTorch's graph does
(addmm(bias, input, weight.t()), nll_loss(log_softmax(x))), although torchless computes each in one node: the
60-minute blitz walks ``loss.grad_fn.next_functions`` by hand, and graph drawings (torchviz) follow it too."""
import numpy as np
import pytest

import torchless
import torchless.nn.functional as F

torch = pytest.importorskip("torch")


def listing(fn):
    """The graph below ``fn`` as nested (name, [children]) — None for an input without a gradient."""
    if fn is None:
        return None
    return fn.name(), [listing(child) for child, _ in fn.next_functions]


def both(build):
    """listing of build(library, tensor) in each library, on the same values."""
    return [listing(build(library, lambda array, grad=False, library=library:
                          library.tensor(np.asarray(array, np.float32), requires_grad=grad)).grad_fn)
            for library in (torchless, torch)]


RNG = np.random.default_rng(0)
X = {rank: RNG.standard_normal((2, 3, 4)[-rank:] if rank <= 3 else (2, 2, 2, 4)) for rank in (1, 2, 3, 4)}
W, B = RNG.standard_normal((5, 4)), RNG.standard_normal(5)


# which of (input, weight, bias) require grad
GRADS = {"all": (True, True, True), "input only": (True, False, False), "parameters only": (False, True, True),
         "frozen weight": (True, False, True)}


@pytest.mark.parametrize("rank", [1, 2, 3, 4])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("grads", list(GRADS))
def test_linear_lists_addmm_inputs_as_pytorch(rank, bias, grads):
    x_grad, w_grad, b_grad = GRADS[grads]

    def build(library, t):
        x = t(X[rank], True) * 1 if x_grad else t(X[rank])  # a computed input (MulBackward0), as in a network
        return library.nn.functional.linear(x, t(W, w_grad), t(B, b_grad) if bias else None)
    ours, theirs = both(build)
    assert ours == theirs


@pytest.mark.parametrize("shape", [(3,), (4, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 2, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_class_losses_list_log_softmax_and_views_as_pytorch(shape, reduction, loss):
    target = RNG.integers(0, 3, shape[:1] + shape[2:] if len(shape) > 1 else ())

    def build(library, t):
        x = t(np.ones(shape), True) * 1
        return getattr(library.nn.functional, loss)(x, library.tensor(target), reduction=reduction)
    ours, theirs = both(build)
    assert ours == theirs


def test_blitz_walk_from_the_loss_to_the_first_parameters():
    """The 60-minute blitz's walk: MSELoss -> the last Linear's addmm -> its bias's AccumulateGrad."""
    names = []
    for library in (torchless, torch):
        library.manual_seed(0)
        net = library.nn.Sequential(library.nn.Linear(6, 4), library.nn.ReLU(), library.nn.Linear(4, 2))
        loss = library.nn.MSELoss()(net(library.ones(3, 6)), library.zeros(3, 2))
        first = loss.grad_fn.next_functions[0][0]
        names.append([loss.grad_fn.name(), first.name(), first.next_functions[0][0].name(),
                      first.next_functions[1][0].name(), first.next_functions[2][0].next_functions[0][0].name()])
    assert names[0] == names[1]


def test_listed_nodes_are_the_same_objects_each_time_and_reach_the_parameters():
    layer = torchless.nn.Linear(3, 2)
    y = layer(torchless.ones(4, 3))
    assert y.grad_fn.next_functions[2][0] is y.grad_fn.next_functions[2][0]
    weight_accumulator = y.grad_fn.next_functions[2][0].next_functions[0][0]
    assert weight_accumulator.variable is layer.weight
    assert y.grad_fn.next_functions[0][0].variable is layer.bias


def test_hooks_on_a_listed_node_point_to_the_node_that_computes_it():
    y = torchless.nn.Linear(3, 2)(torchless.ones(4, 3))
    transpose = y.grad_fn.next_functions[2][0]
    with pytest.raises(RuntimeError, match="TBackward0's gradient inside AddmmBackward0"):
        transpose.register_hook(lambda *grads: None)
    # the parameters' own AccumulateGrad hooks still run
    seen = []
    transpose.next_functions[0][0].register_hook(lambda *grads: seen.append(1))
    y.sum().backward()
    assert seen == [1]


def test_gradients_are_unchanged_by_the_listing():
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    grads = []
    for library in (torchless, torch):
        w = library.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) / 6, requires_grad=True)
        logits = F.linear if library is torchless else torch.nn.functional.linear
        out = logits(library.tensor(x), w)
        loss = library.nn.functional.cross_entropy(out, library.tensor([0, 1, 1, 0]))
        listing(loss.grad_fn)  # listing the graph first must not disturb it
        loss.backward()
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-6)
