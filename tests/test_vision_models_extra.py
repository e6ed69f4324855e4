"""torchless.vision.models' MobileNetV3, ShuffleNetV2 and EfficientNet B0-B7, and torchless.vision.ops, against
torchvision 0.29: module trees, state_dict keys and shapes, parameter counts, outputs given the same weights,
weights enums, initialisation schemes and builders.

The oracle is tests/fixtures/torchvision/models_extra.json, recorded from torchvision by make_models_extra.py
beside it; the weights both sides use come from that script's ``deterministic_value`` (plain NumPy, no RNG).
"""
import importlib.util
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.vision import models, ops

FIXTURES = Path(__file__).parent / "fixtures" / "torchvision"
RECORDED = json.loads((FIXTURES / "models_extra.json").read_text())
_spec = importlib.util.spec_from_file_location("make_models_extra", FIXTURES / "make_models_extra.py")
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)  # numpy only at import time

BUILDERS = sorted(RECORDED["models"])


@pytest.fixture
def without_random_fills(monkeypatch):
    """Random fills become no-ops, for the tests that only look at shapes or overwrite every value (building
    EfficientNet-B7's 66M parameters otherwise dominates)."""
    monkeypatch.setattr(torchless.Tensor, "uniform_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.Tensor, "normal_", lambda self, *args, **kwargs: self)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def filled(model, name):
    """``model`` with every float of its state_dict set by the generator's formula, as torchvision's was."""
    state = {}
    for index, (key, value) in enumerate(model.state_dict().items()):
        array = generator.deterministic_value(index, key, tuple(value.shape), generator.GAINS.get(name, 2.5))
        state[key] = value if array is None else torchless.tensor(array)
    model.load_state_dict(state, strict=True)
    return model


# ---------------------------------------------------------------------------- architectures
def test_every_recorded_builder_is_registered():
    assert set(BUILDERS) <= set(models.list_models())
    assert BUILDERS == sorted(generator.BUILDERS)


@pytest.mark.parametrize("name", BUILDERS)
def test_module_tree_and_state_dict_match_torchvision(name, without_random_fills):
    recorded = RECORDED["models"][name]
    model = models.get_model(name)
    assert n_params(model) == recorded["num_params"]
    state = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    text = repr(model)
    if "state_dict" in recorded:  # in full: a failure shows the first difference
        assert state == recorded["state_dict"]
        assert text == recorded["repr"]
    assert len(state) == recorded["state_dict_len"]
    assert generator.digest(state) == recorded["state_dict_sha256"]
    assert generator.hashlib.sha256(text.encode()).hexdigest() == recorded["repr_sha256"]


@pytest.mark.parametrize("name", BUILDERS)
def test_eval_output_matches_torchvision(name, without_random_fills):
    expected = np.array(RECORDED["models"][name]["output"])
    model = filled(models.get_model(name, num_classes=RECORDED["output_classes"]), name).eval()
    with torchless.no_grad():
        actual = model(torchless.tensor(generator.model_input())).numpy()
    assert actual.shape == tuple(RECORDED["input_shape"][:1]) + (RECORDED["output_classes"],)
    # a comparison that tells: the two samples' outputs differ by much more than the tolerance
    assert np.abs(expected[0] - expected[1]).max() > 0.1 * np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("name", ["mobilenet_v3_small", "shufflenet_v2_x0_5", "efficientnet_b0"])
def test_training_step_runs_and_reaches_every_parameter(name):
    torchless.manual_seed(0)
    model = models.get_model(name, num_classes=5).train()
    out = model(torchless.tensor(generator.model_input()))
    torchless.nn.functional.cross_entropy(out, torchless.tensor(np.array([1, 4]))).backward()
    for key, param in model.named_parameters():
        assert param.grad is not None and np.isfinite(param.grad.numpy()).all(), key


def test_mobilenet_v3_configuration_keywords(without_random_fills):
    model = models.mobilenet_v3_large(reduced_tail=True, dilated=True, width_mult=0.75)
    last = model.features[-2].block  # the last block: dilation 2, stride 1, halved channels
    assert last[1][0].dilation == (2, 2) and last[1][0].stride == (1, 1)
    assert model.features[-1][0].in_channels == 64  # _make_divisible(160 // 2 * 0.75, 8)
    assert model.classifier[0].out_features == 480  # _make_divisible(1280 // 2 * 0.75, 8)


def test_efficientnet_stochastic_depth_grows_with_depth(without_random_fills):
    model = models.efficientnet_b0(stochastic_depth_prob=0.4)
    probs = [m.p for m in model.modules() if isinstance(m, ops.StochasticDepth)]
    assert len(probs) == 16 and probs[0] == 0.0
    assert probs == pytest.approx([0.4 * i / 16 for i in range(16)])


def test_efficientnet_b5_to_b7_fix_their_norm_layer(without_random_fills):
    assert all(m.eps == 0.001 and m.momentum == 0.01 for m in models.efficientnet_b5().modules()
               if isinstance(m, torchless.nn.BatchNorm2d))
    assert all(m.eps == 1e-5 and m.momentum == 0.1 for m in models.efficientnet_b4().modules()
               if isinstance(m, torchless.nn.BatchNorm2d))
    with pytest.raises(TypeError, match="multiple values for keyword argument 'norm_layer'"):
        models.efficientnet_b6(norm_layer=torchless.nn.BatchNorm2d)


# ---------------------------------------------------------------------------- weights enums
@pytest.mark.parametrize("name", BUILDERS)
def test_weights_enum_is_torchvisions(name):
    from helpers import assert_weights_enum_recorded

    assert_weights_enum_recorded(name, RECORDED["models"][name]["weights"])


def test_pretrained_weights_offline_name_the_url(monkeypatch, tmp_path, without_random_fills):
    import urllib.error
    import urllib.request

    from torchless import hub

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(hub, "_hub_dir", str(tmp_path / "hub"))
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(models.PretrainedWeightsUnavailable, match="mobilenet_v3_large-5c1a4163.pth"):
        models.mobilenet_v3_large(weights="DEFAULT")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(models.PretrainedWeightsUnavailable, match="shufflenetv2_x0.5-f707e7126e.pth"):
            models.shufflenet_v2_x0_5(pretrained=True)
    with pytest.raises(ValueError, match="'num_classes' expected value 1000 but got 10"):
        models.efficientnet_b1(weights="IMAGENET1K_V1", num_classes=10)


# ---------------------------------------------------------------------------- initialisation and heads
def std_close(tensor, expected_std, rel=0.05):
    values = tensor.detach().numpy()
    assert values.size >= 10000, "too few values for a 5% check"
    assert abs(values.mean()) < 4 * expected_std / math.sqrt(values.size)
    assert values.std() == pytest.approx(expected_std, rel=rel)


def test_mobilenet_v3_init():
    torchless.manual_seed(0)
    model = models.mobilenet_v3_small()
    conv = model.features[12][0].weight  # 576 x 96 x 1 x 1: kaiming-normal, fan_out
    std_close(conv, math.sqrt(2.0 / 576))
    std_close(model.classifier[3].weight, 0.01)
    assert (model.classifier[3].bias.detach().numpy() == 0).all()
    assert all((m.bias.detach().numpy() == 0).all() for m in model.modules()
               if isinstance(m, torchless.nn.Conv2d) and m.bias is not None)


def test_efficientnet_init():
    torchless.manual_seed(0)
    model = models.efficientnet_b0()
    conv = model.features[8][0].weight  # 1280 x 320 x 1 x 1: kaiming-normal, fan_out
    std_close(conv, math.sqrt(2.0 / 1280))
    head = model.classifier[1].weight  # U(-1/sqrt(out_features), 1/sqrt(out_features))
    bound = 1 / math.sqrt(1000)
    assert np.abs(head.detach().numpy()).max() <= bound
    std_close(head, bound / math.sqrt(3))
    assert (model.classifier[1].bias.detach().numpy() == 0).all()
    bn = model.features[8][1]
    assert (bn.weight.detach().numpy() == 1).all() and (bn.bias.detach().numpy() == 0).all()


def test_shufflenet_keeps_pytorch_default_init():
    torchless.manual_seed(0)
    model = models.shufflenet_v2_x1_0()
    conv = model.conv5[0].weight  # 1024 x 464 x 1 x 1: kaiming-uniform(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in))
    bound = 1 / math.sqrt(464)
    assert np.abs(conv.detach().numpy()).max() <= bound
    std_close(conv, bound / math.sqrt(3))
    assert 0 < np.abs(model.fc.bias.detach().numpy()).max() <= 1 / math.sqrt(1024)


HEADS = {
    "mobilenet_v3_small": lambda m: m.classifier[3].out_features,
    "shufflenet_v2_x1_5": lambda m: m.fc.out_features,
    "efficientnet_b2": lambda m: m.classifier[1].out_features,
}


@pytest.mark.parametrize("name", sorted(HEADS))
def test_num_classes_sets_the_head(name, without_random_fills):
    model = models.get_model(name, num_classes=7)
    assert HEADS[name](model) == 7
    with torchless.no_grad():
        assert tuple(model.eval()(torchless.zeros(1, 3, 32, 32)).shape) == (1, 7)


# ---------------------------------------------------------------------------- torchless.vision.ops
def test_stochastic_depth():
    x = torchless.ones(2000, 3, 2)
    assert ops.stochastic_depth(x, 0.5, "row", training=False) is x
    assert ops.stochastic_depth(x, 0.0, "batch") is x
    torchless.manual_seed(0)
    rows = ops.stochastic_depth(x, 0.25, "row").numpy().reshape(2000, -1)
    assert np.isin(rows, [np.float32(0), np.float32(1) / np.float32(0.75)]).all()
    assert (rows == rows[:, :1]).all()  # whole rows kept or dropped
    assert (rows[:, 0] == 0).mean() == pytest.approx(0.25, abs=0.04)
    batch = ops.stochastic_depth(x, 0.5, "batch").numpy()
    assert len(np.unique(batch)) == 1 and batch.flat[0] in (0.0, 2.0)
    assert (ops.stochastic_depth(x, 1.0, "row").numpy() == 0).all()
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1, but got 1.5"):
        ops.stochastic_depth(x, 1.5, "row")
    with pytest.raises(ValueError, match="mode has to be either 'batch' or 'row', but got col"):
        ops.stochastic_depth(x, 0.5, "col")
    module = ops.StochasticDepth(0.3, "row")
    assert repr(module) == "StochasticDepth(p=0.3, mode=row)"
    assert module.eval()(x) is x


def test_squeeze_excitation_scales_each_channel():
    torchless.manual_seed(0)
    se = ops.SqueezeExcitation(6, 2, scale_activation=torchless.nn.Hardsigmoid)
    x = torchless.randn(2, 6, 5, 5)
    pooled = x.mean([2, 3], keepdim=True)
    scale = torchless.nn.functional.hardsigmoid(se.fc2(torchless.relu(se.fc1(pooled))))
    np.testing.assert_allclose(se(x).detach().numpy(), (x * scale).detach().numpy(), rtol=1e-6, atol=1e-7)
    assert [name for name, _ in se.named_children()] == ["avgpool", "fc1", "fc2", "activation", "scale_activation"]
    assert ops.Conv2dNormActivation is models.mobilenetv2.Conv2dNormActivation
