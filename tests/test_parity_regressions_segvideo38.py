"""torchvision's video classification CNNs under torchless (``torchless.vision.models.video``), against torchvision
0.28.0, and independent checks of them and of the segmentation builders.

Differences fixed (torchless had none of these: ``models.video`` was an AttributeError):
- ``r3d_18``, ``mc3_18``, ``r2plus1d_18`` (VideoResNet with Conv3DSimple / Conv3DNoTemporal / Conv2Plus1D blocks,
  BasicStem / R2Plus1dStem) and ``s3d`` (S3D: TemporalSeparableConv, SepInceptionBlock3D), with torchvision's module
  trees, repr, state_dict keys, shapes and dtypes, initialisation (the same weights after ``manual_seed``) and the
  same outputs and gradients given the same weights;
- their ``*_Weights`` enums (Kinetics-400 categories, meta, URLs) and ``VideoClassification``, the transforms preset
  of video weights; builders registered (``list_models(module=video)``, ``get_model``, ``get_weight``), with
  torchvision's legacy ``pretrained`` / positional-argument warnings and argument errors.

The oracle is tests/fixtures/torchvision/segvideo38.json.gz, recorded from torchvision by make_segvideo38.py beside
it; the tests that need torch compare at run time against torch's layers given the same weights; the last section
needs neither (float64 NumPy, the documented parameter counts, shape formulas).
"""
import gzip
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.vision import models
from torchless.vision.models import segmentation, video
from torchless.vision.transforms import InterpolationMode

FIXTURES = Path(__file__).parent / "fixtures" / "torchvision"
RECORDED = json.loads(gzip.decompress((FIXTURES / "segvideo38.json.gz").read_bytes()))
_spec = importlib.util.spec_from_file_location("make_segvideo38", FIXTURES / "make_segvideo38.py")
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)  # numpy only at import time


@pytest.fixture
def without_random_fills(monkeypatch):
    """Random fills become no-ops, for the tests that only look at shapes or overwrite every value (building the
    30M-parameter video ResNets otherwise spends seconds drawing their initial weights)."""
    monkeypatch.setattr(torchless.Tensor, "uniform_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.Tensor, "normal_", lambda self, *args, **kwargs: self)


def torchless_text(text):
    return text.replace("torch.", "torchless.").replace("torchvision.", "torchless.vision.")


def assert_summary_close(actual, expected, rtol=1e-4):
    """``actual`` against a recorded ``generator.summary``: values at the recorded places, and the sums."""
    *at, total, abs_total = expected
    got = generator.summary(actual)
    scale = max(abs(v) for v in at) or 1.0
    np.testing.assert_allclose(got[:-2], at, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(got[-2], total, rtol=0, atol=rtol * abs_total + 1e-6)
    np.testing.assert_allclose(got[-1], abs_total, rtol=rtol)


def filled(name):
    """The model ``generator.OUTPUTS[name]`` is recorded for, every float of its state set as the generator sets
    torchvision's."""
    model = generator.build(video, name)
    model.load_state_dict(generator.filled_state(model, torchless.tensor))
    return model


# ------------------------------------------------------------------------------------------ against torchvision
@pytest.mark.parametrize("name", generator.BUILDERS)
def test_module_tree_and_state_dict_match_torchvision(name, without_random_fills):
    recorded = RECORDED["models"][name]
    model = getattr(video, name)()
    actual = generator.structure(model)
    assert actual["state_dict"] == recorded["state_dict"]
    assert [str(v.dtype).replace("torchless.", "") for v in model.state_dict().values()] == recorded["dtypes"]
    assert [[n, type(m).__name__] for n, m in model.named_modules()] == recorded["modules"]
    assert actual["repr"] == recorded["repr"]
    assert actual["num_params"] == recorded["num_params"]


@pytest.mark.parametrize("name", generator.BUILDERS)
def test_weights_enum_is_torchvisions(name):
    recorded = RECORDED["models"][name]["weights"]
    weights_enum = models.get_model_weights(name)
    assert weights_enum is getattr(video, recorded["enum"]) and weights_enum.__name__ == recorded["enum"]
    assert list(weights_enum.__members__) == recorded["names"]
    assert weights_enum.DEFAULT.name == recorded["default"]
    for member in weights_enum:
        expected = recorded["members"][member.name]
        assert member.url == expected["url"]
        assert dict(member.transforms.keywords) == {k: tuple(v) for k, v in expected["transforms_keywords"].items()}
        assert repr(member.transforms()) == expected["transforms_repr"]
        meta = json.loads(json.dumps(member.meta))  # tuples as the recorded lists
        assert meta.pop("categories") == expected["categories"]
        assert meta.pop("_docs") == expected["_docs"]
        assert meta == expected["meta"]
        assert models.get_weight(repr(member)) is member


def test_weights_meta_keys_in_torchvisions_order():
    for name in generator.BUILDERS:
        for member in models.get_model_weights(name):
            assert list(member.meta) == RECORDED["models"][name]["weights"]["members"][member.name]["keys"]


@pytest.mark.parametrize("label", sorted(generator.SEEDED))
def test_seeded_initial_weights_match_torchvision(label):
    seed, name, kwargs = generator.SEEDED[label]
    expected = RECORDED["seeded"][label]
    torchless.manual_seed(seed)
    actual = generator.seeded_summary(getattr(video, name)(**kwargs).state_dict())
    assert list(actual) == list(expected)
    for key, (*first, total, abs_total) in expected.items():
        np.testing.assert_allclose(actual[key][:-2], first, rtol=1e-5, atol=1e-7, err_msg=key)
        np.testing.assert_allclose(actual[key][-2], total, rtol=0, atol=1e-6 * abs_total + 1e-7, err_msg=key)
        np.testing.assert_allclose(actual[key][-1], abs_total, rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", sorted(generator.OUTPUTS))
def test_eval_outputs_match_torchvision(name, without_random_fills):
    model = filled(name).eval()
    forward = model.features if name.endswith("_features") else model
    with torchless.no_grad():
        out = forward(torchless.tensor(generator.clip(generator.OUTPUTS[name]))).numpy()
    expected = RECORDED["outputs"][name]
    if len(expected) == generator.OUTPUTS[name][0]:  # recorded in full: (N, classes)
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    else:
        assert out.shape == (1, 1024, 2, 2, 1)
        assert_summary_close(out, expected)


@pytest.mark.parametrize("name", generator.TRAINED)
def test_train_mode_output_and_gradients_match_torchvision(name, without_random_fills):
    model = filled(name).train()
    expected = RECORDED["trained"][name]
    x = torchless.tensor(generator.clip(generator.OUTPUTS[name]), requires_grad=True)
    out = model(x)
    np.testing.assert_allclose(out.detach().numpy(), expected["output"], rtol=1e-4,
                               atol=1e-4 * np.abs(expected["output"]).max())
    (out * torchless.tensor(generator.loss_weights(tuple(out.shape)))).sum().backward()
    assert_summary_close(x.grad.numpy(), expected["input_grad"], rtol=1e-3)
    parameters = dict(model.named_parameters())
    for key, summary in expected["grads"].items():
        assert_summary_close(parameters[key].grad.numpy(), summary, rtol=1e-3)
    assert all(p.grad is not None and p.grad.shape == p.shape for p in parameters.values())
    assert_summary_close(model.state_dict()["layer3.1.conv2.0.1.running_mean"].numpy(), expected["running_mean"])


@pytest.mark.parametrize("index", range(len(generator.TRANSFORMS)))
def test_video_classification_transforms_match_torchvision(index):
    kwargs = generator.transform_keywords(generator.TRANSFORMS[index], InterpolationMode)
    transform = video.R3D_18_Weights.DEFAULT.transforms(**kwargs)
    out = transform(torchless.tensor(generator.video()))
    assert out.dtype == torchless.float32
    expected = np.array(RECORDED["transforms"][index], dtype=np.float32)
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=2e-6)


def test_video_classification_of_one_video_drops_the_batch():
    out = video.R3D_18_Weights.DEFAULT.transforms()(torchless.tensor(generator.video()[0]))
    assert list(out.shape) == RECORDED["transform_single"] == [3, 3, 112, 112]


@pytest.mark.parametrize("case", generator.CASES)
def test_cases_match_torchvision(case, without_random_fills):
    expected = RECORDED["cases"][case]
    actual = generator.run_case(case, models, video, torchless)
    if "error" in expected:
        assert "error" in actual, actual
        assert actual["error"][0] == expected["error"][0]
        assert actual["error"][1] == torchless_text(expected["error"][1])
    else:
        assert actual.get("value") == expected["value"], actual
    assert actual["warnings"] == expected["warnings"]


@pytest.mark.parametrize("name", generator.BUILDERS)
def test_pretrained_weights_fail_offline_like_the_other_builders(name, offline, without_random_fills):
    weights = models.get_model_weights(name).DEFAULT
    with pytest.raises(models.PretrainedWeightsUnavailable, match="Could not download") as caught:
        getattr(video, name)(weights="DEFAULT")
    assert weights.url in str(caught.value) and weights.url.rsplit("/", 1)[1] in str(caught.value)
    with pytest.raises(models.PretrainedWeightsUnavailable):
        models.get_model(name, weights=weights)


# ------------------------------------------------------------------------------------ against torch's own layers
def _torch_bn3d(torch, module):
    bn = torch.nn.BatchNorm3d(module.num_features, eps=module.eps, momentum=module.momentum)
    for key, value in module.state_dict().items():
        getattr(bn, key).data = torch.from_numpy(value.numpy().copy())
    return bn.eval()


def _torch_conv3d(torch, module):
    conv = torch.nn.Conv3d(module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding,
                           bias=module.bias is not None)
    conv.weight.data = torch.from_numpy(module.weight.detach().numpy().copy())
    if module.bias is not None:
        conv.bias.data = torch.from_numpy(module.bias.detach().numpy().copy())
    return conv


def _as_torch(torch, module):
    """A torch copy of a Sequential of Conv3d / BatchNorm3d / ReLU / MaxPool3d / AvgPool3d (nested ones too)."""
    layers = []
    for child in module.children() if isinstance(module, torchless.nn.Sequential) else [module]:
        if isinstance(child, torchless.nn.Sequential):
            layers.append(_as_torch(torch, child))
        elif isinstance(child, torchless.nn.Conv3d):
            layers.append(_torch_conv3d(torch, child))
        elif isinstance(child, torchless.nn.BatchNorm3d):
            layers.append(_torch_bn3d(torch, child))
        elif isinstance(child, torchless.nn.ReLU):
            layers.append(torch.nn.ReLU())
        elif isinstance(child, torchless.nn.MaxPool3d):
            layers.append(torch.nn.MaxPool3d(child.kernel_size, child.stride, child.padding))
        elif isinstance(child, torchless.nn.AvgPool3d):
            layers.append(torch.nn.AvgPool3d(child.kernel_size, child.stride))
        elif isinstance(child, torchless.nn.Dropout):
            layers.append(torch.nn.Dropout(child.p))
        else:
            raise AssertionError(type(child))
    return torch.nn.Sequential(*layers).eval()


@pytest.mark.parametrize("name", ["r3d_18", "mc3_18", "r2plus1d_18"])
def test_video_resnets_match_torchs_layers_given_the_same_weights(name, without_random_fills):
    """Stem, each stage's blocks (residual sum and ReLU written out with torch), pooling and fc against torch."""
    torch = pytest.importorskip("torch")
    model = filled(name).eval()
    x = generator.clip((1, 3, 4, 20, 18), seed=9)
    with torchless.no_grad():
        ours = model(torchless.tensor(x)).numpy()
        stem = model.stem(torchless.tensor(x)).numpy()
    with torch.no_grad():
        t = _as_torch(torch, model.stem)(torch.from_numpy(x))
        np.testing.assert_allclose(stem, t.numpy(), rtol=1e-5, atol=1e-5)
        for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
            for block in stage:
                shortcut = t if block.downsample is None else _as_torch(torch, block.downsample)(t)
                t = torch.relu(_as_torch(torch, block.conv2)(_as_torch(torch, block.conv1)(t)) + shortcut)
        t = t.mean(dim=(2, 3, 4))
        fc = torch.nn.Linear(512, generator.OUTPUT_CLASSES)
        fc.weight.data = torch.from_numpy(model.fc.weight.detach().numpy().copy())
        fc.bias.data = torch.from_numpy(model.fc.bias.detach().numpy().copy())
        expected = fc(t).numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_s3d_blocks_and_head_match_torchs_layers_given_the_same_weights(without_random_fills):
    """The stem, an Inception block (branches concatenated) and the head (pooling, classifier, mean) of S3D -- whose
    whole forward needs 13 x 209 x 209 clips -- against torch."""
    torch = pytest.importorskip("torch")
    model = filled("s3d_features").eval()
    x = generator.clip((1, 3, 6, 24, 20), seed=4)
    with torchless.no_grad(), torch.no_grad():
        ours = model.features[0](torchless.tensor(x)).numpy()
        expected = _as_torch(torch, model.features[0])(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)

        block = model.features[5]
        y = generator.clip((1, 192, 3, 5, 4), seed=6)
        ours = block(torchless.tensor(y)).numpy()
        ty = torch.from_numpy(y)
        expected = torch.cat([_as_torch(torch, branch)(ty) for branch in
                              (block.branch0, block.branch1, block.branch2, block.branch3)], 1).numpy()
        assert ours.shape == (1, 256, 3, 5, 4)
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)

        z = generator.clip((2, 1024, 3, 8, 7), seed=8)
        ours = model.classifier(model.avgpool(torchless.tensor(z))).mean(dim=(2, 3, 4)).numpy()
        head = torch.nn.Sequential(_as_torch(torch, model.avgpool), _as_torch(torch, model.classifier))
        expected = head(torch.from_numpy(z)).mean(dim=(2, 3, 4)).numpy()
        assert ours.shape == (2, generator.OUTPUT_CLASSES)
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
        feats = model.features(torchless.tensor(generator.clip((1, 3, 16, 64, 48))))
        assert tuple(feats.shape) == (1, 1024, 2, 2, 1)


# -------------------------------------------------------------------------- without torch or torchvision
# torchvision's documented parameter counts (https://docs.pytorch.org/vision/stable/models.html, "Video
# Classification" and "Semantic Segmentation" tables; the ``num_params`` of the weights' meta)
DOCUMENTED_PARAMS = {"r3d_18": 33371472, "mc3_18": 11695440, "r2plus1d_18": 31505325, "s3d": 8320048}
DOCUMENTED_SEGMENTATION_PARAMS = {"deeplabv3_mobilenet_v3_large": 11029328, "lraspp_mobilenet_v3_large": 3221538}


@pytest.mark.parametrize("name", sorted(DOCUMENTED_PARAMS))
def test_parameter_counts_are_the_documented_ones(name, without_random_fills):
    model = getattr(video, name)()
    assert sum(p.numel() for p in model.parameters()) == DOCUMENTED_PARAMS[name]
    assert models.get_model_weights(name).DEFAULT.meta["num_params"] == DOCUMENTED_PARAMS[name]


@pytest.mark.parametrize("name", sorted(DOCUMENTED_SEGMENTATION_PARAMS))
def test_segmentation_parameter_counts_are_the_documented_ones(name, without_random_fills):
    # the documented counts are those of the checkpoints: 21 classes, auxiliary head where the model has one
    kwargs = {} if name.startswith("lraspp") else {"aux_loss": True}
    model = getattr(segmentation, name)(weights_backbone=None, **kwargs)
    assert sum(p.numel() for p in model.parameters()) == DOCUMENTED_SEGMENTATION_PARAMS[name]


def test_video_resnet_parameter_count_from_first_principles(without_random_fills):
    """R3D-18's count summed by hand: 3x3x3 convolutions without bias, two-parameter batch norms, 1x1x1 shortcuts."""
    def conv(cin, cout, k=27):
        return cin * cout * k

    def bn(c):
        return 2 * c

    total = conv(3, 64, 3 * 7 * 7) + bn(64)
    cin = 64
    for planes in (64, 128, 256, 512):
        for block in range(2):
            total += conv(cin, planes) + bn(planes) + conv(planes, planes) + bn(planes)
            if block == 0 and cin != planes:
                total += conv(cin, planes, 1) + bn(planes)
            cin = planes
    total += 512 * 400 + 400
    assert total == DOCUMENTED_PARAMS["r3d_18"]
    assert sum(p.numel() for p in video.r3d_18().parameters()) == total


def _conv3d_float64(x, w, stride, padding):
    """A direct float64 3D convolution (cross-correlation), batch first."""
    x = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + [(p, p) for p in padding])
    k = w.shape[2:]
    out_shape = [(x.shape[2 + i] - k[i]) // stride[i] + 1 for i in range(3)]
    out = np.zeros((x.shape[0], w.shape[0], *out_shape))
    for a in range(k[0]):
        for b in range(k[1]):
            for c in range(k[2]):
                patch = x[:, :, a:a + stride[0] * out_shape[0]:stride[0], b:b + stride[1] * out_shape[1]:stride[1],
                          c:c + stride[2] * out_shape[2]:stride[2]]
                out += np.einsum("nidhw,oi->nodhw", patch, w[:, :, a, b, c].astype(np.float64))
    return out


def _bn_relu_float64(x, bn):
    state = {k: v.numpy().astype(np.float64) for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    shape = (1, -1, 1, 1, 1)
    y = (x - state["running_mean"].reshape(shape)) / np.sqrt(state["running_var"].reshape(shape) + bn.eps)
    return np.maximum(y * state["weight"].reshape(shape) + state["bias"].reshape(shape), 0.0)


@pytest.mark.parametrize("name", ["r3d_18", "r2plus1d_18"])
def test_stems_match_a_float64_reference(name, without_random_fills):
    model = filled(name).eval()
    x = generator.clip((2, 3, 3, 11, 9), seed=2)
    with torchless.no_grad():
        ours = model.stem(torchless.tensor(x)).numpy()
    y = x
    layers = list(model.stem.children())
    for conv, bn in zip(layers[0::3], layers[1::3]):
        y = _bn_relu_float64(_conv3d_float64(y, conv.weight.detach().numpy(), conv.stride, conv.padding), bn)
    # stride (1, 2, 2), padding keeping the time: (N, 64, T, ceil(H / 2), ceil(W / 2))
    assert ours.shape == y.shape == (2, 64, 3, 6, 5)
    np.testing.assert_allclose(ours, y, rtol=1e-4, atol=1e-4 * np.abs(y).max())


@pytest.mark.parametrize("shape", [(1, 3, 1, 1, 1), (2, 3, 5, 17, 9), (1, 3, 6, 21, 40)])
@pytest.mark.parametrize("name", ["r3d_18", "mc3_18"])
def test_video_resnet_feature_shapes_follow_the_stride_formulas(name, shape, without_random_fills):
    model = getattr(video, name)(num_classes=3).eval()
    n, _, t, h, w = shape

    def down(size):
        return (size - 1) // 2 + 1  # a 3x3 (or 1x1 shortcut) convolution of stride 2, padding 1

    with torchless.no_grad():
        x = model.stem(torchless.zeros(shape))
        assert tuple(x.shape) == (n, 64, t, down(h), down(w))
        sizes = [t, down(h), down(w)]
        for index, stage in enumerate((model.layer1, model.layer2, model.layer3, model.layer4)):
            x = stage(x)
            if index:
                # MC3 strides in space only after its first stage
                sizes = [sizes[0] if name == "mc3_18" else down(sizes[0]), down(sizes[1]), down(sizes[2])]
            assert tuple(x.shape) == (n, 64 * 2 ** index, *sizes)
        assert tuple(model(torchless.zeros(shape)).shape) == (n, 3)


def half_up(size, times):
    """``size`` halved ``times`` times, rounding up."""
    for _ in range(times):
        size = -(-size // 2)
    return size


def test_s3d_feature_shapes_follow_the_pooling_formulas(without_random_fills):
    model = video.s3d(num_classes=3).eval()
    for t, h, w in [(16, 64, 48), (5, 33, 17)]:
        with torchless.no_grad():
            out = model.features(torchless.zeros(1, 3, t, h, w))
        # five spatial halvings (four rounding up, the last down), three temporal (two up, one down)
        assert tuple(out.shape) == (1, 1024, half_up(t, 2) // 2, half_up(h, 4) // 2, half_up(w, 4) // 2)


def test_video_classification_float64_reference():
    """Bilinear resize without antialiasing (half-pixel centres), central crop, [0, 1] scaling and normalization,
    (T, C) swapped, written out in float64."""
    frames = generator.video()[:1]  # (1, T, C, 20, 31)
    transform = video.R3D_18_Weights.DEFAULT.transforms(crop_size=(8, 10), resize_size=(12, 15))
    out = transform(torchless.tensor(frames)).numpy()

    def axis_weights(n_in, n_out):
        centres = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0)
        low = np.minimum(np.floor(centres).astype(int), n_in - 1)
        high = np.minimum(low + 1, n_in - 1)
        frac = centres - low
        m = np.zeros((n_out, n_in))
        m[np.arange(n_out), low] += 1 - frac
        m[np.arange(n_out), high] += frac
        return m

    resized = np.einsum("yh,ntchw,xw->ntcyx", axis_weights(20, 12), frames.astype(np.float64), axis_weights(31, 15))
    resized = np.clip(np.round(resized), 0, 255)  # uint8 frames are resized as uint8
    top, left = int(round((12 - 8) / 2.0)), int(round((15 - 10) / 2.0))  # torchvision's center_crop
    crop = resized[..., top:top + 8, left:left + 10] / 255.0
    mean = np.array([0.43216, 0.394666, 0.37645]).reshape(1, 1, 3, 1, 1)
    std = np.array([0.22803, 0.22145, 0.216989]).reshape(1, 1, 3, 1, 1)
    expected = ((crop - mean) / std).transpose(0, 2, 1, 3, 4)
    assert out.shape == expected.shape == (1, 3, 3, 8, 10)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_builders_are_registered_and_enums_found():
    assert models.list_models(module=video) == ["mc3_18", "r2plus1d_18", "r3d_18", "s3d"]
    for name in ("r3d_18", "mc3_18", "r2plus1d_18", "s3d"):
        assert models.get_model_builder(name) is getattr(video, name)
        enum = models.get_model_weights(name)
        assert enum.DEFAULT is enum.KINETICS400_V1 and len(enum.DEFAULT.meta["categories"]) == 400
    assert models.get_weight("R2Plus1D_18_Weights.DEFAULT") is video.R2Plus1D_18_Weights.KINETICS400_V1


def test_works_with_docstrings_stripped():
    code = ("import torchless.vision.models.video as V, torchless; m = V.s3d(num_classes=2); "
            "assert V.r3d_18.__doc__ is None and V.VideoResNet.__doc__ is None; "
            "print(V.R3D_18_Weights.DEFAULT.transforms().describe()[:7])")
    done = subprocess.run([sys.executable, "-OO", "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Accepts"
