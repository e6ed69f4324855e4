"""Differences from PyTorch in the values and gradients of the CNN layers, found by a differential fuzz (random
shapes and arguments of the convolutions, poolings, norms, resampling, paddings, losses and activations, their
outputs, output dtypes and the gradients of inputs and parameters compared with torch's), each compared with torch:

* the in-place leaky_relu (F.leaky_relu(inplace=True), F.leaky_relu_, nn.LeakyReLU(inplace=True)) with a negative
  slope records a gradient that PyTorch refuses, as it computes it from the result: its backward raises
  PyTorch's "In-place leakyReLu backward calculation is triggered with a negative slope ..." (a zero slope is
  fine); so does the in-place rrelu out of training, whose mean slope (lower + upper) / 2 is negative (in
  training PyTorch takes the drawn noise and any slope);
* ``torch.channels_last_3d`` exists (the memory format of ``x.contiguous(memory_format=...)`` and
  ``x.to(memory_format=...)`` for 5-D tensors), as ``channels_last`` does;
* F.affine_grid of a float16 theta for a size with a side of 1 fails as PyTorch's does (its coordinates are
  at::tensor(0), which has no half kernel: '"tensor_cpu" not implemented for 'Half'');
* F.cross_entropy of an empty batch of integer or bool logits fails in nll_loss ('"nll_loss_out_frame" not
  implemented for 'Long''), as in PyTorch, whose log_softmax of no elements runs no kernel to refuse them;
* dropout and alpha_dropout of a non-contiguous input (a transposed or permuted view, a slice of one, an
  expanded tensor) draw their mask in PyTorch's order: its mask is ``empty_like(input)``, dense with the
  input's stride order, filled in memory order, so the same seed drops the same elements (they drew in index
  order);
* F.ctc_loss checks its arguments as PyTorch's kernel does, in its order: an empty log_probs ("log_probs tensor
  must not be empty"), a log_probs of another rank than 2 or 3 (unsqueezed, then "Expected 3-dimensional
  tensor ..."), targets of another rank than 1 or 2, negative target or input lengths, and padded (2-D)
  targets of another batch size than the input's ("Expected tensor to have size N at dimension 0 ...": they
  were read row by row, silently or with an IndexError);
* poisson_nll_loss, gaussian_nll_loss and multilabel_soft_margin_loss build their bad-reduction message by
  concatenation, as PyTorch's do: a reduction that is not a str (None, 3) is a TypeError;
* F.native_channel_shuffle (and torch.native_channel_shuffle) exists: channel_shuffle's rearrangement and checks,
  recorded as PyTorch's NotImplemented node, whose backward raises "derivative for aten::native_channel_shuffle
  is not implemented";
* F.local_response_norm of a 5-D or higher input whose trailing dimensions do not merge (a transposed or
  permuted view) fails as PyTorch's does, which views the squares as (N, 1, C, D, -1) ("view size is not
  compatible with input tensor's size and stride ...");
* in-place dropout1d / dropout3d of an unbatched input unsqueeze the input itself in place, mask it and squeeze it
  back in place, as PyTorch's do: a leaf that requires grad is refused (even out of training), and the result's
  grad_fn is SqueezeBackward4;
* F.pdist of a float16 input of two rows or more (and columns) fails as PyTorch's kernel does ('"pdist" not
  implemented for 'Half''); fewer rows, or no columns, run no kernel and give their (empty or zero) result;
* F.embedding_bag's dtype errors name a bool weight or per_sample_weights as PyTorch's checks do, by its backend
  type (CPUBoolType; torch.BoolTensor was printed).
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome as _assert_same_outcome

torch = pytest.importorskip("torch")


def assert_same_outcome(fn, rtol=1e-5, atol=1e-6):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same_outcome(fn, rtol=rtol, atol=atol)


def _x(lib, *shape, dtype="float32", requires_grad=False):
    values = np.linspace(-2, 1.5, int(np.prod(shape))).reshape(shape).astype(dtype)
    return lib.tensor(values, requires_grad=requires_grad)


def _input_grad(call):
    """fn(lib) -> the gradient of sum(call(lib, x)) for x the leaf, or what it raised."""
    def fn(lib):
        x = _x(lib, 2, 3, 4, requires_grad=True)
        call(lib, x * 1.0).sum().backward()
        return x.grad
    return fn


# ---------------------------------------------------------------------------- in-place leaky_relu / rrelu
@pytest.mark.parametrize("call", [
    lambda lib, y: lib.nn.functional.leaky_relu(y, -0.5, inplace=True),
    lambda lib, y: lib.nn.functional.leaky_relu_(y, -0.01),
    lambda lib, y: lib.nn.LeakyReLU(-0.2, inplace=True)(y),
    lambda lib, y: lib.nn.functional.leaky_relu(y, 0.0, inplace=True),
    lambda lib, y: lib.nn.functional.leaky_relu(y, -0.5),
    lambda lib, y: lib.nn.functional.rrelu(y, -0.5, 0.1, inplace=True),
    lambda lib, y: lib.nn.functional.rrelu_(y, -0.3, -0.3),
    lambda lib, y: lib.nn.RReLU(-0.5, -0.1, inplace=True).eval()(y),
    lambda lib, y: lib.nn.functional.rrelu(y, -0.5, 0.6, inplace=True),
    lambda lib, y: lib.nn.functional.rrelu(y, -0.3, -0.3, training=True, inplace=True),
], ids=["functional", "leaky_relu_", "module", "zero-slope", "out-of-place", "rrelu", "rrelu_", "RReLU",
        "rrelu-positive-mean", "rrelu-training"])
def test_in_place_leaky_relu_backward_refuses_a_negative_slope(call):
    assert_same_outcome(_input_grad(call))


def test_in_place_leaky_relu_refuses_a_negative_slope_under_create_graph():
    def fn(lib):
        x = _x(lib, 5, requires_grad=True)
        y = lib.nn.functional.leaky_relu(x * 1.0, -0.5, inplace=True)
        return lib.autograd.grad(y.sum(), x, create_graph=True)[0]
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- memory formats
def test_channels_last_3d_is_a_memory_format():
    def fn(lib):
        x = _x(lib, 2, 3, 4, 2, 5, requires_grad=True)
        w = _x(lib, 4, 3, 2, 1, 3)
        y = lib.nn.functional.conv3d(x.contiguous(memory_format=lib.channels_last_3d), w, padding=1)
        y = y.to(memory_format=lib.channels_last_3d)
        y.square().sum().backward()
        return y, x.grad
    assert_same_outcome(fn, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------- dtypes PyTorch's kernels refuse
@pytest.mark.parametrize("size", [[1, 2, 1, 3], [1, 2, 3, 1], [1, 2, 3, 2], [1, 1, 1, 2, 2], [2, 1, 1, 3]])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_of_a_half_theta_and_a_unit_side(size, align_corners):
    def fn(lib):
        theta = _x(lib, 1, len(size) - 2, len(size) - 1, dtype="float16")
        return lib.nn.functional.affine_grid(theta, size, align_corners=align_corners)
    assert_same_outcome(fn, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("shapes", [((0, 3), (0,)), ((0, 3, 2), (0, 2)), ((0, 2, 1, 1), (0, 1, 1)), ((2, 3), (2,))])
@pytest.mark.parametrize("dtype", ["int64", "bool", "uint8"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_of_an_empty_batch_of_integer_logits(shapes, dtype, label_smoothing):
    def fn(lib):
        logits = lib.zeros(shapes[0], dtype=getattr(lib, dtype))
        target = lib.zeros(shapes[1], dtype=lib.int64)
        return lib.nn.functional.cross_entropy(logits, target, label_smoothing=label_smoothing)
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- dropout of non-contiguous inputs
_VIEWS = {
    "transposed": lambda t: t.transpose(-1, -2),
    "permuted": lambda t: t.permute(3, 2, 0, 1),
    "channels-last-like": lambda t: t.permute(0, 2, 3, 1),
    "sliced-permuted": lambda t: t.permute(0, 1, 3, 2)[:, ::2, 1:],
    "expanded": lambda t: t[:, :1].expand(2, 4, 3, 5),
}


@pytest.mark.parametrize("view", list(_VIEWS))
@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.dropout(x, 0.4),
    lambda lib, x: lib.nn.Dropout(0.6)(x),
    lambda lib, x: lib.nn.functional.alpha_dropout(x, 0.5, training=True),
    lambda lib, x: lib.nn.functional.dropout2d(x, 0.5),
], ids=["dropout", "Dropout", "alpha_dropout", "dropout2d"])
def test_dropout_of_a_non_contiguous_input_draws_in_memory_order(view, call):
    def fn(lib):
        lib.manual_seed(7)
        x = _x(lib, 2, 4, 3, 5, requires_grad=True)
        y = call(lib, _VIEWS[view](x))
        y.backward(lib.ones(y.shape))
        return y, x.grad
    assert_same_outcome(fn)


def test_in_place_dropout_of_a_transposed_view():
    def fn(lib):
        lib.manual_seed(3)
        x = _x(lib, 6, 7)
        y = x.t()
        lib.nn.functional.dropout(y, 0.5, inplace=True)
        return x
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- ctc_loss's checks
@pytest.mark.parametrize("log_probs_shape", [(), (5,), (5, 4), (5, 2, 4), (5, 2, 4, 1), (5, 0, 4), (0, 2, 4)])
@pytest.mark.parametrize("targets_shape", [(2, 3), (3, 3), (1, 3), (4,), (2, 3, 1), ()])
@pytest.mark.parametrize("lengths", [([5, 5], [2, 2]), ([5], [2]), ([5, 5], [-1, 2]), ([-1, 5], [2, 2])])
def test_ctc_loss_checks_its_arguments_in_pytorchs_order(log_probs_shape, targets_shape, lengths):
    def fn(lib):
        log_probs = lib.tensor(np.log(np.full(log_probs_shape, 0.25, np.float32)))
        targets = lib.ones(targets_shape, dtype=lib.int64)
        return lib.nn.functional.ctc_loss(log_probs, targets, *lengths)
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- reductions that are not strs
@pytest.mark.parametrize("reduction", [None, 3, ["mean"], "bad"])
@pytest.mark.parametrize("call", [
    lambda lib, r: lib.nn.functional.poisson_nll_loss(lib.zeros(3), lib.zeros(3), reduction=r),
    lambda lib, r: lib.nn.functional.gaussian_nll_loss(lib.zeros(3), lib.zeros(3), lib.ones(3), reduction=r),
    lambda lib, r: lib.nn.functional.multilabel_soft_margin_loss(lib.zeros(2, 3), lib.zeros(2, 3), reduction=r),
], ids=["poisson_nll_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss"])
def test_a_bad_reduction_is_concatenated_into_the_message(call, reduction):
    assert_same_outcome(lambda lib: call(lib, reduction))


# ---------------------------------------------------------------------------- native_channel_shuffle
@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.native_channel_shuffle(_x(lib, 2, 6, 2, 3), 3),
    lambda lib: lib.native_channel_shuffle(_x(lib, 1, 4, 5), groups=2),
    lambda lib: lib.nn.functional.native_channel_shuffle(input=_x(lib, 1, 0, 2), groups=2),
    lambda lib: lib.nn.functional.native_channel_shuffle(_x(lib, 1, 4, 2), 3),
    lambda lib: lib.nn.functional.native_channel_shuffle(_x(lib, 4), 2),
    lambda lib: lib.nn.functional.native_channel_shuffle(_x(lib, 1, 4, 2), 0),
    lambda lib: lib.nn.functional.native_channel_shuffle(_x(lib, 1, 4, 2), 2.0),
    lambda lib: lib.nn.functional.native_channel_shuffle(_x(lib, 1, 4, 2)),
])
def test_native_channel_shuffle(call):
    assert_same_outcome(call)


def test_native_channel_shuffle_has_no_derivative():
    def fn(lib):
        x = _x(lib, 1, 4, 2, requires_grad=True)
        y = lib.nn.functional.native_channel_shuffle(x, 2)
        assert repr(y).endswith("grad_fn=<NotImplemented>)")
        y.sum().backward()
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- local_response_norm's view
@pytest.mark.parametrize("permutation", [(0, 1, 2, 4, 3), (0, 1, 3, 2, 4), (1, 0, 2, 3, 4), (0, 2, 1, 3, 4),
                                         (4, 3, 2, 1, 0)])
@pytest.mark.parametrize("view", [lambda t: t, lambda t: t[:, :, :, 1:], lambda t: t[..., ::2]],
                         ids=["whole", "sliced", "strided"])
def test_local_response_norm_of_a_permuted_5d_input(permutation, view):
    def fn(lib):
        x = _x(lib, 2, 3, 4, 5, 2, requires_grad=True)
        y = lib.nn.functional.local_response_norm(view(x.permute(*permutation)), 3, alpha=0.5)
        y.backward(lib.ones(y.shape))
        return y, x.grad
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- in-place unbatched feature dropout
@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.dropout1d(x[0], 0.5, inplace=True),
    lambda lib, x: lib.nn.functional.dropout1d(x[0], 0.5, training=False, inplace=True),
    lambda lib, x: lib.nn.Dropout1d(0.3, inplace=True)(x[0]),
    lambda lib, x: lib.nn.functional.dropout3d(x, 0.5, inplace=True),
    lambda lib, x: lib.nn.functional.dropout3d(x, 0.0, inplace=True),
    lambda lib, x: lib.nn.functional.dropout3d(x[0], 0.5, inplace=True),
    lambda lib, x: lib.nn.functional.dropout1d(x, 0.5, inplace=True),
])
@pytest.mark.parametrize("leaf", [False, True])
def test_in_place_unbatched_feature_dropout(call, leaf):
    def fn(lib):
        lib.manual_seed(5)
        x = _x(lib, 3, 4, 5, requires_grad=True)
        y = x if leaf else x * 1.0
        out = call(lib, y)
        name = out.grad_fn.name()
        out.backward(lib.ones(out.shape))
        return out, x.grad, lib.tensor(["SqueezeBackward4", "MulBackward0", "SelectBackward0"].index(name))
    assert_same_outcome(fn)


# ---------------------------------------------------------------------------- pdist of half
@pytest.mark.parametrize("shape", [(5, 2), (3, 1), (1, 2), (0, 2), (2, 0)])
def test_pdist_of_a_half_input(shape):
    assert_same_outcome(lambda lib: lib.nn.functional.pdist(lib.zeros(shape, dtype=lib.float16)))


# ---------------------------------------------------------------------------- embedding_bag's type names
@pytest.mark.parametrize("weight_dtype, sample_dtype", [("bool", None), ("int64", None), ("float32", "bool"),
                                                        ("float64", "bool"), ("float32", "int64")])
def test_embedding_bag_names_bool_tensors_by_their_backend_type(weight_dtype, sample_dtype):
    def fn(lib):
        weight = lib.zeros(4, 3, dtype=getattr(lib, weight_dtype))
        samples = None if sample_dtype is None else lib.zeros(1, 2, dtype=getattr(lib, sample_dtype))
        return lib.nn.functional.embedding_bag(lib.tensor([[0, 1]]), weight, per_sample_weights=samples, mode="sum")
    assert_same_outcome(fn)
