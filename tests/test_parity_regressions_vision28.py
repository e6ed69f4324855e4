"""torchvision's segmentation models and feature extraction under torchless, against torchvision 0.29.1.

Differences fixed (torchless had none of these):
- ``torchless.vision.models.segmentation``: FCN (``fcn_resnet50/101``), DeepLabV3 (``deeplabv3_resnet50/101``,
  ``deeplabv3_mobilenet_v3_large``) and LR-ASPP (``lraspp_mobilenet_v3_large``) with their heads (FCNHead,
  DeepLabHead, ASPP, LRASPPHead), ``aux_loss``, ``num_classes``, the ``*_Weights`` enums (VOC categories,
  ``SemanticSegmentation`` transforms) and ``weights_backbone``; module trees, repr, state_dict keys, the same
  initial weights after ``manual_seed`` and the same eval outputs given the same weights.
- The legacy interface of builders with two weights arguments: ``pretrained`` and ``pretrained_backbone``, each with
  torchvision's warnings, and keyword-only parameters given by position named in the warning.
- ``get_weight`` finds the enums of the segmentation package.
- ``torchless.vision.models.feature_extraction``: ``create_feature_extractor`` and ``get_graph_node_names`` (on
  torchless.fx since fx34): outputs, their order, the extractor's state_dict, train/eval nodes, batch statistics
  left as they were after the last node, torchvision's ValueErrors, functional nodes (``flatten``, ``add``).

The oracle is tests/fixtures/torchvision/vision28.json.gz, recorded from torchvision by make_vision28.py beside it.
"""
import gzip
import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.vision import models
from torchless.vision.models import segmentation
from torchless.vision.models.feature_extraction import create_feature_extractor, get_graph_node_names

FIXTURES = Path(__file__).parent / "fixtures" / "torchvision"
RECORDED = json.loads(gzip.decompress((FIXTURES / "vision28.json.gz").read_bytes()))
_spec = importlib.util.spec_from_file_location("make_vision28", FIXTURES / "make_vision28.py")
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)  # numpy only at import time


@pytest.fixture
def without_random_fills(monkeypatch):
    """Random fills become no-ops, for the tests that only look at shapes or overwrite every value."""
    monkeypatch.setattr(torchless.Tensor, "uniform_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.Tensor, "normal_", lambda self, *args, **kwargs: self)


def torchless_text(text):
    """torch's and torchvision's names in a recorded text, as torchless prints them."""
    return text.replace("torch.", "torchless.").replace("torchvision.", "torchless.vision.")


def assert_summary_close(actual, expected, rtol=1e-4):
    """``actual`` (an array) against a recorded ``generator.summary``: its values at the recorded places, and its
    sum compared to the size of its terms."""
    *at, total, abs_total = expected
    got = generator.summary(actual)
    scale = max(abs(v) for v in at) or 1.0
    np.testing.assert_allclose(got[:-2], at, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(got[-2], total, rtol=0, atol=rtol * abs_total + 1e-6)
    np.testing.assert_allclose(got[-1], abs_total, rtol=rtol)


# ------------------------------------------------------------------------------------------ segmentation models
STRUCTURES = [(name, variant) for name in generator.BUILDERS for variant in RECORDED["models"][name]
              if variant != "weights"]


@pytest.mark.parametrize("name, variant", STRUCTURES)
def test_module_tree_and_state_dict_match_torchvision(name, variant, without_random_fills):
    recorded = RECORDED["models"][name][variant]
    kwargs = {"aux_loss": True} if variant == "aux" else {}
    actual = generator.structure(getattr(segmentation, name)(weights_backbone=None, **kwargs))
    if "state_dict" in recorded:  # in full: a failure shows the first difference
        assert actual["state_dict"] == recorded["state_dict"]
        assert actual["repr"] == recorded["repr"]
    for key in ("num_params", "state_dict_len", "state_dict_sha256", "repr_sha256"):
        assert actual[key] == recorded[key], key


@pytest.mark.parametrize("name", generator.BUILDERS)
def test_weights_enum_is_torchvisions(name):
    from helpers import assert_weights_enum_recorded

    assert_weights_enum_recorded(name, RECORDED["models"][name]["weights"])


@pytest.mark.parametrize("label", sorted(generator.SEEDED))
def test_seeded_initial_weights_match_torchvision(label):
    seed, name, kwargs = generator.SEEDED[label]
    expected = RECORDED["seeded"][label]
    torchless.manual_seed(seed)
    actual = generator.seeded_summary(getattr(segmentation, name)(weights_backbone=None, **kwargs).state_dict())
    assert list(actual) == list(expected)
    for key, (*first, total, abs_total) in expected.items():
        np.testing.assert_allclose(actual[key][:-2], first, rtol=1e-5, atol=1e-7, err_msg=key)
        np.testing.assert_allclose(actual[key][-2], total, rtol=0, atol=1e-6 * abs_total + 1e-7, err_msg=key)
        np.testing.assert_allclose(actual[key][-1], abs_total, rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("label", sorted(generator.OUTPUTS))
def test_eval_outputs_match_torchvision(label, without_random_fills):
    name, kwargs = generator.OUTPUTS[label]
    model = getattr(segmentation, name)(weights_backbone=None, **kwargs).eval()
    model.load_state_dict(generator.filled_state(model, torchless.tensor))
    with torchless.no_grad():
        out = model(torchless.tensor(generator.model_input()))
    assert list(out) == list(RECORDED["outputs"][label])
    for key, expected in RECORDED["outputs"][label].items():
        assert tuple(out[key].shape) == (generator.INPUT_SHAPE[0], kwargs["num_classes"], *generator.INPUT_SHAPE[2:])
        assert_summary_close(out[key].numpy(), expected)


@pytest.mark.parametrize("case", generator.CASES)
def test_cases_match_torchvision(case, without_random_fills):
    expected = RECORDED["cases"][case]
    actual = generator.run_case(case, models, segmentation, torchless)
    if "error" in expected:
        assert "error" in actual, actual
        assert actual["error"][0] == expected["error"][0]
        assert actual["error"][1] == torchless_text(expected["error"][1])
    else:
        assert actual.get("value") == expected["value"], actual
    assert actual["warnings"] == expected["warnings"]


def test_default_backbone_weights_are_downloaded_like_the_classification_models(offline, without_random_fills):
    """weights_backbone defaults to the backbone's ImageNet weights: without network access and without a cached
    file, the builder fails as resnet50(weights=...) does, naming the backbone's checkpoint."""
    with pytest.raises(models.PretrainedWeightsUnavailable, match="resnet50-0676ba61.pth"):
        segmentation.fcn_resnet50(num_classes=3)
    with pytest.raises(models.PretrainedWeightsUnavailable, match="mobilenet_v3_large-8738ca79.pth"):
        segmentation.lraspp_mobilenet_v3_large()
    with pytest.raises(models.PretrainedWeightsUnavailable, match="deeplabv3_resnet50_coco-cd0a2569.pth"):
        segmentation.deeplabv3_resnet50(weights="DEFAULT")


def test_full_weights_load_into_the_model_with_the_auxiliary_head(monkeypatch):
    """weights=... builds 21 classes without backbone weights (none is downloaded), then loads the checkpoint."""
    loaded = {}

    def fake_state_dict(self, *args, **kwargs):
        torchless.manual_seed(3)
        model = segmentation.lraspp_mobilenet_v3_large(weights_backbone=None)
        loaded["state"] = model.state_dict()
        return loaded["state"]

    monkeypatch.setattr(models.WeightsEnum, "get_state_dict", fake_state_dict)
    model = segmentation.lraspp_mobilenet_v3_large(weights="DEFAULT", weights_backbone="IMAGENET1K_V1")
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), loaded["state"][key].numpy(), err_msg=key)


@pytest.mark.parametrize("index", range(len(generator.TRANSFORMS)))
def test_semantic_segmentation_transforms_match_torchvision(index):
    kwargs = generator.TRANSFORMS[index]
    transform = segmentation.FCN_ResNet50_Weights.DEFAULT.transforms(**kwargs)
    out = transform(torchless.tensor(generator.transform_input()))
    assert out.dtype == torchless.float32
    assert_summary_close(out.numpy(), RECORDED["transforms"][index])


def test_gradients_match_float64_finite_differences():
    """A DeepLabV3 on a small backbone: every parameter gets a gradient, and the input's agrees with finite
    differences (in float64, through ASPP's pooling branch, the bilinear upsamplings and the auxiliary head)."""
    from torchless.vision.models._utils import IntermediateLayerGetter
    from torchless.vision.models.segmentation.deeplabv3 import DeepLabHead
    from torchless.vision.models.segmentation.fcn import FCNHead

    nn = torchless.nn
    torchless.manual_seed(0)
    layers = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                           nn.Conv2d(4, 8, 3, stride=2, padding=1))
    backbone = IntermediateLayerGetter(layers, {"2": "aux", "3": "out"})
    model = segmentation.DeepLabV3(backbone, DeepLabHead(8, 2, atrous_rates=(1, 2)), FCNHead(4, 2)).double().eval()
    x = torchless.tensor(np.random.RandomState(0).randn(2, 3, 11, 13), requires_grad=True)
    weights = torchless.tensor(np.random.RandomState(1).randn(2, 2, 11, 13))

    def loss_of(inputs):
        out = model(inputs)
        assert list(out) == ["out", "aux"] and out["out"].shape == out["aux"].shape == (2, 2, 11, 13)
        return ((out["out"] + 0.5 * out["aux"]) * weights).sum()

    loss_of(x).backward()
    assert all(p.grad is not None for p in model.parameters())
    rng = np.random.RandomState(2)
    for _ in range(4):
        index = tuple(rng.randint(0, n) for n in x.shape)
        step = np.zeros(x.shape)
        step[index] = 1e-6
        with torchless.no_grad():
            numeric = (loss_of(torchless.tensor(x.detach().numpy() + step))
                       - loss_of(torchless.tensor(x.detach().numpy() - step))).item() / 2e-6
        np.testing.assert_allclose(x.grad.numpy()[index], numeric, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------------------------------ feature extraction
def extraction_model(name):
    return generator.extraction_model(models, name, torchless.tensor)


@pytest.mark.parametrize("index", range(len(generator.EXTRACTIONS)))
@pytest.mark.parametrize("mode", ["eval", "train"])
def test_feature_extractor_matches_torchvision(index, mode, without_random_fills):
    name, nodes = generator.EXTRACTIONS[index]
    expected = RECORDED["extractions"][f"{index}:{mode}"]
    model = extraction_model(name)
    getattr(model, mode)()
    extractor = create_feature_extractor(model, return_nodes=nodes)
    x = torchless.tensor(generator.model_input(generator.EXTRACTION_INPUT_SHAPE, seed=7))
    with torchless.no_grad():
        out = extractor(x)
    assert type(out) is dict and list(out) == expected["keys"]
    assert [list(v.shape) for v in out.values()] == expected["shapes"]
    for key, value, summary in zip(out, out.values(), expected["summaries"]):
        assert_summary_close(value.numpy(), summary)
    assert list(extractor.state_dict()) == expected["state_dict"]
    assert sum(p.numel() for p in extractor.parameters()) == expected["num_params"]
    assert extractor.training == expected["training"]
    assert type(extractor).__name__ == expected["class"]
    # in training mode, the batch norms after the last node keep their statistics
    running_means = np.concatenate([v.numpy().ravel() for k, v in model.state_dict().items()
                                    if k.endswith("running_mean")])
    assert_summary_close(running_means, expected["running_means"])


def test_train_and_eval_return_nodes():
    torchless.manual_seed(0)
    model = models.resnet18(num_classes=7)
    extractor = create_feature_extractor(model, train_return_nodes=["layer1"],
                                         eval_return_nodes={"layer2": "l2", "fc": "logits"})
    x = torchless.randn(2, 3, 32, 32)
    assert list(extractor.train()(x)) == ["layer1"]
    with torchless.no_grad():
        out = extractor.eval()(x)
        assert list(out) == ["l2", "logits"]
        np.testing.assert_allclose(out["logits"].numpy(), model.eval()(x).numpy(), rtol=1e-6, atol=1e-6)
    assert list(extractor.state_dict()) == list(model.state_dict())  # fc is needed in eval mode
    # the model's modules, in plain containers (as fx's GraphModule holds them)
    assert extractor.conv1 is model.conv1 and getattr(extractor.layer1, "0").conv1 is model.layer1[0].conv1
    assert type(extractor.layer1) is type(getattr(extractor.layer1, "0")) is torchless.nn.Module


def test_feature_extractor_gradients_reach_the_model():
    torchless.manual_seed(0)
    model = models.resnet18()
    extractor = create_feature_extractor(model, {"layer2": "feat", "layer1.0.relu_1": "early"})
    x = torchless.randn(2, 3, 32, 32)
    out = extractor(x)
    (out["feat"].square().mean() + out["early"].mean()).backward()
    grads = {name: p.grad.numpy().copy() for name, p in extractor.named_parameters()}
    assert set(grads) == {name for name, _ in model.named_parameters() if not name.startswith(("layer3", "layer4",
                                                                                                "fc"))}
    model.zero_grad()
    # the same quantities computed by hand from the model's modules
    h = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    early = model.layer1[0](h)
    feat = model.layer2(model.layer1[1](early))
    (feat.square().mean() + early.mean()).backward()
    for name, p in model.named_parameters():
        if name in grads:
            np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-5, atol=1e-7, err_msg=name)


def test_functional_nodes_are_returned():
    torchless.manual_seed(0)
    model = models.resnet18().eval()
    extractor = create_feature_extractor(model, return_nodes=["layer1.0.add", "avgpool", "flatten"])
    x = torchless.randn(2, 3, 32, 32)
    with torchless.no_grad():
        out = extractor(x)
        block = model.layer1[0]
        h = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        added = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(h))))) + h
    assert list(out) == ["layer1.0.add", "avgpool", "flatten"]
    # layer1.0.relu_1 (ReLU(inplace=True)) overwrites the add node in the graph's run, as in torchvision
    np.testing.assert_allclose(out["layer1.0.add"].numpy(), np.maximum(added.numpy(), 0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out["flatten"].numpy(), out["avgpool"].numpy().reshape(2, -1))
    for node in ["layer4.1.add_1", "layer2.mean"]:
        with pytest.raises(ValueError, match=f"node: '{node}' is not present in model"):
            create_feature_extractor(model, return_nodes=[node])


@pytest.mark.parametrize("key", sorted(RECORDED["extraction_errors"]))
def test_missing_nodes_raise_torchvisions_error(key, without_random_fills):
    name, _, nodes = key.partition(":")
    with pytest.raises(ValueError) as caught:
        create_feature_extractor(getattr(models, name)(), return_nodes=eval(nodes))
    assert str(caught.value) == RECORDED["extraction_errors"][key]


def test_a_call_that_never_happens_is_refused(without_random_fills):
    with pytest.raises(ValueError, match="node: 'layer1.0.relu_2' is not present in model"):
        create_feature_extractor(models.resnet18().eval(), return_nodes=["layer1.0.relu_2"])


def test_argument_errors_match_torchvision(without_random_fills):
    model = models.resnet18()
    with pytest.raises(ValueError, match=r"^Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` "
                                         r"together, should be specified$"):
        create_feature_extractor(model)
    with pytest.raises(ValueError, match=r"^If any of `train_return_nodes` and `eval_return_nodes` are specified, "
                                         r"then both should be specified$"):
        create_feature_extractor(model, train_return_nodes=["layer1"])
    with pytest.raises(ValueError, match=r"^If `train_return_nodes` and `eval_return_nodes` are specified, then "
                                         r"both should be specified$"):
        create_feature_extractor(model, return_nodes=["layer1"], train_return_nodes=["layer1"],
                                 eval_return_nodes=["layer1"])


@pytest.mark.parametrize("name", sorted(RECORDED["node_names"]))
def test_graph_node_names_are_torchvisions(name, without_random_fills):
    expected_train, expected_eval = RECORDED["node_names"][name]
    train, evaluation = get_graph_node_names(getattr(models, name)())
    assert train == expected_train
    assert evaluation == expected_eval


def test_user_leaf_modules_and_custom_forward():
    class Block(torchless.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torchless.nn.Conv2d(2, 2, 1)

        def forward(self, image):
            return self.conv(image).relu() + 1

    class Net(torchless.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = torchless.nn.Linear(2, 3)

        def forward(self, image, scale=2.0):
            return self.head(self.block(image).mean((2, 3)) * scale)

    net = Net()
    assert get_graph_node_names(net)[0] == ["image", "scale", "block.conv", "block.relu", "block.add", "mean", "mul",
                                            "head"]
    assert get_graph_node_names(net, tracer_kwargs={"leaf_modules": [Block]})[0] == ["image", "scale", "block",
                                                                                       "mean", "mul", "head"]
    x = torchless.randn(2, 2, 3, 3)
    out = create_feature_extractor(net, ["block", "image", "head"])(x, 3.0)
    assert list(out) == ["image", "block", "head"] and out["image"] is x
    np.testing.assert_allclose(out["block"].detach().numpy(), np.maximum(net.block.conv(x).detach().numpy(), 0) + 1,
                               rtol=1e-6)
    np.testing.assert_allclose(out["head"].detach().numpy(), net(x, 3.0).detach().numpy(), rtol=1e-6)


def test_classification_builders_keep_their_legacy_warnings():
    """The classification builders' legacy interface, now shared with the segmentation builders, warns as
    torchvision's."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = models.squeezenet1_1(False, True, num_classes=3)
    assert model.classifier[1].out_channels == 3
    assert [str(w.message) for w in caught] == [
        "Using 'weights' and 'progress' as positional parameter(s) is deprecated since 0.13 and may be removed in "
        "the future. Please use keyword parameter(s) instead.",
        "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be removed in "
        "the future. The current behavior is equivalent to passing `weights=None`."]
