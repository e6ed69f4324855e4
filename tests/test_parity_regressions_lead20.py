"""Regressions found by the lead in session 20: class-index losses over zero classes, huber_loss's dtype checks."""
import math

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome

F = torchless.nn.functional

# (input shape, target shape): K-dim inputs that PyTorch views as 4-D for nll_loss2d, some without classes
ZERO_CLASS_CASES = [((0, 0, 4), (0, 4)), ((2, 0, 4), (2, 4)), ((2, 0, 1, 1, 1), (2, 1, 1, 1)), ((2, 3, 0), (2, 0)),
                    ((0, 3, 2, 2), (0, 2, 2)), ((2, 0, 3, 3), (2, 3, 3)), ((2, 0), (2,))]


@pytest.mark.parametrize("shapes", ZERO_CLASS_CASES, ids=str)
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_class_losses_without_classes_are_pytorchs(shapes, loss, reduction):
    pytest.importorskip("torch")
    input_shape, target_shape = shapes

    def run(lib):
        x = lib.zeros(input_shape, dtype=lib.float64, requires_grad=True)
        out = getattr(lib.nn.functional, loss)(x, lib.zeros(target_shape, dtype=lib.int64), reduction=reduction)
        out.sum().backward()
        return out, x.grad

    assert_same_outcome(run, rtol=0, atol=0)


def test_empty_spatial_batch_without_classes_is_a_nan_mean_not_a_numpy_error():
    # (independent of torch: a mean over no targets is 0/0; a sum of none is 0)
    x = torchless.zeros(0, 0, 4, dtype=torchless.float64)
    target = torchless.zeros(0, 4, dtype=torchless.int64)
    assert math.isnan(F.cross_entropy(x, target).item())
    assert F.cross_entropy(x, target, reduction="sum").item() == 0
    assert F.cross_entropy(x, target, reduction="none").shape == (0, 4)


def test_a_non_empty_target_over_no_classes_is_nll_loss2d_size_mismatch():
    with pytest.raises(RuntimeError, match=r"^size mismatch \(got input: \[2, 0, 0, 0\] , target: \[2, 1, 4\]$"):
        F.cross_entropy(torchless.zeros(2, 0, 4), torchless.zeros(2, 4, dtype=torchless.int64))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_label_smoothing_over_no_classes_is_nan_as_in_pytorch(reduction):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.zeros(0, 0, 4, dtype=lib.float64, requires_grad=True)
        out = lib.nn.functional.cross_entropy(x, lib.zeros(0, 4, dtype=lib.int64), reduction=reduction,
                                              label_smoothing=0.1)
        out.sum().backward()
        return out.detach().numpy(), x.grad.shape

    (ours, our_grad), (theirs, their_grad) = run(torchless), run(torch)
    np.testing.assert_array_equal(ours, theirs)
    assert tuple(our_grad) == tuple(their_grad)


def test_label_smoothing_keeps_float32():
    x = torchless.randn(3, 5, requires_grad=True)
    loss = F.cross_entropy(x, torchless.tensor([1, 2, 3]), label_smoothing=0.2)
    loss.backward()
    assert loss.dtype == torchless.float32 and x.grad.dtype == torchless.float32


DTYPES = ["bool", "uint8", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("input_dtype", DTYPES)
@pytest.mark.parametrize("target_dtype", DTYPES)
@pytest.mark.parametrize("loss", ["huber_loss", "smooth_l1_loss", "mse_loss", "l1_loss"])
def test_regression_losses_dtype_checks_are_pytorchs(input_dtype, target_dtype, loss):
    pytest.importorskip("torch")

    def run(lib):
        return getattr(lib.nn.functional, loss)(lib.ones(2, dtype=getattr(lib, input_dtype)),
                                                lib.ones(2, dtype=getattr(lib, target_dtype)))

    assert_same_outcome(run)


def test_huber_loss_refuses_an_integer_result_into_a_bool_input():
    with pytest.raises(RuntimeError, match="^result type Long can't be cast to the desired output type Bool$"):
        F.huber_loss(torchless.ones(2, dtype=torchless.bool), torchless.ones(2, dtype=torchless.int64))


def _scaling_function(lib, captured):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            captured.append(ctx)
            ctx.save_for_backward(x)
            ctx.k, ctx.inputs, ctx.outputs = k, "users' own", "attributes"
            return x * k

        @staticmethod
        def backward(ctx, grad):
            captured.append(ctx)
            return grad * ctx.k, None

    return Scale


def test_a_functions_ctx_is_its_graph_node_as_in_pytorch():
    torch = pytest.importorskip("torch")

    def run(lib):
        captured = []
        x = lib.ones(3, requires_grad=True)
        y = _scaling_function(lib, captured).apply(x, 2.0)
        y.sum().backward()
        with lib.no_grad():
            _scaling_function(lib, captured).apply(x, 3.0)
        ctx, in_backward, unrecorded = captured
        return ([c.__name__ for c in type(ctx).__mro__[:2]], ctx is y.grad_fn, in_backward is ctx,
                type(unrecorded).__name__, (ctx.inputs, ctx.outputs), x.grad.tolist())

    assert run(torchless) == run(torch)


def test_setup_context_gets_the_node_too():
    seen = []

    class Square(torchless.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen.append(ctx)
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x)
    y.sum().backward()
    assert seen[0] is y.grad_fn and type(seen[0]).__name__ == "SquareBackward"
    assert x.grad.tolist() == [2.0, 4.0]


def test_dir_lists_what_the_module_gives_lazily():
    names = dir(torchless)
    for name in ("save", "load", "nn", "optim", "utils", "cuda", "fft", "profiler", "summary"):
        assert name in names
        assert getattr(torchless, name) is not None
    assert "has_cuda" not in names  # deprecated, unlisted, as in PyTorch
