"""Layers on the cases earlier sessions missed, each run on torch and on torchless with the same seed and compared:
what is returned (shapes, dtypes, values to float32 precision, requires_grad and grad_fn names), the warnings raised,
or the exception's type and message (torchless's names read as torch's)."""

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

from test_parity_regressions_layers24 import Values, outcome as outcome_of  # noqa: E402  (after the skip)


def outcome(lib, make):
    """``make(lib)`` after seeding the generator: a comparable record of what it returns (``record``), or of the
    exception, with the warnings raised."""
    return outcome_of(lib, make, describe=record)


def record(value):
    if isinstance(value, (tuple, list)):
        return tuple(record(item) for item in value)
    if hasattr(value, "detach"):
        return (tuple(value.shape), str(value.dtype).replace("torchless", "torch"), Values(value.detach().numpy()),
                value.requires_grad, value.grad_fn.name() if value.grad_fn is not None else None)
    return repr(value).replace("torchless", "torch")


def same_in_both(make):
    expected, got = outcome(torch, make), outcome(torchless, make)
    assert got == expected
    return expected


# ---------------------------------------------------------------- celu_ with alpha 0


@pytest.mark.parametrize("target", ["leaf", "view of a leaf", "unbound"])
def test_inplace_celu_refuses_the_overwrite_before_alpha_zero(target):
    # autograd's check of the in-place op runs before the kernel's of alpha
    def make(lib):
        leaf = lib.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
        x = {"leaf": leaf, "view of a leaf": leaf[0, :2], "unbound": leaf.clone().unbind(0)[0]}[target]
        return lib.nn.functional.celu(x, 0.0, inplace=True)

    result, _ = same_in_both(make)
    assert result[0] == "RuntimeError" and "ZeroDivisionError" not in result[1]


@pytest.mark.parametrize("requires_grad", [False, True])
def test_celu_alpha_zero_still_refused_where_the_overwrite_is_allowed(requires_grad):
    def make(lib):
        x = lib.tensor([1.0, -2.0], requires_grad=requires_grad)
        return lib.nn.functional.celu(x.clone() if requires_grad else x, 0.0, inplace=True)

    result, _ = same_in_both(make)
    assert result[1] == "ZeroDivisionError: alpha cannot be 0 for CELU"


# ---------------------------------------------------------------- softmax to float16 over an empty dim


@pytest.mark.parametrize("function", ["softmax", "softmin", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1])
def test_float16_softmax_over_an_empty_dim_warns_nothing(function, dim):
    def make(lib):
        x = lib.zeros(0, 3, requires_grad=True)
        return getattr(lib.nn.functional, function)(x, dim, dtype=lib.float16)

    result, caught = same_in_both(make)
    assert caught == [] and result[0] == (0, 3)


# ---------------------------------------------------------------- embedding_bag's gradients under create_graph


def bag_gradients(lib, mode, weighted, two_d, weight_requires_grad, square):
    """The gradients of embedding_bag's inputs taken with create_graph=True, each with whether differentiating it
    again works."""
    weight = lib.arange(15.0).reshape(5, 3).div(7).requires_grad_(weight_requires_grad)
    indices = lib.tensor([[0, 1], [1, 2]]) if two_d else lib.tensor([0, 1, 1, 2])
    offsets = None if two_d else lib.tensor([0, 2])
    per_sample_weights = lib.linspace(0.5, 2.0, 4).reshape(indices.shape).requires_grad_() if weighted else None
    out = lib.nn.functional.embedding_bag(indices, weight, offsets, mode=mode, per_sample_weights=per_sample_weights)
    inputs = [t for t in (weight, per_sample_weights) if t is not None and t.requires_grad]
    gradients = lib.autograd.grad((out * out if square else out).sum(), inputs, create_graph=True)
    again = []
    for gradient in gradients:
        try:
            lib.autograd.grad(gradient.sum(), inputs, allow_unused=True)
            again.append("differentiable")
        except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
            again.append(f"{type(error).__name__}: {error}")
    return gradients, again


# (mode, per-sample weights, whether the weight requires grad): something requiring grad
BAG_CASES = [("sum", False, True), ("sum", True, True), ("sum", True, False), ("mean", False, True), ("max", False, True)]


@pytest.mark.parametrize("mode, weighted, weight_requires_grad", BAG_CASES)
@pytest.mark.parametrize("two_d", [False, True])
@pytest.mark.parametrize("square", [False, True])
def test_embedding_bag_gradients_require_grad_only_where_what_they_read_does(mode, weighted, weight_requires_grad,
                                                                              two_d, square):
    # the weight's gradient reads grad and the per-sample weights, theirs grad and the weight: the gradient of a
    # plain sum needs no graph, and each backward op raises its own error
    same_in_both(lambda lib: bag_gradients(lib, mode, weighted, two_d, weight_requires_grad, square))


def test_embedding_bag_plain_sum_gives_a_gradient_outside_the_graph():
    gradients, again = bag_gradients(torchless, "sum", False, False, True, False)
    assert not gradients[0].requires_grad and gradients[0].grad_fn is None
    np.testing.assert_allclose(gradients[0].numpy(), [[1, 1, 1], [2, 2, 2], [1, 1, 1], [0, 0, 0], [0, 0, 0]])


# ---------------------------------------------------------------- gelu of +inf


GELU_INPUTS = {
    "one element": lambda lib, dtype: lib.full((1,), float("inf"), dtype=dtype),
    "0-d": lambda lib, dtype: lib.tensor(float("inf"), dtype=dtype),
    "two elements": lambda lib, dtype: lib.full((2,), float("inf"), dtype=dtype),
    "mixed": lambda lib, dtype: lib.tensor([float("inf"), 1.0, -2.0, float("inf")], dtype=dtype),
    "offset slice": lambda lib, dtype: lib.full((5,), float("inf"), dtype=dtype)[1:],
    "column": lambda lib, dtype: lib.full((3, 1), float("inf"), dtype=dtype),
    "strided": lambda lib, dtype: lib.full((10,), float("inf"), dtype=dtype)[::2],
    "transposed": lambda lib, dtype: lib.full((4, 3), float("inf"), dtype=dtype).t(),
    "column slice": lambda lib, dtype: lib.full((4, 3), float("inf"), dtype=dtype)[:, :2],
    "expanded": lambda lib, dtype: lib.tensor([float("inf")], dtype=dtype).expand(5),
    "channels_last": lambda lib, dtype: lib.full((2, 3, 2, 2), float("inf"), dtype=dtype).to(
        memory_format=lib.channels_last),
}


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
@pytest.mark.parametrize("layout", list(GELU_INPUTS))
def test_gelu_of_infinity_follows_pytorchs_kernel_choice(layout, dtype):
    # PyTorch's vectorized float kernel (a contiguous input of several elements) gives NaN at +inf, its scalar loop
    # and its float16 and float64 kernels inf
    same_in_both(lambda lib: lib.nn.functional.gelu(GELU_INPUTS[layout](lib, getattr(lib, dtype))))


# ---------------------------------------------------------------- glu's gradient layout


def glu_gradient(lib, layout, dim, create_graph):
    x = lib.arange(2 * 4 * 4 * 6, dtype=lib.float32).reshape(2, 4, 4, 6).div(50).sin()
    x = layout(lib, x).detach().requires_grad_()
    y = lib.nn.functional.glu(x, dim)
    weights = lib.arange(float(y.numel())).reshape(y.shape).cos()
    gradient, = lib.autograd.grad(y, x, weights, create_graph=create_graph)
    return gradient, gradient.stride()


@pytest.mark.parametrize("layout", [
    lambda lib, x: x.contiguous(memory_format=lib.channels_last),
    lambda lib, x: x.permute(0, 1, 3, 2),
    lambda lib, x: x.permute(2, 1, 0, 3),
    lambda lib, x: x[..., ::2],
], ids=["channels_last", "permuted", "permuted outer", "sliced"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("create_graph", [False, True])
def test_glu_gradient_is_c_contiguous_whatever_the_input_layout(layout, dim, create_graph):
    # glu_backward allocates its result C-contiguous
    same_in_both(lambda lib: glu_gradient(lib, layout, dim, create_graph))


# ---------------------------------------------------------------- complex Number arguments


COMPLEX_ARGUMENT_CALLS = {
    "celu": lambda F, x, c: F.celu(-x, c),
    "celu inplace": lambda F, x, c: F.celu(-x, c, inplace=True),
    "celu float16": lambda F, x, c: F.celu(-x.half(), c),
    "softshrink": lambda F, x, c: F.softshrink(x, c),
    "softshrink float16": lambda F, x, c: F.softshrink(x.half(), c),
    "rrelu lower": lambda F, x, c: F.rrelu(-x, c * 0.1, 0.3),
    "rrelu upper": lambda F, x, c: F.rrelu(-x, 0.1, c * 0.3),
    "rrelu_": lambda F, x, c: F.rrelu_(-x, c * 0.1, 0.3),
    "elu": lambda F, x, c: F.elu(-x, c),
    "elu_": lambda F, x, c: F.elu_(-x, c),
    "leaky_relu": lambda F, x, c: F.leaky_relu(-x, c * 0.1),
    "leaky_relu inplace": lambda F, x, c: F.leaky_relu(-x, c * 0.1, inplace=True),
    "softplus beta": lambda F, x, c: F.softplus(x, c * 2),
    "softplus threshold": lambda F, x, c: F.softplus(x, 2, c),
    "hardshrink": lambda F, x, c: F.hardshrink(x, c * 0.5),
}


@pytest.mark.parametrize("number", [1 + 0j, 1j, 0.5 + 1e-3j])
@pytest.mark.parametrize("call", list(COMPLEX_ARGUMENT_CALLS))
def test_a_complex_number_argument_is_read_as_a_real(call, number):
    # PyTorch's kernels convert the Scalar to a real type: a complex number without imaginary part is its real part,
    # one with an imaginary part fails the conversion (to double where the op reads a double, else to its kernel's
    # type)
    def make(lib):
        x = lib.tensor([[0.25, 1.5, -2.0], [3.0, -0.5, 0.0]])
        return COMPLEX_ARGUMENT_CALLS[call](lib.nn.functional, x, number)

    same_in_both(make)


# ---------------------------------------------------------------- cosine_similarity's eps


@pytest.mark.parametrize("eps", [-1.0, -2, -1e-30, -0.123456789, -123456789.0, float("-inf"), float("nan"), 0.0, -0.0,
                                 1e-8])
@pytest.mark.parametrize("call", [
    lambda lib, a, b, eps: lib.nn.functional.cosine_similarity(a, b, 1, eps),
    lambda lib, a, b, eps: lib.cosine_similarity(a, b, 1, eps),
    lambda lib, a, b, eps: lib.nn.CosineSimilarity(eps=eps)(a, b),
    lambda lib, a, b, eps: lib.nn.functional.cosine_similarity(a.long(), b, 1, eps),  # (checked before the dtype)
    lambda lib, a, b, eps: lib.nn.functional.cosine_similarity(a, b[:1].expand(3, 3), 5, eps),  # (and the dim)
], ids=["functional", "torch", "module", "int input", "bad dim"])
def test_cosine_similarity_refuses_a_negative_eps(call, eps):
    def make(lib):
        a = lib.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 0.5, 3.0]])
        return call(lib, a, a.flip(0), eps)

    same_in_both(make)


# ---------------------------------------------------------------- embedding: max_norm's in-place op, double backward


@pytest.mark.parametrize("function", ["embedding", "embedding_bag"])
@pytest.mark.parametrize("indices", [[[1, 1, 2]], [[0, 0]]], ids=["renormalised", "within the norm"])
def test_max_norm_renormalisation_counts_as_an_in_place_op(function, indices):
    # PyTorch's embedding_renorm_ runs on weight.detach(), which shares the version counter: one bump per call,
    # whatever rows it changed
    def make(lib):
        weight = lib.arange(24.0).reshape(6, 4).div(10).requires_grad_()
        getattr(lib.nn.functional, function)(lib.tensor(indices), weight, max_norm=1.0)
        return weight, weight._version

    same_in_both(make)


def test_max_norm_renormalisation_invalidates_a_weight_saved_for_backward():
    def make(lib):
        weight = lib.arange(24.0).reshape(6, 4).div(10).requires_grad_()
        saved = weight.pow(2)
        lib.nn.functional.embedding(lib.tensor([5]), weight, max_norm=1.0)
        saved.sum().backward()

    result, _ = same_in_both(make)
    assert result[0] == "RuntimeError"


@pytest.mark.parametrize("options", [{}, {"padding_idx": 1}, {"scale_grad_by_freq": True}])
@pytest.mark.parametrize("indices", [[1, 2, 1], [[1, 2], [1, 5]], 3])
def test_embedding_gradient_under_create_graph_is_one_backward_op(options, indices):
    # PyTorch records it as EmbeddingDenseBackwardBackward0, listing the incoming gradient's node alone
    def make(lib):
        weight = lib.arange(24.0).reshape(6, 4).div(10).requires_grad_()
        out = lib.nn.functional.embedding(lib.tensor(indices), weight, **options)
        gradient, = lib.autograd.grad(out.pow(2).sum(), weight, create_graph=True)
        listed = [node.name() if node is not None else None for node, _ in gradient.grad_fn.next_functions]
        return gradient, listed, lib.autograd.grad(gradient.pow(2).sum(), weight)

    same_in_both(make)


# ---------------------------------------------------------------- gradients without a derivative: their nodes


def listed(gradient):
    return [node.name() if node is not None else None for node, _ in gradient.grad_fn.next_functions]


@pytest.mark.parametrize("grad_requires_grad", [False, True])
@pytest.mark.parametrize("computed_input", [False, True])
def test_hardsigmoid_gradient_under_create_graph_reads_the_input(grad_requires_grad, computed_input):
    # hardsigmoid_backward(grad, self) has no derivative: PyTorch's NotImplemented node lists the inputs requiring
    # grad alone, the incoming gradient's and the input's
    def make(lib):
        x = lib.tensor([-4.0, -1.0, 0.5, 2.0, 4.0], requires_grad=True)
        out = lib.nn.functional.hardsigmoid(x * 1 if computed_input else x)
        weights = lib.linspace(-1.0, 1.0, 5).requires_grad_(grad_requires_grad)
        gradient, = lib.autograd.grad(out, x, weights, create_graph=True)
        try:
            lib.autograd.grad(gradient.sum(), x)
            again = "differentiable"
        except RuntimeError as error:
            again = str(error)
        return gradient, listed(gradient), again

    same_in_both(make)


@pytest.mark.parametrize("square", [False, True])
def test_not_implemented_node_lists_only_inputs_requiring_grad(square):
    def make(lib):
        weight = lib.arange(15.0).reshape(5, 3).div(7).requires_grad_()
        per_sample_weights = lib.linspace(0.5, 2.0, 4).requires_grad_()
        out = lib.nn.functional.embedding_bag(lib.tensor([0, 1, 1, 2]), weight, lib.tensor([0, 2]), mode="sum",
                                              per_sample_weights=per_sample_weights)
        gradients = lib.autograd.grad((out * out if square else out).sum(), [weight, per_sample_weights],
                                      create_graph=True)
        return [(gradient.grad_fn.name(), listed(gradient)) for gradient in gradients]

    same_in_both(make)
