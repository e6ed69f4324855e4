"""Autograd nodes show what they saved for backward as PyTorch's do (``grad_fn._saved_<name>``,
``grad_fn._raw_saved_<name>``).

Differences fixed:
- grad_fn objects had no ``_saved_*`` attributes at all: now each node of a CNN's training graph
  (ConvolutionBackward0, ReluBackward0, MaxPool2DWithIndicesBackward0, AddmmBackward0 and the TBackward0 /
  ViewBackward0 / LogSoftmaxBackward0 nodes listed in it, NllLossBackward0, ...) and of common tensor ops lists
  PyTorch's names in ``dir(grad_fn)``, with PyTorch's values: tuples of ints for sizes, strides and
  conv/pool arguments, negative int64 arguments read back unsigned (dim -1 as 18446744073709551615),
  the Reduction enum as an int, saved tensors equal to PyTorch's (the leaf itself where PyTorch gives it back,
  a saved result as a new tensor of the node's graph).
- torchless's own bookkeeping attributes named ``_saved_versions`` / ``_saved_output`` / ``_saved_inputs``
  would have been taken for saved values (torchviz walks every ``_saved_`` name): renamed.
- nll_loss did not check that its input was not changed in place before backward (PyTorch saves it).
- softmax / log_softmax nodes kept the dim normalised: ``_saved_dim`` of ``dim=-1`` is PyTorch's unsigned -1.
- a saved tensor read after backward freed the graph raises PyTorch's RuntimeError; ``_raw_saved_*`` gives a
  SavedTensor whose ``register_hooks`` makes PyTorch's checks (argument types, freed, None) and whose ``data``
  holds the values.
- ``2 * x`` and ``2 + x`` made nodes with the number first (next_functions ((None, 0), (x's node, 0)), the
  number as ``_saved_self``): PyTorch's reflected operators are mul(x, 2) and add(x, 2).
- torchviz's ``make_dot(..., show_saved=True, show_attrs=True)`` of a CNN draws the same graph as under
  PyTorch.
"""
import numpy as np
import pytest

import torchless
from helpers import same_script_output

torch = pytest.importorskip("torch")


def _describe(lib, value):
    """(kind, details) of a saved value: tensors by shape, dtype, grad_fn name and values."""
    if lib.is_tensor(value):
        grad_fn = None if value.grad_fn is None else type(value.grad_fn).__name__
        return ("tensor", tuple(value.shape), str(value.dtype).split(".")[-1], value.requires_grad, grad_fn,
                value.detach().numpy().copy())
    if isinstance(value, tuple) and any(lib.is_tensor(v) for v in value):
        return ("tensors", tuple(_describe(lib, v) for v in value))
    return (type(value).__name__, value)


def saved_values(lib, build, top_only=False):
    """Per node reachable from ``build(lib)``'s grad_fn (``top_only``: that node alone): its class name and
    {saved name: description}, with the names of its ``_raw_saved_`` attributes."""
    lib.manual_seed(0)
    out = build(lib)
    nodes, seen, stack = [], {}, [out.grad_fn]
    while stack and not (top_only and nodes):
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen[id(fn)] = fn
        names = [a for a in dir(fn) if a.startswith(("_saved_", "_raw_saved_"))]
        saved = {a: _describe(lib, getattr(fn, a)) for a in names if a.startswith("_saved_")}
        nodes.append((type(fn).__name__, sorted(names), saved))
        stack.extend(next_fn for next_fn, _ in fn.next_functions)
    return nodes


def assert_same_saved(build, top_only=False):
    ours, theirs = saved_values(torchless, build, top_only), saved_values(torch, build, top_only)
    assert [(name, names) for name, names, _ in ours] == [(name, names) for name, names, _ in theirs]
    for (node, _, our_values), (_, _, their_values) in zip(ours, theirs):
        for attr, expected in their_values.items():
            actual = our_values[attr]
            assert _same_description(actual, expected), (node, attr, actual, expected)


def _same_description(actual, expected):
    if actual[0] != expected[0]:
        return False
    if actual[0] == "tensor":
        if actual[1:5] != expected[1:5]:
            return False
        np.testing.assert_allclose(actual[5], expected[5], rtol=1e-5, atol=1e-6)
        return True
    if actual[0] == "tensors":
        return len(actual[1]) == len(expected[1]) and all(map(_same_description, actual[1], expected[1]))
    return actual == expected


def _images(lib, *shape):
    return lib.tensor(np.random.default_rng(0).random(shape, dtype=np.float32))


def course_cnn_loss(lib):
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                          nn.Conv2d(5, 10, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                          nn.Flatten(), nn.Linear(7 * 7 * 10, 10))
    return nn.CrossEntropyLoss()(model(_images(lib, 2, 1, 28, 28)), lib.tensor([3, 7]))


def tutorial_cnn_output(lib):
    """PyTorch's classic tutorial network, through the functional API."""
    F = lib.nn.functional
    conv1, conv2 = lib.nn.Conv2d(1, 6, 5), lib.nn.Conv2d(6, 16, 5, bias=False)
    fc = lib.nn.Linear(16 * 5 * 5, 10, bias=False)
    x = F.max_pool2d(F.relu(conv1(_images(lib, 3, 1, 32, 32))), (2, 2), 2)
    x = F.max_pool2d(F.relu(conv2(x)), 2, 2)
    return F.log_softmax(fc(lib.flatten(x, 1)), dim=1)


@pytest.mark.parametrize("build", [
    course_cnn_loss,
    tutorial_cnn_output,
    lambda lib: lib.nn.functional.nll_loss(_images(lib, 4, 3).requires_grad_(), lib.tensor([0, 2, 1, 1]),
                                           weight=lib.tensor([1.0, 2.0, 0.5]), ignore_index=1, reduction="sum"),
    lambda lib: lib.nn.functional.cross_entropy(_images(lib, 2, 3, 4).requires_grad_(),
                                                lib.tensor([[0, 1, 2, 0], [1, 1, 2, 0]])),
    lambda lib: lib.nn.functional.conv1d(_images(lib, 2, 4, 9).requires_grad_(),
                                         lib.ones(4, 2, 3, requires_grad=True), lib.zeros(4), stride=2, padding=1,
                                         dilation=2, groups=2),
    lambda lib: lib.nn.functional.conv_transpose2d(_images(lib, 1, 4, 5, 5), lib.ones(4, 3, 3, 3, requires_grad=True),
                                                   lib.zeros(6), stride=2, padding=1, output_padding=1, groups=2),
    lambda lib: lib.nn.functional.avg_pool2d(_images(lib, 1, 2, 7, 7).requires_grad_(), 3, 2, 1, True, False, 4),
    lambda lib: lib.nn.functional.adaptive_avg_pool2d(_images(lib, 1, 2, 7, 7).requires_grad_(), 3),
    lambda lib: lib.nn.functional.adaptive_max_pool2d(_images(lib, 1, 2, 7, 7).requires_grad_(), (2, 3)),
    lambda lib: lib.nn.functional.linear(_images(lib, 2, 3, 4).requires_grad_(), lib.ones(5, 4, requires_grad=True),
                                         lib.ones(5, requires_grad=True)),
    lambda lib: lib.nn.functional.linear(_images(lib, 2, 3, 4), lib.ones(5, 4, requires_grad=True)),
    lambda lib: _images(lib, 3, 4).requires_grad_().mm(_images(lib, 4, 2)),
    lambda lib: lib.sigmoid(lib.tanh(lib.exp(_images(lib, 3, 4).requires_grad_()))).sqrt().log().abs(),
    # pooling arguments as PyTorch's parser hands them on: a lone int repeated, a list as given, no stride ()
    lambda lib: lib.nn.functional.max_pool2d(_images(lib, 1, 2, 8, 8).requires_grad_(), 2),
    lambda lib: lib.nn.functional.max_pool2d(_images(lib, 1, 2, 8, 8).requires_grad_(), [2], [1], [0], [1]),
    lambda lib: lib.nn.functional.avg_pool2d(_images(lib, 1, 2, 8, 8).requires_grad_(), 2),
    lambda lib: lib.nn.functional.avg_pool2d(_images(lib, 1, 2, 8, 8).requires_grad_(), [2], [1]),
    # label smoothing: PyTorch's (1 - e) * nll_loss(log_softmax) + e / C * the reduced, masked class sum
    lambda lib: lib.nn.functional.cross_entropy(_images(lib, 3, 4).requires_grad_(), lib.tensor([0, 3, 1]),
                                                label_smoothing=0.1),
    lambda lib: lib.nn.functional.cross_entropy(_images(lib, 3, 4).requires_grad_(), lib.tensor([0, 3, 1]),
                                                weight=lib.tensor([1.0, 2.0, 3.0, 4.0]), ignore_index=3,
                                                label_smoothing=0.1),
    lambda lib: lib.nn.functional.cross_entropy(_images(lib, 3, 4).requires_grad_(), lib.tensor([0, 3, 1]),
                                                label_smoothing=0.2, reduction="sum"),
    lambda lib: lib.nn.functional.cross_entropy(_images(lib, 3, 4).requires_grad_(), lib.tensor([0, 3, 1]),
                                                ignore_index=1, label_smoothing=0.2, reduction="none"),
    lambda lib: lib.nn.functional.cross_entropy(_images(lib, 4).requires_grad_(), lib.tensor(2), label_smoothing=0.1),
    # upsampling: the output size, the scales (None where a size was asked for) and align_corners
    lambda lib: lib.nn.functional.interpolate(_images(lib, 1, 2, 4, 5).requires_grad_(), scale_factor=(2.5, 1.25),
                                              mode="bilinear"),
    lambda lib: lib.nn.functional.interpolate(_images(lib, 1, 2, 4, 5).requires_grad_(), size=(7, 9), mode="bicubic",
                                              align_corners=True),
    lambda lib: lib.nn.functional.interpolate(_images(lib, 1, 2, 5).requires_grad_(), scale_factor=2),
    lambda lib: lib.nn.functional.interpolate(_images(lib, 1, 2, 3, 4, 5).requires_grad_(), scale_factor=2,
                                              mode="trilinear", recompute_scale_factor=True),
], ids=["course-cnn", "tutorial-cnn", "nll-loss", "cross-entropy-3d", "conv1d", "conv-transpose", "avg-pool",
        "adaptive-avg-pool", "adaptive-max-pool", "linear-3d", "linear-no-bias", "mm",
        "unary", "max-pool-no-stride", "max-pool-lists", "avg-pool-no-stride", "avg-pool-lists",
        "smoothed", "smoothed-weight-ignore", "smoothed-sum", "smoothed-none", "smoothed-unbatched",
        "upsample-bilinear", "upsample-bicubic-size", "upsample-nearest-1d", "upsample-trilinear-recomputed"])
def test_saved_values_are_pytorchs(build):
    assert_same_saved(build)


@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.functional.max_pool1d(_images(lib, 2, 9).requires_grad_(), 3, 2, 1),
    lambda lib: lib.nn.functional.avg_pool1d(_images(lib, 2, 9).requires_grad_(), 3, 2, 1, ceil_mode=True),
    lambda lib: lib.nn.functional.adaptive_avg_pool1d(_images(lib, 2, 9).requires_grad_(), 4),
], ids=["max-pool1d", "avg-pool1d", "adaptive-avg-pool1d"])
def test_one_dimensional_pools_squeeze_as_pytorch(build):
    assert_same_saved(build)  # the squeeze, the 2-D pooling's node under it and the unsqueeze under that


@pytest.mark.parametrize("expression", [
    "x + 1", "torch.add(x, x, alpha=2.5)", "x - x", "1 - x", "x * x", "x / x", "x.sum()",
    "x.sum((1, 3), keepdim=True)", "x.mean()", "x.mean(1)", "x ** 2", "x ** 0.5", "x ** x", "2 ** x", "x.max()",
    "x.max(1)[0]", "x.amax(2)", "torch.cat([x, x], 1)", "x.clone()", "x.view(6, 20)", "x.flatten(1)",
    "F.softmax(x, 1)", "F.log_softmax(x, 2)", "F.softmax(x, -1)", "x.log_softmax(-2)", "F.leaky_relu(x, 0.2)", "F.leaky_relu(x.clone(), inplace=True)",
    "F.gelu(x, approximate='tanh')", "x.clone().relu_()", "F.mse_loss(x, x.detach() * 2)",
    "F.binary_cross_entropy(x.sigmoid(), x.detach().sigmoid(), torch.ones(5))",
    "F.binary_cross_entropy_with_logits(x, x.detach(), pos_weight=torch.ones(5), reduction='sum')",
    "x[0]", "x[:, -1]", "x[1:3, 0]", "x[:, -2:]", "x[..., ::2]", "x[:]", "x[None, 0]", "x[0, ..., None, 1:2]",
    "x[[0, 1]]", "x[x > 0]", "x[:, [0, 1], 1:3, [1, 2]]", "x[..., torch.tensor([0, 2])]",
    "F.batch_norm(x, torch.zeros(3), torch.ones(3), torch.ones(3), training=False, eps=1e-3)",
    "F.batch_norm(x[:, :, 0], torch.zeros(3), torch.ones(3), training=True, momentum=0.2)",
    "F.batch_norm(x, None, None, torch.ones(3, requires_grad=True), torch.zeros(3), training=True)",
    "x.permute(0, 2, 3, 1)", "x.transpose(1, 2)", "x[:, :1].expand(2, 3, 4, 5)", "x[0, 0].t()",
    "F.pad(x, (1, 2))", "F.pad(x, (1, -2, 0, 3), value=1.5)", "torch.stack([x, x], 1)", "F.silu(x)",
    "F.layer_norm(x, (5,))", "F.layer_norm(x, (4, 5), torch.ones(4, 5), torch.zeros(4, 5, requires_grad=True))",
    "x[0, 0].t().reshape(20)", "x.clone().add_(x)", "x.clone().div_(x)", "x.clone().sigmoid_()", "x.clone().pow_(2)",
    "F.nll_loss(x[:, :, 0].log_softmax(1), torch.zeros(2, 5, dtype=torch.long), reduction='none')",
    "F.cross_entropy(x[..., None], torch.zeros(2, 4, 5, 1, dtype=torch.long))",
    "F.cross_entropy(x[0], torch.zeros(3, 5, dtype=torch.long), reduction='none')",
    "x.expm1()", "x.sin()", "x.deg2rad()", "x.erfinv()", "x.reciprocal()", "x.log1p()", "x.roll(1, 2)", "x.roll(3)",
    "x.roll((1, -2), (2, 1))", "x.repeat(1, 2, 1, 1)", "x[0].repeat(2, 1, 1, 1)", "x.prod(1)", "x.prod()",
    "torch.where(x > 0, x, 0.)", "x.flip(1)", "x.masked_fill(x > 0, 0.)", "x.masked_fill(x[0, 0, 0] > 0, 0.)",
    "x.masked_fill(x[0, 0] > 0, torch.tensor(1.))",
    "F.embedding(torch.tensor([0, 2]), x[0, 0])",
    "F.embedding(torch.tensor([[0, 2]]), x[0, 0], padding_idx=-1, scale_grad_by_freq=True)",
    "x.tril()", "x.triu(-1)", "x.cumprod(1)", "x.cummax(3)[0]", "x.cummin(2)[0]",
    "x @ x[0, 0].t()", "x[0] @ x[1].transpose(1, 2)", "x @ x.transpose(2, 3)", "x @ x[0, 0, 0]",
    "x[0, 0, :, 0] @ x[0]", "x[:, :1] @ x[0].transpose(1, 2)",
    "x[0, 0].mm(x[1, 0].t())", "x[0, 0, 0].dot(x[0, 0, 1])", "x[0, 0].mv(x[0, 0, 0])",
    # reductions keep their dims as given (a negative one unsigned); dim=() is SumBackward1 over no dim listed
    "x.sum(-1)", "x.sum([-1, -2], keepdim=True)", "x.mean((-1, -2), True)", "x.sum(())", "x.mean(())",
    "x.amax(-1)", "x.amin((0, -1))", "F.adaptive_avg_pool2d(x, 1)", "torch.sum(x, -2)",
    # var/std: dims and correction as given (None when neither nor unbiased was); group_norm's statistics
    "x.std()", "x.std(unbiased=False)", "x.var(-1, True)", "x.std((1, -1), keepdim=True, correction=0)", "x.var(())",
    "torch.std(x, 0)", "F.group_norm(x, 3, torch.ones(3, requires_grad=True), None, eps=1e-3)", "F.group_norm(x, 1)",
    "x.unsqueeze(-1)", "x[:, :1].squeeze()", "x[:, :1].squeeze(1)", "x[:, :1, :, :1].squeeze((1, -1))",
    # a batch times a matrix or vector: its rows folded (a view, or a clone viewed) into one mm / mv
    "x @ torch.ones(5, 2, requires_grad=True)", "x.transpose(2, 3) @ torch.ones(4, 2, requires_grad=True)",
    "x @ torch.ones(5, requires_grad=True)", "x[0, 0, 0] @ torch.ones(5, 2, requires_grad=True)",
    "x.detach() @ torch.ones(5, 2, requires_grad=True)",
])
def test_saved_values_of_tensor_ops_are_pytorchs(expression):
    def build(lib):
        x = _images(lib, 2, 3, 4, 5).requires_grad_()
        return eval(expression, {"torch": lib, "F": lib.nn.functional, "x": x})

    assert_same_saved(build, top_only=True)


def test_saved_tensors_are_the_tensors_pytorch_gives_back():
    for lib in (torchless, torch):
        conv = lib.nn.Conv2d(1, 2, 3)
        x = lib.ones(1, 1, 5, 5)
        out = conv(x)
        assert out.grad_fn._saved_weight is conv.weight and out.grad_fn._saved_input is x
        y = lib.relu(out)
        assert y.grad_fn._saved_result is not y  # a saved output comes back as a new tensor each time
        assert y.grad_fn._saved_result.grad_fn is y.grad_fn


def test_saved_inputs_of_a_cnn_are_the_tensors_themselves():
    for lib in (torchless, torch):
        nn = lib.nn
        conv, linear = nn.Conv2d(1, 2, 3, padding=1), nn.Linear(2 * 2 * 2, 3)
        activations = lib.relu(conv(lib.ones(1, 1, 4, 4)))
        flat = lib.flatten(lib.nn.functional.max_pool2d(activations, 2, 2), 1)
        out = linear(flat)
        pool = flat.grad_fn.next_functions[0][0]
        assert pool._saved_self is activations and out.grad_fn._saved_mat1 is flat


def test_nll_loss_input_changed_in_place_is_an_error():
    messages = []
    for lib in (torchless, torch):
        x = lib.ones(2, 3, requires_grad=True) * 1
        loss = lib.nn.functional.nll_loss(x, lib.tensor([0, 1]))
        x.add_(1)
        with pytest.raises(RuntimeError) as error:
            loss.backward()
        messages.append(str(error.value).replace("torchless.", "torch."))
    assert messages[0] == messages[1]


def test_freed_saved_tensors_raise_pytorchs_error():
    messages = []
    for lib in (torchless, torch):
        loss = lib.relu(lib.ones(2, 3, requires_grad=True)).sum()
        relu = loss.grad_fn.next_functions[0][0]
        loss.backward()
        with pytest.raises(RuntimeError) as error:
            relu._saved_result
        messages.append(str(error.value).replace("torchless.", "torch."))
        with pytest.raises(RuntimeError, match="after it has been freed"):
            relu._raw_saved_result.register_hooks(lambda t: t, lambda t: t)
    assert messages[0] == messages[1]


def test_non_tensor_values_stay_after_backward():
    values = []
    for lib in (torchless, torch):
        x = lib.ones(2, 3, requires_grad=True)
        out = lib.nn.functional.conv2d(x[None, None], lib.ones(1, 1, 2, 2), stride=1, padding=1)
        out.sum().backward()
        values.append((out.grad_fn._saved_stride, out.grad_fn._saved_padding, out.grad_fn._saved_groups))
    assert values[0] == values[1]


def test_register_hooks_on_none_is_refused():
    for lib in (torchless, torch):
        out = lib.nn.functional.nll_loss(lib.zeros(2, 3, requires_grad=True), lib.tensor([0, 1]))
        with pytest.raises(RuntimeError, match="Calling register_hooks on a saved tensor with value None is forbidden"):
            out.grad_fn._raw_saved_weight.register_hooks(lambda t: t, lambda t: t)


def test_register_hooks_arguments_are_checked_as_pytorchs():
    messages = []
    for lib in (torchless, torch):
        out = lib.ones(3, requires_grad=True).exp()  # (kept: PyTorch's SavedTensor does not keep its node alive)
        raw = out.grad_fn._raw_saved_result
        with pytest.raises(TypeError) as error:
            raw.register_hooks(1, "a")
        messages.append(str(error.value).replace(hex(id(raw)), "ID"))
        np.testing.assert_allclose(raw.data.numpy(), np.exp(np.ones(3, np.float32)), rtol=1e-6)
        assert not raw.data.requires_grad
    assert messages[0] == messages[1]


def test_reflected_add_and_mul_take_the_tensor_first():
    for lib in (torchless, torch):
        x = lib.ones(2, requires_grad=True)
        for out in (2 * x, 2 + x, 2.5 * x.half()):
            listed = [None if fn is None else type(fn).__name__ for fn, _ in out.grad_fn.next_functions]
            assert listed[1:] == [None] and listed[0] in ("AccumulateGrad", "ToCopyBackward0")
        assert (2 * x).grad_fn._saved_self is None and (2 * x).grad_fn._saved_other.item() == 2


def test_torchviz_draws_saved_values_of_a_bigger_network_as_for_pytorch(tmp_path):
    pytest.importorskip("torchviz")
    same_script_output(tmp_path, """
        import re
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torchviz import make_dot

        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, stride=2), nn.LeakyReLU(0.1),
                              nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Dropout(0.0), nn.Linear(24, 16), nn.GELU(),
                              nn.Linear(16, 5))
        out = model(torch.rand(2, 3, 16, 16))
        loss = (F.cross_entropy(out, torch.tensor([1, 2])) + 0.1 * out.pow(2).mean()
                + F.mse_loss(out.softmax(-1), torch.zeros(2, 5)))
        source = make_dot(loss, params=dict(model.named_parameters()), show_saved=True, show_attrs=True).source
        print("\\n".join(sorted(re.sub(r"\\b\\d{6,}\\b", "ID", source).splitlines())))
    """)
