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


def _conv_grad_cases(count, seed):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        dims = int(rng.choice([1, 2, 2, 3]))
        groups = int(rng.choice([1, 2]))
        in_channels, out_channels = groups * int(rng.choice([1, 2])), groups * int(rng.choice([1, 3]))
        kernel, stride, padding, dilation = ([int(v) for v in rng.choice(choices, dims)]
                                             for choices in ([1, 2, 3], [1, 2, 3], [0, 1], [1, 2]))
        size = [int(v) for v in rng.choice([5, 6, 7, 8], dims)]
        if any(n + 2 * p < d * (k - 1) + 1 for n, p, d, k in zip(size, padding, dilation, kernel)):
            continue
        x = rng.standard_normal((int(rng.choice([1, 2])), in_channels, *size))
        w = rng.standard_normal((out_channels, in_channels // groups, *kernel))
        cases.append((dims, x, w, stride, padding, dilation, groups))
    return cases


@pytest.mark.parametrize("case", _conv_grad_cases(24, 20), ids=lambda case: f"{case[0]}d")
def test_nn_grad_is_the_convolutions_own_gradient(case):
    # independent of torch: autograd through torchless's convolution, float64
    dims, x, w, stride, padding, dilation, groups = case
    conv = getattr(F, f"conv{dims}d")
    input, weight = torchless.tensor(x, requires_grad=True), torchless.tensor(w, requires_grad=True)
    output = conv(input, weight, None, stride, padding, dilation, groups)
    grad_output = torchless.tensor(np.random.default_rng(1).standard_normal(tuple(output.shape)))
    grad_input, grad_weight = torchless.autograd.grad(output, (input, weight), grad_output)
    by_input = getattr(torchless.nn.grad, f"conv{dims}d_input")(input.shape, weight, grad_output, stride, padding,
                                                                  dilation, groups)
    by_weight = getattr(F.grad, f"conv{dims}d_weight")(input, weight.shape, grad_output, stride, padding, dilation,
                                                         groups)
    np.testing.assert_allclose(by_input.detach().numpy(), grad_input.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(by_weight.detach().numpy(), grad_weight.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", _conv_grad_cases(12, 21), ids=lambda case: f"{case[0]}d")
def test_nn_grad_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    dims, x, w, stride, padding, dilation, groups = case
    output = getattr(torch.nn.functional, f"conv{dims}d")(torch.tensor(x), torch.tensor(w), None, stride, padding,
                                                           dilation, groups)
    gy = np.random.default_rng(2).standard_normal(tuple(output.shape)).astype(np.float32)

    def run(lib):
        grad = lib.nn.grad
        return (getattr(grad, f"conv{dims}d_input")(list(x.shape), lib.tensor(w, dtype=lib.float32), lib.tensor(gy),
                                                    stride, padding, dilation, groups),
                getattr(grad, f"conv{dims}d_weight")(lib.tensor(x, dtype=lib.float32), list(w.shape), lib.tensor(gy),
                                                     stride, padding, dilation, groups))

    assert_same_outcome(run, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda grad, lib: grad.conv2d_input((2, 5, 7, 7), lib.ones(6, 2, 3, 3), lib.ones(2, 6, 4, 4), 2, 1, 1, 2),
    lambda grad, lib: grad.conv2d_input((2, 4, 7), lib.ones(6, 2, 3, 3), lib.ones(2, 6, 4, 4), 2, 1, 1, 2),
    lambda grad, lib: grad.conv2d_input((2, 4, 9, 9), lib.ones(6, 2, 3, 3), lib.ones(2, 6, 4, 4), 2, 1, 1, 2),
    lambda grad, lib: grad.conv2d_weight(lib.ones(2, 4, 7, 7), (6, 4, 3, 3), lib.ones(2, 6, 4, 4), 2, 1, 1, 2),
    lambda grad, lib: grad.conv2d_weight(lib.ones(2, 4, 7, 7), (5, 2, 3, 3), lib.ones(2, 6, 4, 4), 2, 1, 1, 2),
    lambda grad, lib: grad.conv2d_weight(lib.ones(2, 4, 7, 7), (6, 2, 3), lib.ones(2, 6, 4, 4), 2, 1, 1, 2),
    lambda grad, lib: grad.conv2d_input((2, 4, 8, 8), lib.ones(6, 2, 3, 3), lib.ones(2, 6, 4, 4), 2, 1, 1, 2),
    lambda grad, lib: grad.conv1d_input((2, 4, 7), lib.ones(6, 2, 3, 3), lib.ones(2, 6, 5, 5)),
    lambda grad, lib: grad.conv2d_input((2, 4, 7, 7), lib.ones(6, 4, 3), lib.ones(2, 6, 5)),
    lambda grad, lib: grad.conv2d_input((2, 4, 7, 7), lib.ones(6, 4, 3, 3), lib.ones(2, 6, 5, 5), stride=(1, 1, 1)),
    lambda grad, lib: grad.conv2d_input((2, 4, 7, 7), lib.ones(6, 4, 3, 3), lib.ones(2, 6, 5, 5), padding=-1),
    lambda grad, lib: grad.conv3d_weight(lib.ones(1, 2, 4, 4, 4), (3, 2, 2, 2, 2), lib.ones(1, 3, 3, 3, 3)),
])
def test_nn_grad_checks_are_pytorchs(call):
    pytest.importorskip("torch")
    assert_same_outcome(lambda lib: call(lib.nn.grad, lib))


def test_nn_grad_records_a_graph():
    x = torchless.randn(1, 2, 5, 5, dtype=torchless.float64)
    weight = torchless.randn(3, 2, 3, 3, dtype=torchless.float64, requires_grad=True)
    grad_output = torchless.randn(1, 3, 3, 3, dtype=torchless.float64, requires_grad=True)
    assert torchless.autograd.gradcheck(lambda w, g: F.grad.conv2d_input(x.shape, w, g), (weight, grad_output))
    assert torchless.autograd.gradcheck(lambda g: F.grad.conv2d_weight(x, weight.shape, g), (grad_output,))


@pytest.mark.parametrize("shift", [np.int64(1), np.int32(-2), np.uint8(1)], ids=lambda v: type(v).__name__)
def test_numpy_integer_shifts_are_ints_for_roll(shift):
    # (the parser's int64 check once walked range(-2**63, 2**63) for a NumPy integer: the call never returned)
    x = torchless.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(x.roll(shift, 0).numpy(), np.roll(np.arange(9.0).reshape(3, 3), int(shift), 0))
