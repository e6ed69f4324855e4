"""torchless.vision.models against torchvision: parameter counts, module trees, state_dict keys, forward and backward
passes, checkpoints, initialisation schemes, builders' arguments and the registry.

torchvision cannot be installed here, so the oracle is twofold: the parameter counts torchvision publishes, and
independent PyTorch definitions of seven architectures (tests/torchvision_twins.py) whose weights are copied into
the torchless models.
"""
import functools
import math
import subprocess
import sys
import urllib.error
import urllib.request
import warnings

import numpy as np
import pytest

import torchless
from torchless.vision import models

torch = pytest.importorskip("torch")
import torchvision_twins as twins  # noqa: E402  (needs torch)

# torchvision's published sizes: meta["num_params"] of each builder's IMAGENET1K_V1 weights in
# torchvision/models/{alexnet,vgg,resnet,mobilenetv2,squeezenet,densenet}.py (the "Params" column of torchvision's
# classification-models table in its documentation).
TORCHVISION_NUM_PARAMS = {
    "alexnet": 61100840,
    "vgg11": 132863336,
    "vgg11_bn": 132868840,
    "vgg13": 133047848,
    "vgg13_bn": 133053736,
    "vgg16": 138357544,
    "vgg16_bn": 138365992,
    "vgg19": 143667240,
    "vgg19_bn": 143678248,
    "resnet18": 11689512,
    "resnet34": 21797672,
    "resnet50": 25557032,
    "resnet101": 44549160,
    "resnet152": 60192808,
    "resnext50_32x4d": 25028904,
    "wide_resnet50_2": 68883240,
    "mobilenet_v2": 3504872,
    "squeezenet1_0": 1248424,
    "squeezenet1_1": 1235496,
    "densenet121": 7978856,
}

# (torchless builder, torch twin builder, input side): the smallest convenient input each architecture accepts
TWINS = {
    "alexnet": (models.alexnet, twins.AlexNet, 64),
    "resnet18": (models.resnet18, twins.resnet18, 64),
    "resnext50_32x4d": (models.resnext50_32x4d, twins.resnext50_32x4d, 64),
    "vgg11_bn": (models.vgg11_bn, twins.vgg11_bn, 32),
    "mobilenet_v2": (models.mobilenet_v2, twins.MobileNetV2, 64),
    "squeezenet1_0": (models.squeezenet1_0, twins.squeezenet1_0, 64),
    "squeezenet1_1": (models.squeezenet1_1, twins.squeezenet1_1, 64),
    "densenet121": (models.densenet121, twins.densenet121, 64),
}


@pytest.fixture
def without_random_fills(monkeypatch):
    """Random fills become no-ops: building VGG's 138M parameters then takes 0.1 s instead of 5 s. For the tests
    that only look at shapes, or that overwrite every weight from the torch twin anyway."""
    monkeypatch.setattr(torchless.Tensor, "uniform_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.Tensor, "normal_", lambda self, *args, **kwargs: self)


def images(n, side, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 3, side, side)).astype(np.float32)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def realistic_twin(make_twin, side, seed=0):
    """A torch twin in eval mode whose batch norms do real work: random affine parameters, and running statistics
    taken from a batch, so that the activations keep a sensible scale through the depth."""
    torch.manual_seed(seed)
    twin = make_twin()
    norms = [m for m in twin.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in norms:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_(0.0, 0.2)
            bn.momentum = 1.0  # the running statistics become this batch's
        twin.train()(torch.from_numpy(images(4, side, seed + 1)))
    for bn in norms:
        bn.momentum = 0.1
    return twin.eval()


@functools.lru_cache(maxsize=None)
def shared_twin(name):
    """``realistic_twin`` of TWINS[name], built once for the tests that only read it (eval mode, no gradients)."""
    _, make_twin, side = TWINS[name]
    return realistic_twin(make_twin, side)


def torchless_copy(build, twin):
    """The torchless model built by ``build``, holding the twin's weights (loaded strictly: every key must match)."""
    model = build()
    model.load_state_dict({k: torchless.tensor(v.numpy()) for k, v in twin.state_dict().items()}, strict=True)
    return model


def assert_close_outputs(ours, theirs, rtol=1e-4):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    assert theirs.std() > 1e-3, "degenerate reference output: the comparison would prove nothing"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * np.abs(theirs).max())


# ---------------------------------------------------------------------------- sizes and module trees
@pytest.mark.parametrize("name", sorted(TORCHVISION_NUM_PARAMS))
def test_parameter_count_is_torchvisions(name, without_random_fills):
    assert n_params(getattr(models, name)()) == TORCHVISION_NUM_PARAMS[name]


@pytest.mark.parametrize("name", sorted(TWINS))
def test_module_tree_and_state_dict_match_torchvision(name, without_random_fills):
    ours, theirs = TWINS[name][0](), shared_twin(name)
    # the repr shows every module's class, attribute name and arguments (strides, paddings, inplace, eps, ...)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


# ---------------------------------------------------------------------------- computation
@pytest.mark.parametrize("name", sorted(TWINS))
def test_eval_forward_matches_torchvision(name, without_random_fills):
    build, _, side = TWINS[name]
    twin = shared_twin(name)
    model = torchless_copy(build, twin).eval()
    x = images(2, side, seed=7)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    with torchless.no_grad():
        actual = model(torchless.tensor(x)).numpy()
    assert_close_outputs(actual, expected)


def test_resnet18_training_step_matches_torch(without_random_fills):
    twin = realistic_twin(twins.resnet18, 64).train()
    model = torchless_copy(models.resnet18, twin).train()
    x, target = images(4, 64, seed=3), np.array([1, 5, 999, 0])

    twin_loss = torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(target))
    twin_loss.backward()
    loss = torchless.nn.functional.cross_entropy(model(torchless.tensor(x)), torchless.tensor(target))
    loss.backward()

    np.testing.assert_allclose(loss.item(), twin_loss.item(), rtol=1e-5)
    theirs = dict(twin.named_parameters())
    for key, param in model.named_parameters():
        expected = theirs[key].grad.numpy()
        np.testing.assert_allclose(param.grad.numpy(), expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max(),
                                   err_msg=key)
    their_buffers = dict(twin.named_buffers())
    for key, buffer in model.named_buffers():  # running statistics updated from the batch, as in torch
        np.testing.assert_allclose(buffer.numpy(), their_buffers[key].numpy(), rtol=1e-4, atol=1e-6, err_msg=key)


def test_densenet_memory_efficient_flag_gives_the_same_values(without_random_fills):
    twin = shared_twin("densenet121")
    plain = torchless_copy(models.densenet121, twin).eval()
    efficient = torchless_copy(lambda: models.densenet121(memory_efficient=True), twin).eval()
    x = torchless.tensor(images(1, 64))
    np.testing.assert_array_equal(efficient(x).detach().numpy(), plain(x).detach().numpy())
    assert all(m.memory_efficient for m in efficient.modules() if type(m).__name__ == "_DenseLayer")


# ---------------------------------------------------------------------------- checkpoints written by torch.save
def test_torch_saved_resnet18_checkpoint_loads(tmp_path, without_random_fills):
    twin = shared_twin("resnet18")
    path = tmp_path / "resnet18.pth"
    torch.save(twin.state_dict(), path)

    model = models.resnet18()
    model.load_state_dict(torchless.load(str(path)), strict=True)
    x = images(1, 64, seed=11)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    assert_close_outputs(model.eval()(torchless.tensor(x)).detach().numpy(), expected)


def test_densenet_checkpoint_with_torchvisions_legacy_keys_loads(tmp_path, without_random_fills):
    # torchvision's published DenseNet file (2017) says "denselayer1.norm.1.weight" for "denselayer1.norm1.weight",
    # and predates the num_batches_tracked buffers
    twin = shared_twin("densenet121")
    legacy = {}
    for key, value in twin.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        if "denselayer" in key:
            for old, new in (("norm.1", "norm1"), ("norm.2", "norm2"), ("conv.1", "conv1"), ("conv.2", "conv2")):
                key = key.replace(f".{new}.", f".{old}.")
        legacy[key] = value
    assert "features.denseblock1.denselayer1.norm.1.weight" in legacy
    path = tmp_path / "densenet121.pth"
    torch.save(legacy, path)

    model = models.densenet121()
    model.load_state_dict(models.densenet.rename_legacy_keys(torchless.load(str(path))), strict=True)
    x = images(1, 64, seed=5)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    assert_close_outputs(model.eval()(torchless.tensor(x)).detach().numpy(), expected)


# ---------------------------------------------------------------------------- initialisation schemes
def std_close(tensor, expected_std, rel=0.05):
    values = tensor.detach().numpy()
    assert values.size >= 10000, "too few values for a 5% check"
    assert abs(values.mean()) < 4 * expected_std / math.sqrt(values.size)
    assert values.std() == pytest.approx(expected_std, rel=rel)


def fans(weight):
    out_channels, in_channels, *kernel = weight.shape
    receptive = int(np.prod(kernel)) if kernel else 1
    return in_channels * receptive, out_channels * receptive


def test_resnet_init_is_kaiming_normal_fan_out_with_unit_batch_norms():
    torchless.manual_seed(0)
    model = models.resnet18()
    conv = model.layer2[0].conv1.weight  # 128 x 64 x 3 x 3: fan_out is twice fan_in
    std_close(conv, math.sqrt(2.0 / fans(conv)[1]))
    for bn in (m for m in model.modules() if isinstance(m, torchless.nn.BatchNorm2d)):
        assert (bn.weight.detach().numpy() == 1).all() and (bn.bias.detach().numpy() == 0).all()
    # fc keeps nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert np.abs(model.fc.weight.detach().numpy()).max() <= 1 / math.sqrt(512)
    std_close(model.fc.weight, 1 / math.sqrt(512) / math.sqrt(3))


def test_zero_init_residual_zeroes_the_last_norm_of_every_block(without_random_fills):
    basic, bottleneck = models.resnet18(zero_init_residual=True), models.resnet50(zero_init_residual=True)
    for model, last in ((basic, "bn2"), (bottleneck, "bn3")):
        blocks = [b for layer in (model.layer1, model.layer2, model.layer3, model.layer4) for b in layer]
        assert len(blocks) == (8 if model is basic else 16)
        for block in blocks:
            assert (getattr(block, last).weight.detach().numpy() == 0).all()
            assert (block.bn1.weight.detach().numpy() == 1).all()
    assert (models.resnet18().layer1[0].bn2.weight.detach().numpy() == 1).all()


def test_vgg_init(monkeypatch):
    # VGG overwrites every default initialisation: a constant instead of the default uniform fill saves 3 s, and
    # a weight or bias VGG failed to overwrite would keep that constant, failing the checks below
    monkeypatch.setattr(torchless.Tensor, "uniform_", lambda self, *args, **kwargs: self.fill_(0.5))
    torchless.manual_seed(0)
    model = models.vgg11()
    conv = model.features[3].weight  # 128 x 64 x 3 x 3: fan_out is twice fan_in
    std_close(conv, math.sqrt(2.0 / fans(conv)[1]))
    assert all((m.bias.detach().numpy() == 0).all() for m in model.modules()
               if isinstance(m, (torchless.nn.Conv2d, torchless.nn.Linear)))
    std_close(model.classifier[6].weight, 0.01)


def test_mobilenet_v2_init():
    torchless.manual_seed(0)
    model = models.mobilenet_v2()
    pointwise = model.features[18][0].weight  # 1280 x 320 x 1 x 1
    std_close(pointwise, math.sqrt(2.0 / fans(pointwise)[1]))
    std_close(model.classifier[1].weight, 0.01)
    assert (model.classifier[1].bias.detach().numpy() == 0).all()


def test_squeezenet_init():
    torchless.manual_seed(0)
    model = models.squeezenet1_0()
    final = model.classifier[1].weight  # 1000 x 512 x 1 x 1
    std_close(final, 0.01)
    expand = model.features[12].expand3x3.weight  # 256 x 64 x 3 x 3: kaiming-uniform, fan_in, gain sqrt(2)
    bound = math.sqrt(6.0 / fans(expand)[0])
    assert np.abs(expand.detach().numpy()).max() <= bound
    std_close(expand, bound / math.sqrt(3))
    assert all((m.bias.detach().numpy() == 0).all() for m in model.modules() if isinstance(m, torchless.nn.Conv2d))


def test_densenet_init():
    torchless.manual_seed(0)
    model = models.densenet121()
    conv = model.features.denseblock3.denselayer24.conv2.weight  # 32 x 128 x 3 x 3: kaiming-normal, fan_in
    std_close(conv, math.sqrt(2.0 / fans(conv)[0]))
    assert (model.classifier.bias.detach().numpy() == 0).all()
    assert np.abs(model.classifier.weight.detach().numpy()).max() <= 1 / math.sqrt(1024)


def test_alexnet_keeps_pytorch_default_init():
    torchless.manual_seed(0)
    model = models.alexnet()
    for layer in (model.features[3], model.classifier[4]):  # Conv2d(64, 192, 5) and Linear(4096, 4096)
        bound = 1 / math.sqrt(fans(layer.weight)[0])
        assert np.abs(layer.weight.detach().numpy()).max() <= bound
        std_close(layer.weight, bound / math.sqrt(3))
        assert 0 < np.abs(layer.bias.detach().numpy()).max() <= bound


# ---------------------------------------------------------------------------- builder arguments
HEADS = {
    "alexnet": lambda m: m.classifier[6].out_features,
    "vgg11": lambda m: m.classifier[6].out_features,
    "resnet18": lambda m: m.fc.out_features,
    "mobilenet_v2": lambda m: m.classifier[1].out_features,
    "squeezenet1_1": lambda m: m.classifier[1].out_channels,
    "densenet121": lambda m: m.classifier.out_features,
}


@pytest.mark.parametrize("name", sorted(HEADS))
def test_num_classes_sets_the_head(name, without_random_fills):
    model = getattr(models, name)(num_classes=7)
    assert HEADS[name](model) == 7
    side = 64 if name != "alexnet" else 96
    with torchless.no_grad():
        assert tuple(model.eval()(torchless.zeros(2, 3, side, side)).shape) == (2, 7)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network (every download fails as without one) and an empty hub cache."""
    from torchless import hub

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(hub, "_hub_dir", str(tmp_path / "hub"))
    monkeypatch.setattr(urllib.request, "urlopen", no_network)


@pytest.mark.parametrize("request_weights", [
    {"weights": "IMAGENET1K_V1"}, {"weights": "DEFAULT"}, {"weights": True}, {"pretrained": True},
])
@pytest.mark.parametrize("name", ["resnet18", "vgg16", "densenet121"])
def test_pretrained_weights_offline_name_the_url_and_the_cache(name, request_weights, offline, tmp_path,
                                                              without_random_fills):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy spellings warn first, as in torchvision
        with pytest.raises(RuntimeError) as raised:
            getattr(models, name)(**request_weights)
    assert isinstance(raised.value, models.PretrainedWeightsUnavailable)
    message = str(raised.value)
    assert "https://download.pytorch.org/models/" + name in message
    assert str(tmp_path / "hub" / "checkpoints" / name) in message


def test_pretrained_false_is_deprecated_but_builds(without_random_fills):
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        model = models.squeezenet1_1(pretrained=False)
    assert isinstance(model, models.SqueezeNet)


def test_resnext_refuses_conflicting_groups():
    with pytest.raises(ValueError, match="'groups' expected value 32 but got 8"):
        models.resnext50_32x4d(groups=8)


# ---------------------------------------------------------------------------- registry and import
BRIEFED_BUILDERS = ["alexnet", "densenet121", "mobilenet_v2", "resnet101", "resnet152", "resnet18", "resnet34",
                    "resnet50", "resnext50_32x4d", "squeezenet1_0", "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13",
                    "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "wide_resnet50_2"]
# tested in test_vision_models_extra.py
EXTRA_BUILDERS = ["mobilenet_v3_large", "mobilenet_v3_small", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
                  "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"] + [f"efficientnet_b{i}" for i in range(8)]
EXTRA_BUILDERS += ["googlenet", "densenet161", "densenet169", "densenet201"]  # test_parity_regressions_tutor6.py
EXTRA_BUILDERS += ["convnext_tiny", "convnext_small", "convnext_base", "convnext_large",
                   "inception_v3"]  # test_parity_regressions_models7.py
EXTRA_BUILDERS += (["mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3", "vit_b_16", "vit_b_32", "vit_l_16",
                    "vit_l_32", "vit_h_14", "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]
                   + [f"regnet_{kind}_{size}" for kind in "xy"
                      for size in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")]
                   + ["regnet_y_128gf"])  # test_parity_regressions_models25.py
EXTRA_BUILDERS += ["swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b",
                   "maxvit_t"]  # test_parity_regressions_models30.py
EXTRA_BUILDERS += ["resnext101_32x8d", "resnext101_64x4d", "wide_resnet101_2"]  # test_parity_regressions_wild37.py
# models.segmentation's, listed by list_models() but not by list_models(module=models), as in torchvision
SEGMENTATION_BUILDERS = ["deeplabv3_mobilenet_v3_large", "deeplabv3_resnet101", "deeplabv3_resnet50", "fcn_resnet101",
                         "fcn_resnet50", "lraspp_mobilenet_v3_large"]  # test_parity_regressions_vision28.py
# models.video's, likewise
VIDEO_BUILDERS = ["mc3_18", "r2plus1d_18", "r3d_18", "s3d"]  # test_parity_regressions_segvideo38.py


def test_registry(without_random_fills):
    assert models.list_models() == sorted(BRIEFED_BUILDERS + EXTRA_BUILDERS + SEGMENTATION_BUILDERS + VIDEO_BUILDERS)
    assert models.list_models(module=models.segmentation) == SEGMENTATION_BUILDERS
    assert models.list_models(module=models.video) == VIDEO_BUILDERS
    assert models.list_models(module=models) == sorted(BRIEFED_BUILDERS + EXTRA_BUILDERS)
    assert models.list_models(include="resnet*", exclude=["*101", "*152"]) == ["resnet18", "resnet34", "resnet50"]
    assert models.get_model_builder("ResNet18") is models.resnet18
    model = models.get_model("squeezenet1_1", num_classes=3)
    assert isinstance(model, models.SqueezeNet) and model.classifier[1].out_channels == 3
    with pytest.raises(ValueError, match="Unknown model nonet"):
        models.get_model("nonet")


def test_import_torchless_does_not_import_models():
    code = ("import sys, torchless; assert 'torchless.vision.models' not in sys.modules; "
            "torchless.vision.models.resnet18; assert 'torchless.vision.models' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# torchvision 0.29's handle_legacy_interface / kwonly_to_pos_or_kw / WeightsEnum.verify, message for message
LEGACY = ("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be removed in "
          "the future. The current behavior is equivalent to passing `weights={}`.")


def warned(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except Exception as error:  # noqa: BLE001 - returned for the caller to check
            result = error
    return result, [str(w.message) for w in caught]


def test_pretrained_false_warns_twice_like_torchvision(without_random_fills):
    model, messages = warned(lambda: models.squeezenet1_1(pretrained=False, num_classes=4))
    assert model.classifier[1].out_channels == 4
    assert messages == ["The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                        "please use 'weights' instead.", LEGACY.format("None")]
    model, messages = warned(lambda: models.squeezenet1_1(weights=False))
    assert isinstance(model, models.SqueezeNet) and messages == [LEGACY.format("None")]


def test_pretrained_true_names_torchvisions_enum_before_refusing(offline):
    error, messages = warned(lambda: models.resnet50(pretrained=True))
    assert isinstance(error, models.PretrainedWeightsUnavailable)
    assert messages[1] == (LEGACY.format("ResNet50_Weights.IMAGENET1K_V1") + " You can also use "
                           "`weights=ResNet50_Weights.DEFAULT` to get the most up-to-date weights.")


def test_positional_weights_and_progress_warn(without_random_fills):
    model, messages = warned(lambda: models.squeezenet1_1(None, False))
    assert isinstance(model, models.SqueezeNet)
    assert messages == ["Using 'weights' and 'progress' as positional parameter(s) is deprecated since 0.13 and may "
                        "be removed in the future. Please use keyword parameter(s) instead."]
    _, messages = warned(lambda: models.squeezenet1_1(False))  # the old positional pretrained=False
    assert messages == ["Using 'weights' as positional parameter(s) is deprecated since 0.13 and may be removed in "
                        "the future. Please use keyword parameter(s) instead.", LEGACY.format("None")]


def test_weights_names_are_checked_before_the_refusal(offline, without_random_fills):
    with pytest.raises(KeyError, match="bogus"):
        models.alexnet(weights="bogus")
    with pytest.raises(KeyError, match="IMAGENET1K_V2"):
        models.alexnet(weights="IMAGENET1K_V2")  # resnet50 has a V2, AlexNet not
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000 but got 10 instead."):
        models.resnet50(weights="ResNet50_Weights.IMAGENET1K_V2", num_classes=10)
    with pytest.raises(ValueError, match="'num_classes' expected value 1000 but got 10"):
        models.mobilenet_v2(weights="DEFAULT", num_classes=10)
    with pytest.raises(models.PretrainedWeightsUnavailable):
        models.vgg16(weights="IMAGENET1K_FEATURES", num_classes=10)  # a feature extractor: any head


def test_explicit_weights_none_leaves_pretrained_to_the_model_class():
    with pytest.raises(TypeError, match="unexpected keyword argument 'pretrained'"):
        models.alexnet(weights=None, pretrained=False)
