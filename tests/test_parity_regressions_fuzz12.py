"""Differences from PyTorch found by a twelfth differential fuzz audit (randomised CNN-training calls), each compared
with torch.

* l1_loss and mse_loss compute on the two tensors broadcast together, as PyTorch's functional does: a 0-dim tensor's
  dtype then counts as a dimensioned one's (an f32 input and a 0-dim f64 target give an f64 loss);
* torch.broadcast_tensors returns a tensor already of the common shape itself (no view, no ExpandBackward0);
* output layouts: log_sigmoid and CrossMapLRN2d write contiguous outputs for any input layout (log_sigmoid's
  gradient follows the output gradient's), rrelu in eval mode too (leaky_relu into a contiguous tensor);
* a recorded in-place op keeps the tensor's layout whatever layout its result was computed in (index_fill_,
  scatter_ and rrelu_ in training turned a transposed or channels-last tensor C-contiguous);
* reductions (sum, mean, prod, amax, max(dim), var, std, norm, count_nonzero, logsumexp, nansum, all, any, ...)
  and scans (cumsum, cumprod, cummax, logcumsumexp) of a transposed or permuted tensor return C-contiguous
  tensors, as PyTorch's kernels allocate them (``.view()`` of the result works);
* cat is laid out channels-last only when every input suggests it, else C-contiguous (NumPy followed transposed
  inputs); stack is that cat along dim viewed with dim split (along the last dim, cat of the inputs unsqueezed);
* sort's values and indices are laid out as the input (made dense), not C-contiguous;
* unreduced elementwise losses (mse, bce, huber, smooth_l1, soft_margin) follow the input's layout, as
  PyTorch's TensorIterator lays them out;
* index_select, repeat, repeat_interleave, tril/triu, narrow_copy, renorm and one_hot return C-contiguous tensors
  whatever the input's layout; round(decimals=) keeps it; roll is laid out as PyTorch's cat of two slices;
* logsumexp(dim=()) reduces every dim (keepdim=False then fails as PyTorch's copy into its output does);
* roll: no shifts, or several shifts without dims, fail as in PyTorch; dims=() rolls the flattened tensor;
* pow with a number exponent of -0.5 is PyTorch's rsqrt for float32/float64 (-inf at -0.0, NaN at -inf), also in
  the gradient of x ** 0.5 (LPPool's); a tensor exponent of 0.5 is pow itself (inf at -inf), not a square root;
* IterableDataset is abstract (a typing.Iterable): a subclass without __iter__ cannot be instantiated;
* sums, means, products and running sums/products of inf and NaN (and adaptive average pooling, einsum and kron of
  them) warn nothing, as PyTorch: NumPy's warnings came from its own Python code (np.sum, np.cumsum, np.prod,
  np.einsum, ...), past the filter that silences those raised in torchless's modules;
* constant padding that pads one side and crops another returns a contiguous tensor (channels-last for such an
  input), not a view into the grown array (whose .view() failed);
* matmul of batches of 2 or more dims in another layout returns a C-contiguous tensor, as PyTorch's bmm of the
  reshaped batches;
* nonzero and argwhere return their (N, ndim) indices with strides (1, N), as PyTorch's kernel writes them;
* cat of only 1-D empty tensors checks no dim (PyTorch's legacy_cat_wrap_dim wraps none) and returns one;
* einsum of two or more operands returns a C-contiguous tensor in the common cases, as PyTorch's bmm-based
  contraction ('ij,jk->ik' and attention's 'bhqd,bhkd->bhqk' came out transposed: .view() failed).
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome, outcome

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------------- broadcast regression losses
@pytest.mark.parametrize("fn", ["l1_loss", "mse_loss"])
@pytest.mark.parametrize("shapes", [((3,), ()), ((), (3,)), ((2, 3), (3,)), ((3,), (3,))])
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32")])
@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_loss_promotes_the_broadcast_tensors(fn, shapes, dtypes, reduction, weighted):
    def call(lib):
        x = lib.tensor(np.linspace(-1, 2, int(np.prod(shapes[0]))).reshape(shapes[0]),
                       dtype=getattr(lib, dtypes[0]), requires_grad=True)
        t = lib.tensor(np.linspace(0, 1, int(np.prod(shapes[1]))).reshape(shapes[1]),
                       dtype=getattr(lib, dtypes[1]), requires_grad=True)
        weight = lib.full(shapes[0], 2.0) if weighted else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = getattr(lib.nn.functional, fn)(x, t, reduction=reduction, weight=weight)
        loss.sum().backward()
        return loss, x.grad, t.grad

    assert_same_outcome(call)


def test_broadcast_tensors_returns_a_tensor_of_the_common_shape_itself():
    for lib in (torch, torchless):
        a, b = lib.ones(2, 3, requires_grad=True), lib.ones(3, dtype=lib.float64)
        x, y = lib.broadcast_tensors(a, b)
        assert x is a and x.grad_fn is None and not x._is_view()
        assert y._is_view() and type(y.grad_fn).__name__ == "NoneType"
        assert lib.broadcast_tensors(a, a.detach() + 1)[0] is a


def _strides(t):
    """The strides that matter (those of dims of size 1 do not)."""
    return tuple(s for s, n in zip(t.stride(), t.shape) if n > 1)


def _layout(lib, x, layout):
    if layout == "transposed":
        return x.transpose(0, 3)
    if layout == "channels_last":
        return x.contiguous(memory_format=lib.channels_last)
    if layout == "permuted":
        return x.permute(2, 0, 3, 1)
    return x[..., ::2]  # not dense


LAYOUTS = ["transposed", "channels_last", "permuted", "sliced"]


# ---------------------------------------------------------------------------- output layouts
def _output_and_gradient(lib, forward, layout, grad_layout):
    """forward(lib, x) of a (2, 3, 4, 6) input in ``layout``, its gradient for an output gradient in ``grad_layout``,
    and both strides."""
    x = lib.tensor(np.random.RandomState(0).randn(2, 3, 4, 6), requires_grad=True)
    y = forward(lib, _layout(lib, x, layout))
    grad = lib.tensor(np.random.RandomState(1).randn(*y.shape))
    if grad_layout == "transposed":
        grad = grad.transpose(0, 3).contiguous().transpose(0, 3)
    (g,) = lib.autograd.grad(y, x, grad)
    return y, g, _strides(y), _strides(g)


@pytest.mark.parametrize("layer, args", [("LogSigmoid", ()), ("CrossMapLRN2d", (3,)), ("RReLU", ())])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("grad_layout", ["contiguous", "transposed"])
def test_output_layout_of_contiguous_kernels(layer, args, layout, grad_layout):
    def forward(lib, x):
        return getattr(lib.nn, layer)(*args).eval()(x)

    expected, actual = (_output_and_gradient(lib, forward, layout, grad_layout) for lib in (torch, torchless))
    assert actual[2:] == expected[2:]
    for ours, theirs in zip(actual[:2], expected[:2]):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("bounds", [(0.1, 0.3), (0.2, 0.2)])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("grad_layout", ["contiguous", "transposed"])
def test_gradient_layout_of_rrelu_in_training(bounds, layout, grad_layout):
    """Equal bounds make the drawn slopes known: the values compare too."""
    def forward(lib, x):
        return lib.nn.functional.rrelu(x, *bounds, training=True)

    expected, actual = (_output_and_gradient(lib, forward, layout, grad_layout) for lib in (torch, torchless))
    assert actual[2:] == expected[2:]
    if bounds[0] == bounds[1]:
        for ours, theirs in zip(actual[:2], expected[:2]):
            np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------- recorded in-place ops
IN_PLACE = {
    "index_fill_": lambda lib, x: x.index_fill_(0, lib.tensor([0]), 2.0),
    "scatter_": lambda lib, x: x.scatter_(0, lib.zeros((1,) + tuple(x.shape[1:]), dtype=lib.int64), 5.0),
    "rrelu_": lambda lib, x: lib.nn.functional.rrelu(x, 0.2, 0.2 + 1e-7, training=True, inplace=True),
    "relu_": lambda lib, x: x.relu_(),
}


@pytest.mark.parametrize("op", list(IN_PLACE))
@pytest.mark.parametrize("layout", ["transposed", "channels_last", "permuted"])
def test_recorded_in_place_op_keeps_the_layout(op, layout):
    """rrelu_'s slopes lie in [0.2, 0.2 + 1e-7]: its values compare at float32 precision whatever was drawn."""
    def call(lib):
        a = lib.tensor(np.random.RandomState(0).randn(2, 3, 4, 5).astype(np.float32), requires_grad=True)
        x = _layout(lib, a, layout) * 1
        y = IN_PLACE[op](lib, x)
        y.backward(lib.ones(y.shape))
        return y, a.grad, _strides(y), _strides(x), y is x

    expected, actual = call(torch), call(torchless)
    assert actual[2:] == expected[2:]
    for ours, theirs in zip(actual[:2], expected[:2]):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- reductions and scans
REDUCTIONS = {
    "sum": lambda lib, x: x.sum(1), "sum_keepdim": lambda lib, x: x.sum(1, keepdim=True),
    "sum_dtype": lambda lib, x: x.sum(1, dtype=lib.float64), "mean": lambda lib, x: x.mean((0, 1)),
    "prod": lambda lib, x: x.prod(1), "amax": lambda lib, x: x.amax(1), "amin": lambda lib, x: x.amin((1, 2)),
    "max_dim": lambda lib, x: x.max(1), "min_dim": lambda lib, x: x.min(1, keepdim=True),
    "var": lambda lib, x: x.var(1),
    "std": lambda lib, x: x.std(0), "norm": lambda lib, x: x.norm(dim=1), "norm_p1": lambda lib, x: x.norm(p=1, dim=1),
    "vector_norm": lambda lib, x: lib.linalg.vector_norm(x, dim=1), "count_nonzero": lambda lib, x: x.count_nonzero(1),
    "logsumexp": lambda lib, x: x.logsumexp(1), "nansum": lambda lib, x: x.nansum(1),
    "nanmean": lambda lib, x: x.nanmean(1),
    "all": lambda lib, x: x.all(1), "any": lambda lib, x: x.any(1), "aminmax": lambda lib, x: x.aminmax(dim=1),
    "std_mean": lambda lib, x: lib.std_mean(x, 1), "var_mean": lambda lib, x: lib.var_mean(x, 1),
    "cumsum": lambda lib, x: x.cumsum(1), "cumsum_dtype": lambda lib, x: x.cumsum(1, dtype=lib.float64),
    "cumprod": lambda lib, x: x.cumprod(1), "cummax": lambda lib, x: x.cummax(1), "cummin": lambda lib, x: x.cummin(0),
    "logcumsumexp": lambda lib, x: x.logcumsumexp(1),
}


@pytest.mark.parametrize("op", list(REDUCTIONS))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_reductions_and_scans_return_c_contiguous_tensors(op, layout):
    _assert_same_outputs_and_layouts(
        lambda lib, x: REDUCTIONS[op](lib, x[0] if layout != "channels_last" else x.sum(0)), layout, atol=1e-5)


def _assert_same_outputs_and_layouts(function, layout, atol):
    """function(lib, x) of a (3, 4, 5, 6) float32 input in ``layout``: the same values (rtol 1e-5), strides and
    contiguity in both libraries, for each output."""
    def call(lib):
        x = _layout(lib, lib.tensor(np.random.RandomState(0).randn(3, 4, 5, 6).astype(np.float32)), layout)
        out = function(lib, x)
        outs = tuple(out) if isinstance(out, tuple) else (out,)
        return outs, [(_strides(t), t.is_contiguous()) for t in outs]

    (expected, expected_layouts), (actual, actual_layouts) = call(torch), call(torchless)
    assert actual_layouts == expected_layouts
    for ours, theirs in zip(actual, expected):
        np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64),
                                   rtol=1e-5, atol=atol)


# ---------------------------------------------------------------------------- cat and stack
JOINS = {
    "cat_dim1": lambda lib, xs: lib.cat(xs, 1), "cat_dim0": lambda lib, xs: lib.cat(xs),
    "cat_last": lambda lib, xs: lib.cat(xs, -1), "stack0": lambda lib, xs: lib.stack(xs),
    "stack2": lambda lib, xs: lib.stack(xs, 2), "stack_last": lambda lib, xs: lib.stack(xs, -1),
}


@pytest.mark.parametrize("join", list(JOINS))
@pytest.mark.parametrize("layouts", [("transposed", "transposed"), ("channels_last", "channels_last"),
                                     ("channels_last", "contiguous"), ("permuted", "permuted"), ("sliced", "sliced"),
                                     ("channels_last", "transposed")])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_layout_of_cat_and_stack(join, layouts, requires_grad):
    def call(lib):
        xs = []
        for i, layout in enumerate(layouts):
            x = lib.tensor(np.random.RandomState(i).randn(4, 4, 6, 4).astype(np.float32), requires_grad=requires_grad)
            xs.append(x if layout == "contiguous" else _layout(lib, x, layout))
        out = JOINS[join](lib, xs)
        if requires_grad:
            out.backward(lib.ones(out.shape))
        return out, _strides(out), out.is_contiguous()

    expected, actual = call(torch), call(torchless)
    assert actual[1:] == expected[1:]
    np.testing.assert_array_equal(actual[0].detach().numpy(), expected[0].detach().numpy())


# ---------------------------------------------------------------------------- sort, unreduced losses
def _zeros_like(lib, x):
    return lib.zeros(x.shape, dtype=x.dtype) + 0.25


LAYOUT_FOLLOWERS = {
    "sort": lambda lib, x: x.sort(1), "sort_descending": lambda lib, x: x.sort(-1, descending=True),
    "argsort": lambda lib, x: x.argsort(0), "msort": lambda lib, x: lib.msort(x),
    "mse": lambda lib, x: lib.nn.functional.mse_loss(x, _zeros_like(lib, x), reduction="none"),
    "bce": lambda lib, x: lib.nn.functional.binary_cross_entropy(x.sigmoid(), _zeros_like(lib, x), reduction="none"),
    "huber": lambda lib, x: lib.nn.functional.huber_loss(x, _zeros_like(lib, x), reduction="none"),
    "smooth_l1": lambda lib, x: lib.nn.functional.smooth_l1_loss(x, _zeros_like(lib, x), reduction="none"),
    "soft_margin": lambda lib, x: lib.nn.functional.soft_margin_loss(x, _zeros_like(lib, x) + 0.75, reduction="none"),
    "round_decimals": lambda lib, x: x.round(decimals=1),
    "index_select": lambda lib, x: x.index_select(1, lib.tensor([0, 2, 0])),
    "repeat_interleave": lambda lib, x: x.repeat_interleave(2, dim=2), "repeat": lambda lib, x: x.repeat(1, 1, 1, 1),
    "tril": lambda lib, x: x.tril(), "triu": lambda lib, x: x.triu(1), "roll": lambda lib, x: x.roll(1, 1),
    "narrow_copy": lambda lib, x: x.narrow_copy(1, 0, 2), "renorm": lambda lib, x: x.renorm(2, 1, 1.0),
    "one_hot": lambda lib, x: lib.nn.functional.one_hot((x * 3).long().abs() % 3),
}


@pytest.mark.parametrize("op", list(LAYOUT_FOLLOWERS))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_outputs_laid_out_as_the_input(op, layout):
    _assert_same_outputs_and_layouts(LAYOUT_FOLLOWERS[op], layout, atol=1e-6)


# ---------------------------------------------------------------------------- logsumexp(dim=()), roll's arguments
@pytest.mark.parametrize("shape", [(), (3, 4), (2, 0, 3)])
@pytest.mark.parametrize("dim", [(), []])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_logsumexp_over_an_empty_dim_list(shape, dim, keepdim, dtype):
    def call(lib):
        x = lib.tensor(np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) / 4).to(getattr(lib, dtype))
        if dtype == "float32":
            x.requires_grad_(True)
        out = x.logsumexp(dim, keepdim=keepdim)
        if dtype != "float32":
            return out
        out.sum().backward()
        return out, x.grad

    assert_same_outcome(call)


@pytest.mark.parametrize("shape", [(), (3, 4), (0, 2)])
@pytest.mark.parametrize("shifts, dims", [((1, 2), None), ((), None), ((), ()), ([1], None), (1, ()), ((1, 1), 0),
                                          ((1, 2), (0, 0)), (-5, ()), (1, 5)])
def test_roll_arguments(shape, shifts, dims):
    assert_same_outcome(lambda lib: lib.arange(float(np.prod(shape))).reshape(shape).roll(shifts, dims))


# ---------------------------------------------------------------------------- pow's special exponents
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("exponent", [0.5, -0.5, 1.5, -1])
@pytest.mark.parametrize("kind", ["number", "0-d tensor", "tensor"])
@pytest.mark.parametrize("shape", [(6,), ()])
def test_pow_at_signed_zeros_and_infinities(dtype, exponent, kind, shape):
    def call(lib):
        values = np.array([-0.0, -np.inf, -4.0, 0.0, np.inf, 4.0])
        x = lib.tensor(values if shape else values[0], dtype=getattr(lib, dtype), requires_grad=True)
        if kind == "number":
            y = x ** exponent
        else:
            y = x ** (lib.tensor(exponent, dtype=x.dtype) if kind == "0-d tensor" else lib.full(x.shape, exponent,
                                                                                            dtype=x.dtype))
        (grad,) = lib.autograd.grad(y.sum(), x)
        return y, grad

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, actual = call(torch), call(torchless)
    for ours, theirs in zip(actual, expected):
        theirs = theirs.detach().numpy()
        np.testing.assert_allclose(ours.detach().numpy(), theirs, rtol=1e-3)
        infinite = np.isinf(theirs)
        np.testing.assert_array_equal(np.signbit(ours.detach().numpy()[infinite]), np.signbit(theirs[infinite]))


# ---------------------------------------------------------------------------- IterableDataset
def test_iterable_dataset_without_iter_cannot_be_instantiated():
    def call(lib):
        class Stream(lib.utils.data.IterableDataset):
            pass

        class Numbers(lib.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(5))

        return (outcome(Stream), outcome(lib.utils.data.IterableDataset),
                [batch.tolist() for batch in lib.utils.data.DataLoader(Numbers(), batch_size=2)])

    assert call(torchless) == call(torch)


# ---------------------------------------------------------------------------- no NumPy warnings about inf and NaN
SILENT = {
    "sum": lambda x: x.sum(), "sum_dim": lambda x: x.sum(1), "mean": lambda x: x.mean(0), "prod": lambda x: x.prod(1),
    "cumsum": lambda x: x.cumsum(1), "cumsum_0d": lambda x: x[0, 0].cumsum(0), "cumprod": lambda x: x.cumprod(1),
    "adaptive_avg_pool2d": lambda x: torchless.nn.functional.adaptive_avg_pool2d(x.reshape(1, 1, 4, 8), 1),
    "round_decimals": lambda x: (x * 1e30).round(decimals=10), "std": lambda x: x.std(1),
    "einsum": lambda x: _library(x).einsum("ij,kj->ik", x, x),
    "kron": lambda x: _library(x).kron(x[:2], x[:2]),
}


def _library(x):
    return torchless if isinstance(x, torchless.Tensor) else torch


@pytest.mark.parametrize("op", list(SILENT))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_no_numpy_warning_about_inf_and_nan(op, dtype):
    """PyTorch warns nothing (checked without it: its import adds filters); the values are compared with its."""
    values = np.array([np.inf, -np.inf, np.nan, 0.0, 1e38, -1e38, 1.0, -0.0] * 4).reshape(4, 8)
    x = torchless.tensor(values, dtype=getattr(torchless, dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for module in ("torchless", "torch"):  # what torchless/__init__ silences, and what PyTorch's import does
            warnings.filterwarnings("ignore", module=module)
        out = SILENT[op](x)
        out.backward(torchless.ones(out.shape))
    reference = torch.tensor(values, dtype=getattr(torch, dtype))
    reference = torch.nn.functional.adaptive_avg_pool2d(reference.reshape(1, 1, 4, 8), 1) \
        if op == "adaptive_avg_pool2d" else SILENT[op](reference)
    np.testing.assert_allclose(out.detach().numpy(), reference.numpy(), rtol=1e-5)


# ---------------------------------------------------------------------------- constant padding and cropping
@pytest.mark.parametrize("shape, pad", [((4, 3, 2, 3, 1), (2, 2, 2, -2)), ((2, 2, 4), (3, 1, -1, 3)),
                                        ((3, 3, 2), (1, 2, -1, -1)), ((4, 3, 3, 4), (2, -1, 2, 2, -1, 3)),
                                        ((4, 4, 1, 4), (-2, 1)), ((2, 3, 4, 5), (-1, 0, 0, -1)),
                                        ((2, 3, 4, 5), (1, -1))])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "channels_last"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_constant_padding_that_also_crops(shape, pad, layout, dtype):
    def call(lib):
        x = lib.tensor(np.arange(int(np.prod(shape))).reshape(shape) % 7).to(getattr(lib, dtype))
        if layout == "transposed":
            x = x.transpose(0, -1).contiguous().transpose(0, -1)
        elif layout == "channels_last" and x.dim() == 4:
            x = x.contiguous(memory_format=lib.channels_last)
        y = lib.nn.functional.pad(x, pad, value=1)
        return y, _strides(y), y.is_contiguous(), tuple(y.view(-1).shape) if y.is_contiguous() else None

    expected, actual = call(torch), call(torchless)
    assert actual[1:] == expected[1:]
    np.testing.assert_array_equal(actual[0].numpy(), expected[0].numpy())


# ---------------------------------------------------------------------------- matmul's result layout
@pytest.mark.parametrize("shapes", [((4, 5, 2, 3), (3, 4)), ((4, 5, 2, 3), (5, 3, 4)), ((2, 3), (4, 5, 3, 4)),
                                    ((5, 2, 3), (5, 3, 4)), ((2, 3), (3, 4)), ((4, 1, 2, 3), (5, 3, 4))])
@pytest.mark.parametrize("reversed_a", [False, True])
@pytest.mark.parametrize("reversed_b", [False, True])
def test_matmul_result_layout(shapes, reversed_a, reversed_b):
    def operand(lib, shape, reverse, seed):
        x = lib.tensor(np.random.RandomState(seed).randn(*(shape[::-1] if reverse else shape)).astype(np.float32))
        return x.permute(*reversed(range(x.dim()))) if reverse else x

    def call(lib):
        y = operand(lib, shapes[0], reversed_a, 0) @ operand(lib, shapes[1], reversed_b, 1)
        return y, _strides(y), y.is_contiguous()

    expected, actual = call(torch), call(torchless)
    assert actual[1:] == expected[1:]
    np.testing.assert_allclose(actual[0].numpy(), expected[0].numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 4), (5,), (2, 3, 4), (4, 1, 3)])
@pytest.mark.parametrize("fn", ["nonzero", "argwhere"])
def test_nonzero_layout(shape, fn):
    def call(lib):
        x = lib.tensor(np.arange(int(np.prod(shape))).reshape(shape) % 3)
        y = getattr(x, fn)()
        return y, _strides(y), y.is_contiguous()

    expected, actual = call(torch), call(torchless)
    assert actual[1:] == expected[1:]
    np.testing.assert_array_equal(actual[0].numpy(), expected[0].numpy())


@pytest.mark.parametrize("dim", [0, 1, -5, 3])
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("float32", "float64"), ("int64", "float16")])
def test_cat_of_only_1d_empty_tensors(dim, dtypes):
    def call(lib):
        tensors = [lib.ones(0, dtype=getattr(lib, dtype), requires_grad=dtype != "int64") for dtype in dtypes]
        out = lib.cat(tensors, dim)
        if out.requires_grad:
            out.sum().backward()
        return (out,) + tuple(t.grad for t in tensors if t.requires_grad)

    assert_same_outcome(call)


@pytest.mark.parametrize("spec, shapes", [("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
                                          ("bhqk,bhkd->bhqd", [(2, 3, 4, 6), (2, 3, 6, 5)]),
                                          ("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                                          ("bnd,md->bnm", [(2, 3, 4), (5, 4)]), ("ijk,k->ij", [(2, 3, 4), (4,)]),
                                          ("ij,kj->ik", [(3, 4), (5, 4)]), ("bchw->bhwc", [(2, 3, 4, 5)]),
                                          ("bij->bji", [(2, 3, 4)])])
def test_einsum_result_layout(spec, shapes):
    def call(lib):
        operands = [lib.tensor(np.random.RandomState(i).randn(*shape).astype(np.float32), requires_grad=True)
                    for i, shape in enumerate(shapes)]
        y = lib.einsum(spec, *operands)
        y.backward(lib.ones(y.shape))
        return y, _strides(y), y.is_contiguous(), [o.grad for o in operands]

    expected, actual = call(torch), call(torchless)
    assert actual[1:3] == expected[1:3]
    for ours, theirs in zip([actual[0], *actual[3]], [expected[0], *expected[3]]):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-5)
