"""Parity regressions of session 32 (dedup32): what the factoring of repeated code and docstrings must keep.

Docstrings whose shared entries are filled in from one place (padding, conv, pooling, loss, batch norm, dropout,
RNN cells, the *_like factories, segmentation models, box losses, RoI poolers, auto-augmentations) must come out
whole: no field left unfilled, no brace doubled. The pooling functionals' window checks (one helper now) keep
PyTorch's messages; Softmax/LogSoftmax/Softmin (one base now) keep their constructor errors, repr and unpickling;
the activations' reprs keep their ``inplace`` flag; grid_sample's 2-D and 3-D nodes (one forward now) keep their
values, gradients and names; the RoI poolers' shared prelude keeps torchvision's checks; RandomErasing's value
check (one method now) keeps v1's and v2's wordings; Adadelta, Adamax, NAdam and RAdam (one step loop now) keep
their updates, recorded or not; the lazy convolutions (two shared constructors now) keep their signatures' errors,
reprs and materialisation.
"""
import pickle
import re

import numpy as np
import pytest

import torchless
import torchless.nn as nn
from helpers import assert_same_error, optimizer_problem, outcome_named_as_torch, run_optimizer

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------------- docstrings filled in whole
def _templated_objects():
    import torchless.vision.models.segmentation as segmentation
    import torchless.vision.ops as ops
    import torchless.vision.transforms.v2 as v2

    modules = [f"{kind}Pad{n}d" for kind in ("Zero", "Constant", "Reflection", "Replication", "Circular")
               for n in (1, 2, 3)]
    modules += [f"{kind}{n}d" for kind in ("Conv", "ConvTranspose", "MaxPool", "AvgPool", "AdaptiveAvgPool",
                                            "AdaptiveMaxPool", "BatchNorm", "Dropout") for n in (1, 2, 3)]
    modules += ["Dropout", "RNNCell", "GRUCell", "LSTMCell", "CrossEntropyLoss", "NLLLoss", "NLLLoss2d", "MSELoss",
                "L1Loss", "BCELoss", "BCEWithLogitsLoss", "SmoothL1Loss", "HuberLoss", "SoftMarginLoss",
                "HingeEmbeddingLoss"]
    objects = [(f"nn.{name}", getattr(nn, name)) for name in modules]
    objects += [(f"torch.{name}", getattr(torchless, name))
                for name in ("zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like")]
    objects += [(f"ops.{name}", getattr(ops, name))
                for name in ("generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss",
                             "roi_align", "roi_pool", "ps_roi_align", "ps_roi_pool")]
    objects += [("segmentation.FCN", segmentation.FCN), ("segmentation.DeepLabV3", segmentation.DeepLabV3)]
    objects += [(f"v2.{name}", getattr(v2, name))
                for name in ("AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix")]
    return objects


TEMPLATED = _templated_objects()


@pytest.mark.parametrize("name, obj", TEMPLATED, ids=[name for name, _ in TEMPLATED])
def test_shared_docstring_entries_are_filled_in(name, obj):
    doc = obj.__doc__
    assert doc and len(doc) > 150
    assert not re.search(r"(?<!_)\{[a-z_0-9]+\}", doc), "a field left unfilled"  # (not math's x_{i})
    assert "{{" not in doc and "}}" not in doc, "a brace left doubled"
    # every filled-in entry sits at the indentation of its section (the Args entries 8 spaces in)
    for line in doc.splitlines()[1:]:
        assert not line or line.startswith("    "), repr(line)


@pytest.mark.parametrize("name, entry", [
    ("ReflectionPad3d", "(padding_left, padding_right,\n            padding_top, padding_bottom, padding_front, "
                        "padding_back)"),
    ("Conv2d", "padding_mode (str, optional): ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``."),
    ("ConvTranspose3d", "\n        output_padding (int or tuple, optional): extra size added to one side of the "
                        "output"),
    ("AdaptiveMaxPool3d", "\n          D_out = output_size[0]\n          H_out = output_size[1]\n"),
    ("CrossEntropyLoss", "w_{y_n}"),
    ("MSELoss", "\n        size_average, reduce (bool, optional): deprecated spellings of ``reduction``."),
    ("GRUCell", "\n        - Hidden: (N, H) or (H), the initial hidden state; zeros if omitted\n"),
])
def test_filled_entries_read_as_written(name, entry):
    assert entry in getattr(nn, name).__doc__


# ---------------------------------------------------------------------------- pooling window arguments
_WINDOW_CASES = [
    dict(kernel_size=(2, 2, 2, 2)), dict(kernel_size=2, stride=(1, 1, 1, 1)), dict(kernel_size=2, stride=[]),
    dict(kernel_size=2, padding=(1, 1, 1, 1)), dict(kernel_size=2 ** 33), dict(kernel_size=2, stride=2 ** 33),
    dict(kernel_size=2, padding=-2 ** 40), dict(kernel_size=()), dict(kernel_size=2, dilation=(1, 1, 1, 1)),
    dict(kernel_size=2, dilation=2 ** 35), dict(kernel_size=(2, 1), stride=(1, 1, 1)),
]


@pytest.mark.parametrize("function, kwargs", [
    (function, kwargs) for function in ("max_pool2d", "avg_pool2d", "max_pool3d", "avg_pool3d")
    for kwargs in _WINDOW_CASES if function.startswith("max") or "dilation" not in kwargs], ids=repr)
def test_pooling_window_argument_checks_as_pytorchs(function, kwargs):
    spatial = 3 if function.endswith("3d") else 2

    def call(lib):
        result = getattr(lib.nn.functional, function)(lib.ones((1, 2) + (6,) * spatial), **kwargs)
        return tuple(result.shape)

    assert outcome_named_as_torch(lambda: call(torchless)) == outcome_named_as_torch(lambda: call(torch))


# ---------------------------------------------------------------------------- the softmax family's shared base
@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax", "Softmin"])
def test_softmax_family_constructor_repr_and_unpickling(name):
    ours, theirs = getattr(nn, name), getattr(torch.nn, name)
    assert_same_error(lambda: theirs(1, x=2), lambda: ours(1, x=2))
    assert_same_error(lambda: theirs(1, 2), lambda: ours(1, 2))
    assert_same_error(lambda: theirs.forward(theirs(1)), lambda: ours.forward(ours(1)))
    for dim in (None, 0, -1):
        assert repr(ours(dim)) == repr(theirs(dim))
    assert ours.__constants__ == theirs.__constants__ == ["dim"]
    module = ours(1)
    del module.dim  # a module pickled before ``dim`` existed unpickles with dim=None, as PyTorch's
    restored = pickle.loads(pickle.dumps(module))
    assert restored.dim is None
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    np.testing.assert_allclose(ours(dim=1)(torchless.tensor(x)).numpy(),
                               theirs(dim=1)(torch.tensor(x)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name, args", [("ReLU", ()), ("LeakyReLU", (0.2,)), ("Hardtanh", (-2.0, 3.0)),
                                        ("ReLU6", ()), ("ELU", (0.5,)), ("SiLU", ()), ("Threshold", (0.1, 2.0)),
                                        ("RReLU", ()), ("SELU", ()), ("CELU", (2.0,)), ("Mish", ()),
                                        ("Hardswish", ()), ("Hardsigmoid", ())])
@pytest.mark.parametrize("inplace", [False, True])
def test_activation_reprs_show_inplace_as_pytorchs(name, args, inplace):
    assert repr(getattr(nn, name)(*args, inplace=inplace)) == repr(getattr(torch.nn, name)(*args, inplace=inplace))


# ---------------------------------------------------------------------------- grid_sample's shared forward
@pytest.mark.parametrize("spatial", [2, 3])
@pytest.mark.parametrize("mode, padding_mode", [("bilinear", "zeros"), ("nearest", "border"),
                                                ("bilinear", "reflection")])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_values_gradients_and_node(spatial, mode, padding_mode, align_corners):
    rng = np.random.default_rng(spatial)
    x = rng.standard_normal((2, 3) + (4, 5, 6)[-spatial:])
    grid = rng.uniform(-1.3, 1.3, (2,) + (3, 2, 4)[-spatial:] + (spatial,))
    results = []
    for lib in (torch, torchless):
        xt, gt = lib.tensor(x, requires_grad=True), lib.tensor(grid, requires_grad=True)
        out = lib.nn.functional.grid_sample(xt, gt, mode=mode, padding_mode=padding_mode,
                                            align_corners=align_corners)
        weights = lib.tensor(rng.standard_normal(tuple(out.shape)) if lib is torch else results[0][4])
        (out * weights).sum().backward()
        node = out.grad_fn
        results.append((type(node).__name__, node._saved_padding_mode, node._saved_align_corners,
                        out.detach().numpy(), weights.numpy(), xt.grad.numpy(), gt.grad.numpy()))
    theirs, ours = results
    assert ours[:3] == theirs[:3]
    for got, want in zip(ours[3:], theirs[3:]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- RoI poolers' shared prelude
@pytest.mark.parametrize("name", ["roi_align", "roi_pool", "ps_roi_align", "ps_roi_pool"])
def test_roi_pooler_prelude(name):
    from torchless.vision import ops

    pooler = getattr(ops, name)
    x = torchless.ones(2, 8, 6, 6)
    boxes = torchless.tensor([[0, 1.0, 1.0, 4.0, 5.0], [1, 0.0, 0.0, 5.0, 5.0]])
    channels = 2 if name.startswith("ps_") else 8  # (a group of input channels per bin of the 2 x 2)
    assert tuple(pooler(x, boxes, 2).shape) == (2, channels, 2, 2)
    empty = pooler(x, boxes[:0], 2)  # no box: zeros of the output's shape, the kernel never run
    assert tuple(empty.shape) == (0, channels, 2, 2) and empty.dtype == torchless.float32
    with pytest.raises(RuntimeError, match="^input should have the same type as rois$"):
        pooler(x.double(), boxes, 2)
    with pytest.raises(RuntimeError, match=f"^\"{name}_forward_kernel\" not implemented for 'Int'$"):
        pooler(x.int(), boxes.int(), 2)
    if name.startswith("ps_"):
        with pytest.raises(RuntimeError, match="^input channels must be a multiple of pooling height \\* pooling "
                                               "width$"):
            pooler(x, boxes, 3)


# ---------------------------------------------------------------------------- RandomErasing's value check
@pytest.mark.parametrize("version, word", [("v1", "input"), ("v2", "inpt")])
def test_random_erasing_value_check(version, word):
    from torchless.vision import transforms
    from torchless.vision.transforms import v2

    erasing = (transforms if version == "v1" else v2).RandomErasing
    image = torchless.zeros(3, 8, 8)
    with pytest.raises(ValueError) as raised:
        erasing(p=1.0, value=(1, 2))(image)
    assert str(raised.value) == ("If value is a sequence, it should have either a single value or 3 (number of "
                                 f"{word} channels)")
    for value, expected in ((5, {5.0}), ((1, 2, 3), {1.0, 2.0, 3.0})):
        erased = erasing(p=1.0, value=value, scale=(0.5, 0.5), ratio=(1.0, 1.0))(image)
        assert set(np.unique(erased.numpy())) - {0.0} == expected


# ---------------------------------------------------------------------------- the optimizers' shared step loop
@pytest.mark.parametrize("name, options", [
    ("Adadelta", {}), ("Adadelta", {"lr": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("Adadelta", {"foreach": True}), ("Adamax", {}), ("Adamax", {"weight_decay": 0.1, "foreach": True}),
    ("Adamax", {"maximize": True}), ("NAdam", {}), ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"momentum_decay": 0.01, "foreach": True}), ("RAdam", {}), ("RAdam", {"weight_decay": 0.1}),
    ("RAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1, "maximize": True}),
])
def test_per_parameter_optimizers_step_as_pytorchs(name, options):
    initial, grads = optimizer_problem(np.float64, seed=7, steps=8)  # (RAdam's rectification starts at step 6)
    theirs, their_optimizer = run_optimizer(torch, name, options, initial, grads)
    ours, our_optimizer = run_optimizer(torchless, name, options, initial, grads)
    for got, want in zip(ours, theirs):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-14)
    for got, want in zip(our_optimizer.state.values(), their_optimizer.state.values()):
        assert list(got) == list(want)
        for key in got:
            np.testing.assert_allclose(np.asarray(got[key]), np.asarray(want[key]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam"])
def test_per_parameter_optimizers_closure_skipped_params_and_recorded_steps(name):
    results = []
    for lib in (torch, torchless):
        used, unused = lib.nn.Parameter(lib.tensor([1.0, -2.0])), lib.nn.Parameter(lib.tensor([3.0]))
        optimizer = getattr(lib.optim, name)([used, unused], lr=0.1)

        def closure():
            optimizer.zero_grad()
            loss = (used ** 2).sum()
            loss.backward()
            return loss

        losses = [float(optimizer.step(closure).detach()) for _ in range(3)]
        recorded = lib.tensor([0.5, 1.5], requires_grad=True)
        weight = recorded.clone()  # a non-leaf updated under autograd (differentiable=True)
        weight.grad = recorded * 2
        getattr(lib.optim, name)([weight], lr=0.1, differentiable=True).step()
        (gradient,) = lib.autograd.grad(weight.sum(), recorded)
        results.append((losses, used.detach().tolist(), unused.detach().tolist(), len(optimizer.state),
                        weight.detach().tolist(), gradient.tolist()))
    theirs, ours = results
    assert ours[2:4] == theirs[2:4] == ([3.0], 1)  # no gradient: no update, no state
    np.testing.assert_allclose(np.array(ours[0] + ours[1] + ours[4] + ours[5]),
                               np.array(theirs[0] + theirs[1] + theirs[4] + theirs[5]), rtol=1e-6)


# ---------------------------------------------------------------------------- the lazy convolutions' constructors
@pytest.mark.parametrize("name", ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
                                  "LazyConvTranspose2d", "LazyConvTranspose3d"])
@pytest.mark.parametrize("args, kwargs", [((), {}), ((4,), {}), ((4, 3), {"x": 1}), ((4, 3), {}),
                                          ((4, 3), {"bias": False, "stride": 2}), ((4, 3), {"groups": 2}),
                                          ((4, 3, 1, 1, 1, 1, True, "zeros", None, None, "extra"), {})], ids=repr)
def test_lazy_convolutions_construct_and_materialise_as_pytorchs(name, args, kwargs):
    spatial = int(name[-2])
    values = np.arange(2 * 4 * 5 ** spatial, dtype=np.float32).reshape((2, 4) + (5,) * spatial) / 100

    def build(lib):
        module = getattr(lib.nn, name)(*args, **kwargs)
        record = [repr(module), module.has_uninitialized_params()]
        output = module(lib.tensor(values))
        return record + [type(module).__name__, repr(module), tuple(output.shape), sorted(module.state_dict()),
                         tuple(module.weight.shape)]

    assert outcome_named_as_torch(lambda: build(torchless)) == outcome_named_as_torch(lambda: build(torch))
