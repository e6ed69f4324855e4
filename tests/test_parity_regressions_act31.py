"""Parity regressions found by differential sweeps of the activations and losses (session act31).
Every test compares with torch itself: strides of results, autograd graphs, values or errors."""
import numpy as np
import pytest

import torchless
from helpers import same_in_both

torch = pytest.importorskip("torch")

F_CALLS = {
    "relu": lambda F, x: F.relu(x),
    "relu grad": lambda F, x: F.relu(x * 1),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "softmax": lambda F, x: F.softmax(x, dim=-1),
    "log_softmax": lambda F, x: F.log_softmax(x, 0),
    "softmin": lambda F, x: F.softmin(x, 1, dtype=torch.float64 if F is torch.nn.functional else torchless.float64),
    "glu": lambda F, x: F.glu(x, -1),
    "prelu": lambda F, x: F.prelu(x, x.new_full((1,), 0.25)),
    "prelu per channel": lambda F, x: F.prelu(x, x.new_full((x.shape[1],), 0.25)),
    "rrelu": lambda F, x: F.rrelu(x, 0.1, 0.3),
    "rrelu training": lambda F, x: F.rrelu(x, 0.1, 0.3, training=True),
}


# ---------------------------------------------------------------------------- empty results' strides
@pytest.mark.parametrize("call", list(F_CALLS))
@pytest.mark.parametrize("shape", [(0, 4), (2, 0, 4), (3, 0), (0, 2, 2, 2)])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_activations_of_no_elements_have_pytorchs_c_strides(call, shape, requires_grad):
    """NumPy gives an empty result all-zero strides; PyTorch allocates it as any other (C order here)."""
    def record(lib):
        x = lib.zeros(shape, requires_grad=requires_grad)
        out = F_CALLS[call](lib.nn.functional, x)
        return tuple(out.shape), out.stride(), out.requires_grad

    same_in_both(record)


@pytest.mark.parametrize("shape", [(0, 4), (2, 0, 4)])
def test_tensor_relu_and_softmax_methods_of_no_elements_have_c_strides(shape):
    same_in_both(lambda lib: [lib.zeros(shape).relu().stride(), lib.zeros(shape).softmax(-1).stride(),
                              lib.relu(lib.zeros(shape)).stride(), lib.zeros(shape).log_softmax(0).stride()])


# ---------------------------------------------------------------------------- glu's layout
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("layout", ["transposed", "channels_last", "sliced"])
def test_glu_lays_its_result_out_as_a_tensor_iterator_over_the_halves(dim, layout):
    values = np.random.default_rng(0).standard_normal((4, 6, 2, 4)).astype(np.float32)

    def record(lib):
        x = lib.tensor(values)
        x = {"transposed": x.transpose(0, 3), "channels_last": x.contiguous(memory_format=lib.channels_last),
             "sliced": x[..., ::2]}[layout]
        out = lib.nn.functional.glu(x, dim)
        return tuple(out.shape), out.stride(), np.round(out.numpy().astype(np.float64), 5).tolist()

    same_in_both(record)


# ---------------------------------------------------------------------------- rrelu's saved tensors
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("changed", ["input", "result"])
def test_rrelu_refuses_backward_after_its_saved_tensor_changed(training, inplace, changed):
    """rrelu saves its input (rrelu_, its result): changing that one in place breaks backward, the other does not."""
    values = np.array([[-1.5, 0.2, 3.0], [0.5, -0.1, -2.0]], np.float32)

    def record(lib):
        lib.manual_seed(0)
        x = lib.tensor(values, requires_grad=True)
        y = x * 2
        out = lib.nn.functional.rrelu(y, 0.1, 0.3, training, inplace)
        (y if changed == "input" and not inplace else out).add_(1)
        try:
            out.sum().backward()
        except RuntimeError as error:
            return str(error).replace("torchless", "torch")
        return out.grad_fn.name(), x.grad.shape

    same_in_both(record)


# ---------------------------------------------------------------------------- Number arguments beyond 64 bits
BIG_NUMBER_CALLS = {
    "softshrink": lambda F, x, big: F.softshrink(x, big),
    "softshrink keyword": lambda F, x, big: F.softshrink(x, lambd=big),
    "hardshrink": lambda F, x, big: F.hardshrink(x, big),
    "rrelu lower": lambda F, x, big: F.rrelu(x, big),
    "rrelu upper": lambda F, x, big: F.rrelu(x, 0.1, big),
    "rrelu_ upper": lambda F, x, big: F.rrelu_(x, 0.1, big),
    "elu": lambda F, x, big: F.elu(x, big),
    "softplus threshold": lambda F, x, big: F.softplus(x, 1, big),
    "normalize p": lambda F, x, big: F.normalize(x, p=big),
}


@pytest.mark.parametrize("call", list(BIG_NUMBER_CALLS))
@pytest.mark.parametrize("big", [10**20, 2**64, -2**63 - 1, -10**20, 2**63, 2**63 - 1])
def test_number_arguments_beyond_64_bits_overflow_as_pytorchs_parser(call, big):
    """PyTorch's parser reads a Python int as int64, or uint64: beyond both, Python's OverflowError."""
    def record(lib):
        x = lib.tensor([[-1.5, 0.2, 3.0], [0.5, -0.1, -2.0]])
        try:
            out = BIG_NUMBER_CALLS[call](lib.nn.functional, x, big)
        except Exception as error:  # noqa: BLE001 - the error is the outcome compared
            return type(error).__name__, str(error).replace("torchless", "torch")
        return tuple(out.shape)

    same_in_both(record)


# ---------------------------------------------------------------------------- vector norms' ord and dim
NORM_CALLS = {
    "complex ord": lambda lib, x: x.norm(1 + 2j, 1, True),
    "complex ord of no elements": lambda lib, x: x[:0].norm(-1 + 0j, 1),
    "complex ord of an int tensor": lambda lib, x: x.long().norm(1j),
    "vector_norm complex ord": lambda lib, x: lib.linalg.vector_norm(x, 1 + 2j),
    "big ord": lambda lib, x: x.norm(10**20, 1, True),
    "big ord, dim out of range": lambda lib, x: x.norm(10**20, 5),
    "big ord, float dims": lambda lib, x: x.norm(10**20, [1.0]),
    "vector_norm big ord": lambda lib, x: lib.linalg.vector_norm(x, -10**20),
    "float dims": lambda lib, x: x.norm(2, [1.0], True),
    "float dims in a tuple": lambda lib, x: x.norm(2, (0, 0.5)),
    "vector_norm float dims": lambda lib, x: lib.linalg.vector_norm(x, 2, [1.0]),
    "normalize complex p": lambda lib, x: lib.nn.functional.normalize(x, p=1 + 2j),
    "normalize float dims": lambda lib, x: lib.nn.functional.normalize(x, dim=[1.0]),
}


@pytest.mark.parametrize("call", list(NORM_CALLS))
def test_vector_norm_refuses_complex_orders_big_ints_and_float_dims_as_pytorch(call):
    def record(lib):
        try:
            return tuple(NORM_CALLS[call](lib, lib.ones(2, 3)).shape)
        except Exception as error:  # noqa: BLE001 - the error is the outcome compared
            return type(error).__name__, str(error).replace("torchless", "torch")

    same_in_both(record)


# ---------------------------------------------------------------------------- create_graph through mul.Scalar
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probability_target_smoothing_differentiates_as_mul_scalar(dtype, weighted):
    """PyTorch smooths a probability target with mul.Scalar: the target's gradient under create_graph is a
    MulBackward1, whose second derivatives follow."""
    rng = np.random.default_rng(0)
    logits, target, weight = rng.random((3, 4)), rng.random((3, 4)), rng.random(4) + 0.5

    def record(lib):
        tensors = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in (logits, target, weight)]
        x, t, w = tensors
        out = lib.nn.functional.cross_entropy(x, t, weight=w if weighted else None, label_smoothing=0.15)
        wrt = tensors if weighted else tensors[:2]
        grads = lib.autograd.grad(out, wrt, create_graph=True)
        seconds = lib.autograd.grad(sum((g * g).sum() for g in grads), wrt)
        return ([g.grad_fn.name() for g in grads],
                [np.round(np.asarray(g.detach().double().tolist()), 2).tolist() for g in grads + seconds])

    same_in_both(record)


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_mul_scalar_gradient_under_create_graph_is_a_mul_scalar(dtype):
    """mul.Scalar's derivative multiplies by the number as mul.Scalar again (MulBackward1); checked by hand, as
    mul.Scalar is what PyTorch's C++ composite ops call (here through trapezoid's spacing)."""
    from torchless._ops import arithmetic

    b = torchless.tensor([0.5, -1.0, 2.0], dtype=getattr(torchless, dtype), requires_grad=True)
    c = torchless.tensor([1.5, 2.0, -0.25], dtype=getattr(torchless, dtype), requires_grad=True)
    grad, = torchless.autograd.grad((arithmetic.mul_scalar(b, 0.75) * c).sum(), b, create_graph=True)
    assert grad.grad_fn.name() == "MulBackward1"
    np.testing.assert_allclose(grad.detach().double().numpy(), 0.75 * np.array([1.5, 2.0, -0.25]), rtol=1e-3)
    second, = torchless.autograd.grad(grad.sum(), c)
    np.testing.assert_allclose(second.double().numpy(), [0.75] * 3, rtol=1e-3)


# ---------------------------------------------------------------------------- cosine_embedding_loss's graph
def _graph_names(node, depth=0):
    if node is None:
        return None
    inputs = [_graph_names(next_node, depth + 1) for next_node, _ in node.next_functions] if depth < 9 else []
    return node.name(), inputs


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("shapes", [((4, 3), (4,)), ((3,), ())])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_cosine_embedding_loss_records_pytorchs_scalar_ops(dtype, shapes, reduction):
    """PyTorch's C++ adds eps with add.Scalar, subtracts the margin with sub.Scalar and computes 1 - cos as a
    tensor of ones minus cos in place: its AddBackward1, SubBackward1 and SubBackward0 (no RsubBackward1)."""
    rng = np.random.default_rng(0)
    shape, target_shape = shapes
    x1, x2, target = rng.random(shape), rng.random(shape), np.sign(rng.standard_normal(target_shape))

    def record(lib):
        a, b = (lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True) for v in (x1, x2))
        out = lib.nn.functional.cosine_embedding_loss(a, b, lib.tensor(target), margin=0.3, reduction=reduction)
        grads = lib.autograd.grad(out.sum(), [a, b])
        return (_graph_names(out.grad_fn), out.stride(),
                [np.round(np.asarray(t.detach().double().tolist()), 3).tolist() for t in (out,) + grads])

    same_in_both(record)


# ---------------------------------------------------------------------------- gradient layouts of losses
def _laid_out(lib, values, layout, requires_grad=False):
    tensor = lib.tensor(values)
    if layout == "transposed":
        tensor = lib.tensor(np.ascontiguousarray(values.T)).t()
    elif layout == "channels_last":
        tensor = tensor.contiguous(memory_format=lib.channels_last)
    elif layout == "sliced":
        tensor = lib.tensor(np.repeat(values, 2, axis=-1))[..., ::2]
    return tensor.requires_grad_(requires_grad)


@pytest.mark.parametrize("input_layout", ["contiguous", "transposed", "sliced"])
@pytest.mark.parametrize("target_layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_input_gradient_has_the_inputs_layout(input_layout, target_layout, reduction, weighted):
    """PyTorch's binary_cross_entropy_backward writes into empty_like(input)."""
    rng = np.random.default_rng(0)
    probabilities, target = rng.random((4, 6)) * 0.8 + 0.1, rng.random((4, 6))

    def record(lib):
        x = _laid_out(lib, probabilities, input_layout, True)
        t = _laid_out(lib, target, target_layout, True)
        out = lib.nn.functional.binary_cross_entropy(x, t, weight=lib.full((6,), 2.0) if weighted else None,
                                                    reduction=reduction)
        grads = lib.autograd.grad(out, [x, t], lib.ones_like(out))
        return [(g.stride(), np.round(g.numpy(), 6).tolist()) for g in grads]

    same_in_both(record)


def test_binary_cross_entropy_input_gradient_keeps_channels_last():
    values = np.random.default_rng(1).random((2, 3, 4, 4)) * 0.8 + 0.1

    def record(lib):
        x = _laid_out(lib, values, "channels_last", True)
        grad, = lib.autograd.grad(lib.nn.functional.binary_cross_entropy(x, lib.tensor(values)), x)
        return grad.stride(), np.round(grad.numpy(), 6).tolist()

    same_in_both(record)


@pytest.mark.parametrize("layout", ["transposed", "sliced"])
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_multi_margin_loss_gradient_is_c_contiguous(layout, p, reduction):
    """PyTorch's multi_margin_loss_backward allocates its result C-contiguous, whatever the input's layout."""
    values = np.random.default_rng(2).standard_normal((4, 3))

    def record(lib):
        x = _laid_out(lib, values, layout, True)
        out = lib.nn.functional.multi_margin_loss(x, lib.tensor([0, 1, 2, 1]), p=p, reduction=reduction)
        grad, = lib.autograd.grad(out, x, lib.ones_like(out))
        return grad.stride(), np.round(grad.numpy(), 6).tolist()

    same_in_both(record)


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("input_layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("grad_layout", ["contiguous", "transposed"])
def test_rrelu_gradient_under_create_graph_is_laid_out_as_without(training, input_layout, grad_layout):
    """In eval PyTorch's rrelu gradient is leaky_relu_backward's (the input's layout), after training C order."""
    values = np.random.default_rng(3).standard_normal((4, 2))

    def record(lib):
        lib.manual_seed(0)
        x = (lib.tensor(values).t() if input_layout == "transposed" else lib.tensor(values.T.copy())).requires_grad_()
        out = lib.nn.functional.rrelu(x * 1, 0.1, 0.3, training)
        grad = lib.tensor(np.ones((4, 2))).t() if grad_layout == "transposed" else lib.ones(2, 4, dtype=lib.float64)
        graphed, = lib.autograd.grad(out, x, grad, create_graph=True)
        return graphed.stride(), graphed.requires_grad

    same_in_both(record)
