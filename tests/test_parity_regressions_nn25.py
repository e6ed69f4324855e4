"""Layers, functional ops and losses on the cases earlier sessions missed (found by randomized differential runs),
each run on torch and on torchless and compared: the values returned (shapes, dtypes, values to the precision
given), gradients and double-backward gradients, the warnings raised, or the exception's type and message
(torchless's names read as torch's)."""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def outcome(lib, make, rtol, atol):
    """``make(lib)`` after seeding the generator: a comparable record of what it returns, or of the exception,
    with the warnings raised."""
    lib.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = record(make(lib), rtol, atol)
        except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
            result = type(error).__name__, str(error).replace("torchless", "torch")
    return result, sorted(str(warning.message).replace("torchless", "torch") for warning in caught)


class Values:
    """A tensor's values, equal to another's within the tolerances (NaN equal to NaN)."""

    def __init__(self, array, rtol, atol):
        self.array, self.rtol, self.atol = array, rtol, atol

    def __eq__(self, other):
        return (isinstance(other, Values) and self.array.shape == other.array.shape
                and np.allclose(self.array, other.array, rtol=self.rtol, atol=self.atol, equal_nan=True))

    def __repr__(self):
        return repr(self.array)


def record(value, rtol, atol):
    if isinstance(value, (tuple, list)):
        return tuple(record(item, rtol, atol) for item in value)
    if hasattr(value, "detach"):
        array = value.detach().numpy().astype(np.float64)
        return tuple(value.shape), str(value.dtype).replace("torchless", "torch"), Values(array, rtol, atol)
    return repr(value).replace("torchless", "torch")


def same_in_both(make, rtol=1e-5, atol=1e-6):
    expected, got = outcome(torch, make, rtol, atol), outcome(torchless, make, rtol, atol)
    assert got == expected
    return expected


def first_and_second_gradients(lib, output, inputs, grad=None):
    """The output, its gradients for ``inputs`` under create_graph, and the gradients of their sum."""
    grad = lib.ones_like(output) * 0.7 if grad is None else grad
    firsts = lib.autograd.grad(output, inputs, grad, create_graph=True, allow_unused=True)
    total = sum(first.sum() for first in firsts if first is not None and first.requires_grad)
    seconds = lib.autograd.grad(total, inputs, allow_unused=True)
    return output, firsts, seconds


# ---------------------------------------------------------------- elu family: double backward at zero


@pytest.mark.parametrize("function, kwargs", [("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}),
                                              ("celu", {"alpha": 2.0}), ("elu", {"inplace": True}),
                                              ("selu", {"inplace": True}), ("celu", {"inplace": True})])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_elu_family_second_derivative_is_zero_at_zero(function, kwargs, dtype):
    # PyTorch's elu_double_backward masks by x < 0: nothing flows at an exact zero (torchless gave alpha * scale)
    def make(lib):
        x = lib.tensor([-1.5, -0.0, 0.0, 0.5, 2.0], dtype=getattr(lib, dtype), requires_grad=True)
        source = x * 1 if kwargs.get("inplace") else x
        return first_and_second_gradients(lib, getattr(lib.nn.functional, function)(source, **kwargs), [x])

    same_in_both(make)


# ---------------------------------------------------------------- softmax family: float16 under create_graph


@pytest.mark.parametrize("function", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("source_dtype", ["float16", "float32"])
@pytest.mark.parametrize("dim", [0, 1])
def test_float16_softmax_gradient_under_create_graph_is_the_kernels(function, source_dtype, dim):
    # the gradient's values are those of the backward kernel (float32, rounded once), as without create_graph;
    # its own derivative is PyTorch's formula computed in float16
    data = np.random.default_rng(1).standard_normal((3, 4)) * 3
    upstream = np.linspace(-1, 1, 12).reshape(3, 4)

    def make(lib, order):
        x = lib.tensor(data, dtype=getattr(lib, source_dtype), requires_grad=True)
        y = getattr(lib.nn.functional, function)(x, dim, dtype=lib.float16)
        return first_and_second_gradients(lib, y, [x], lib.tensor(upstream, dtype=lib.float16))[:order + 1]

    same_in_both(lambda lib: make(lib, 1), rtol=0, atol=0)
    same_in_both(lambda lib: make(lib, 2), rtol=0, atol=1e-4)  # (the second: float16 ops in another order)


# ---------------------------------------------------------------- float16 times a Python number, create_graph


@pytest.mark.parametrize("formula", ["x * 2.5", "3.3 * x", "x / 3.3", "3.3 / x", "(x * x) * 1.7", "(x * x) / 1.7",
                                     "(x * x) * 700.0"])
def test_float16_tensor_with_a_number_is_twice_differentiable(formula):
    # refused with NotImplementedError (no create_graph formulation of the float16 opmath-scalar nodes)
    def make(lib):
        x = lib.tensor([0.3, -1.7, 2.5, 0.01], dtype=lib.float16, requires_grad=True)
        y = eval(formula, {"x": x})  # noqa: S307 - fixed formulas of this test
        return first_and_second_gradients(lib, y, [x], lib.tensor([0.3, 0.7, 1.1, -2.0], dtype=lib.float16))

    same_in_both(make, rtol=0, atol=0)


@pytest.mark.parametrize("formula", ["x * 70000.0", "70000.0 * x", "x / 1e-5", "1e5 / x", "1e-9 / x", "-3.7 / x"])
def test_float16_tensor_with_a_number_overflows_silently(formula):
    # the float32 result's cast to float16 warned "overflow encountered in cast"
    def make(lib):
        x = lib.tensor([0.3, -1.7, 2.5, 0.01], dtype=lib.float16, requires_grad=True)
        y = eval(formula, {"x": x})  # noqa: S307 - fixed formulas of this test
        return y, lib.autograd.grad(y, x, lib.full_like(y, 3.0))

    same_in_both(make, rtol=0, atol=0)


@pytest.mark.parametrize("loss", ["gaussian_nll_loss", "multilabel_soft_margin_loss", "hardswish", "silu"])
def test_float16_losses_and_inplace_activations_are_twice_differentiable(loss):
    data = np.array([[0.3, -1.2, 2.0], [0.0, 0.7, -0.4]])

    def make(lib):
        x = lib.tensor(data, dtype=lib.float16, requires_grad=True)
        F = lib.nn.functional
        if loss == "gaussian_nll_loss":
            out = F.gaussian_nll_loss(x, lib.zeros_like(x), x.detach().abs() + 0.5)
        elif loss == "multilabel_soft_margin_loss":
            out = F.multilabel_soft_margin_loss(x, (lib.tensor(data) > 0).half())
        else:
            out = getattr(F, loss)(x * 1, inplace=True)
        return first_and_second_gradients(lib, out, [x])

    same_in_both(make, rtol=1e-3, atol=1e-3)


# ---------------------------------------------------------------- GroupNorm: empty batch or groups


@pytest.mark.parametrize("shape", [(0, 6, 2), (2, 6, 0), (0, 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_double_backward_with_no_elements(shape, affine):
    # an empty batch failed with ValueError (reshape), empty groups with ZeroDivisionError
    def make(lib):
        x = lib.ones(shape, requires_grad=True)
        norm = lib.nn.GroupNorm(2, 6, affine=affine)
        inputs = [x] + list(norm.parameters())
        return first_and_second_gradients(lib, norm(x), inputs)

    same_in_both(make)


# ---------------------------------------------------------------- trunc_normal_ of float16 tensors


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mean, std, a, b", [(1.0, 0.1, -0.5, 0.5), (0.0, 0.1, 0.05, 0.3), (0.3, 3.0, -0.2, 0.2)])
def test_trunc_normal_float16_rejection_rounds_as_pytorch(seed, mean, std, a, b):
    # the acceptance test's ops take the numbers in float32 (torchless rounded std = 0.1 to float16 first), so
    # candidates near the threshold were accepted differently
    def make(lib):
        generator = lib.Generator().manual_seed(seed)
        tensor = lib.empty((6, 3, 2, 2, 2), dtype=lib.float16)
        return lib.nn.init.trunc_normal_(tensor, mean, std, a, b, generator=generator)

    same_in_both(make, rtol=0, atol=0)


# ---------------------------------------------------------------- rms_norm of complex input


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("weight_dtype", [None, "float32", "float64", "complex64"])
@pytest.mark.parametrize("eps", [None, 1e-6])
@pytest.mark.parametrize("data", [[[1 + 2j, 3 - 1j], [0.5j, 2]], [[1e-4 + 0j, 0]], [[0j, 0j]]])
def test_rms_norm_of_complex_input_is_pytorchs_composite(dtype, weight_dtype, eps, data):
    # refused with NotImplementedError; PyTorch computes x * rsqrt(mean(x ** 2) + eps) [* weight] by its ops
    def make(lib):
        x = lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)
        weight = None if weight_dtype is None else lib.tensor([1.0, 2.0], dtype=getattr(lib, weight_dtype),
                                                              requires_grad=True)
        with warnings.catch_warnings():  # (the mismatched weight's warning is once per process: order-dependent)
            warnings.filterwarnings("ignore", "Mismatch dtype between input and weight")
            y = lib.nn.functional.rms_norm(x, (2,), weight, eps)
        inputs = [x] + ([weight] if weight is not None else [])
        nodes = [y.grad_fn.name()] + [None if node is None else node.name() for node, _ in y.grad_fn.next_functions]
        return y, nodes, lib.autograd.grad(y.abs().sum(), inputs)

    same_in_both(make)


def test_rms_norm_module_of_complex_input():
    same_in_both(lambda lib: lib.nn.RMSNorm(2)(lib.tensor([[1 + 2j, 3 - 1j], [0.5j, 2]])))


# ---------------------------------------------------------------- the fused CPU attention kernel's node


def _attention_inputs(lib):
    query = lib.tensor(np.sin(np.arange(24.0)).reshape(1, 2, 3, 4), requires_grad=True)
    return query, query * 2, query.detach().cos()


@pytest.mark.parametrize("mask", [None, "bool", "float"])
def test_fused_attention_is_one_node_without_a_second_derivative(mask):
    # PyTorch's CPU dispatcher picks its flash kernel here: one node of query, key and value, whose backward
    # has no derivative (torchless composed ops: other node names, and a gradient penalty went through)
    def make(lib):
        query, key, value = _attention_inputs(lib)
        attn_mask = None if mask is None else lib.tensor([[True, False, True]] * 3)
        if mask == "float":
            attn_mask = lib.zeros(3, 3).masked_fill(attn_mask.logical_not(), float("-inf"))
        output = lib.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=attn_mask)
        nodes = [output.grad_fn.name()] + [None if node is None else node.name()
                                           for node, _ in output.grad_fn.next_functions]
        first, = lib.autograd.grad((output * output).sum(), query, create_graph=True)
        return nodes, output, first, lib.autograd.grad(first.sum(), query)

    same_in_both(make)


def test_fused_attention_gradients_and_retained_backward():
    def make(lib):
        query, key, value = _attention_inputs(lib)
        output = lib.nn.functional.scaled_dot_product_attention(query, key, value, is_causal=True)
        (output * output).sum().backward(retain_graph=True)
        first = query.grad.clone()
        output.sum().backward()
        return first, query.grad

    same_in_both(make)


@pytest.mark.parametrize("need_weights", [False, True])
def test_multihead_attention_gradient_penalty(need_weights):
    # need_weights=False runs the fused kernel: PyTorch refuses the second derivative
    def make(lib):
        lib.manual_seed(0)
        attention = lib.nn.MultiheadAttention(4, 2)
        query = lib.tensor(np.sin(np.arange(24.0)).reshape(3, 2, 4), requires_grad=True)
        output, _ = attention(query, query, query, need_weights=need_weights)
        first, = lib.autograd.grad(output.sum(), query, create_graph=True)
        return output, first, lib.autograd.grad((first * first).sum(), query)

    same_in_both(make, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_fused_attention_refuses_forward_ad(requires_grad):
    def make(lib):
        x = lib.ones(2, 2, 3, 4, requires_grad=requires_grad)
        with lib.autograd.forward_ad.dual_level():
            dual = lib.autograd.forward_ad.make_dual(x, lib.ones_like(x))
            output = lib.nn.functional.scaled_dot_product_attention(dual, dual, dual)
            return lib.autograd.forward_ad.unpack_dual(output).tangent

    outcome(torch, make, 0, 0)  # (PyTorch's first forward AD call warns of its lazy torch.jit.script imports)
    same_in_both(make)
