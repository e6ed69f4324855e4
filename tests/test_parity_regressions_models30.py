"""torchvision's Swin Transformer builders (swin_t/s/b, swin_v2_t/s/b) and MaxViT-T under torchless, against
torchvision 0.29.1.

Differences fixed (torchless had none of these):
- ``SwinTransformer`` with its blocks (``SwinTransformerBlock``/``V2``), window attention
  (``shifted_window_attention``, ``ShiftedWindowAttention``/``V2``: relative position bias table and index buffer,
  V2's cosine attention with a clamped logit scale and its continuous position bias MLP over log-spaced
  coordinates), patch merging (``PatchMerging``/``V2``), and the six builders with their ``Swin_*_Weights`` enums.
- ``MaxVit`` (MBConv, relative positional attention over windows and grids, its input size checks) and ``maxvit_t``
  with ``MaxVit_T_Weights``.

For each: module tree, repr, state_dict keys and shapes, buffers (dtype, persistence) and parameter count; the same
initial weights after ``manual_seed`` (torchless's RNG is torch's) for small configurations; the same eval-mode
output given the same weights, in float32 and float64; the same gradients in train mode; the same train-mode output
with stochastic depth after the same seed; the builders' and layers' errors.
The oracle is tests/fixtures/torchvision/models30.json.gz, recorded from torchvision by make_models30.py beside it.
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

FIXTURES = Path(__file__).parent / "fixtures" / "torchvision"
RECORDED = json.loads(gzip.decompress((FIXTURES / "models30.json.gz").read_bytes()))
_spec = importlib.util.spec_from_file_location("make_models30", FIXTURES / "make_models30.py")
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)  # numpy only at import time

BUILDERS = sorted(RECORDED["models"])
ALL_RECORDS = {**RECORDED["models"], **RECORDED["small"]}


@pytest.fixture
def without_random_fills(monkeypatch):
    """Random fills become no-ops, for the tests that only look at shapes or overwrite every parameter."""
    monkeypatch.setattr(torchless.Tensor, "uniform_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.Tensor, "normal_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.nn.init, "trunc_normal_", lambda tensor, *args, **kwargs: tensor)


def build(name, **kwargs):
    return generator.build(models, name, **kwargs)


def test_every_recorded_builder_is_registered():
    assert BUILDERS == sorted(generator.BUILDERS)
    assert models.list_models(include=["swin_*", "maxvit*"]) == BUILDERS
    for name in generator.SWINS:
        assert models.get_model_builder(name) is getattr(models, name)
        assert getattr(models.swin_transformer, name).__doc__.startswith("Constructs a swin_")
    assert models.get_model_builder("maxvit_t") is models.maxvit_t is models.maxvit.maxvit_t


@pytest.mark.parametrize("name", sorted(ALL_RECORDS))
def test_module_tree_state_dict_and_buffers_match_torchvision(name, without_random_fills):
    recorded = ALL_RECORDS[name]
    model = build(name)
    actual = generator.structure(model)
    if "state_dict" in recorded:  # in full: a failure shows the first difference
        assert actual["state_dict"] == recorded["state_dict"]
        assert actual["repr"] == recorded["repr"]
    for key in ("num_params", "state_dict_len", "state_dict_sha256", "repr_sha256"):
        assert actual[key] == recorded[key], key
    assert generator.buffers(model) == recorded["buffers"]


SEEDED = [(name, seed) for name, record in sorted(ALL_RECORDS.items()) for seed in record.get("seeded", {})]


@pytest.mark.parametrize("name, seed", SEEDED)
def test_seeded_initial_weights_match_torchvision(name, seed):
    expected = ALL_RECORDS[name]["seeded"][seed]
    torchless.manual_seed(int(seed))
    actual = generator.seeded_summary(build(name).state_dict())
    assert list(actual) == list(expected)
    for key, (*first, total, abs_total) in expected.items():
        np.testing.assert_allclose(actual[key][:-2], first, rtol=1e-5, atol=1e-7, err_msg=key)
        np.testing.assert_allclose(actual[key][-2], total, rtol=0, atol=1e-6 * abs_total + 1e-7, err_msg=key)
        np.testing.assert_allclose(actual[key][-1], abs_total, rtol=1e-6, err_msg=key)


def prepared(name, stochastic_depth_prob=0.0):
    return generator.prepared(models, name, torchless.tensor, stochastic_depth_prob)


def assert_output_close(actual, expected, rtol=1e-4):
    expected = np.asarray(expected).reshape(actual.shape)
    # a comparison that tells: the two samples' outputs differ by much more than the tolerance
    assert np.abs(expected[0] - expected[1]).max() > 0.05 * np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


@pytest.mark.parametrize("name", generator.OUTPUTS)
def test_eval_output_matches_torchvision_in_float32_and_float64(name, without_random_fills):
    record = ALL_RECORDS[name]
    model = prepared(name)
    x = torchless.tensor(generator.model_input(name))
    with torchless.no_grad():
        out = model(x)
        assert out.dtype == torchless.float32 and tuple(out.shape) == (2, RECORDED["output_classes"])
        assert_output_close(out.numpy(), record["output"])
        out64 = model.double()(x.double())
    assert out64.dtype == torchless.float64
    assert_output_close(out64.numpy(), record["output64"], rtol=1e-10)


def assert_gradient_close(actual, expected, atol, what):
    """Gradient summaries (``generator.gradient_summary``: values, then sum and absolute sum) within ``atol`` of the
    gradient's size (its absolute sum over its count for the values, its absolute sum for the sums)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    abs_total = expected[-1]
    scale = np.full(len(expected), abs_total)
    scale[:-2] /= len(expected) - 2
    np.testing.assert_array_less(np.abs(actual - expected), atol * scale + 1e-30, err_msg=what)


def float32_tolerance(record):
    """Four times torchvision's own worst float32 error against float64 over the recorded gradients, and at least
    2e-4: errors of float32 rounding grow through the layers by the model's own factor, the same in both libraries
    (cosine attention under a temperature up to 100 loses ~1% of V2's early gradients in float32)."""
    worst = 0.0
    for own32, own64 in [(record["input_gradient"], record["input_gradient64"]),
                         *((record["gradients"][key], record["gradients64"][key]) for key in record["gradients"])]:
        own32, own64 = np.asarray(own32), np.asarray(own64)
        if own64[-1] > 0:
            scale = np.full(len(own64), own64[-1])
            scale[:-2] /= len(own64) - 2
            worst = max(worst, (np.abs(own32 - own64) / scale).max())
    return max(2e-4, 4 * worst)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", generator.OUTPUTS)
def test_train_mode_gradients_match_torchvision(name, dtype, without_random_fills):
    """Against torchvision's float64 gradients: to 1e-9 in float64, in float32 about as closely as torchvision's
    own."""
    record = ALL_RECORDS[name]
    dtype = getattr(torchless, dtype)
    model = prepared(name).train().to(dtype)
    x = torchless.tensor(generator.model_input(name)).to(dtype).requires_grad_(True)
    out = model(x)
    assert out.grad_fn is not None and out.dtype == dtype
    (out * torchless.tensor(generator.loss_weights(tuple(out.shape))).to(dtype)).sum().backward()
    gradients = {key: generator.gradient_summary(p.grad) for key, p in generator.gradient_parameters(model, name)}
    gradients["input"] = generator.gradient_summary(x.grad)
    expected = {**record["gradients64"], "input": record["input_gradient64"]}
    assert list(gradients) == list(expected)
    largest = max(summary[-1] for summary in expected.values())
    for key, summary in expected.items():
        # V2's key bias (unused) and MaxViT's MBConv pre-norm shifts (cancelled by the next batch norm) have none:
        # zero or rounding noise
        if summary[-1] <= 1e-12 * largest:
            assert gradients[key][-1] <= 1e-6 * largest, key
            continue
        atol = 1e-9 if dtype == torchless.float64 else float32_tolerance(record)
        assert_gradient_close(gradients[key], summary, atol, key)
    for key, param in model.named_parameters():
        assert param.grad is not None and np.isfinite(param.grad.numpy()).all(), key


def test_v2_key_bias_is_zero_and_unused():
    attention = models.swin_transformer.ShiftedWindowAttentionV2(12, [3, 3], [1, 1], 3)
    bias = attention.qkv.bias.detach().numpy()
    assert (bias[12:24] == 0).all() and (bias[:12] != 0).all() and (bias[24:] != 0).all()
    out = attention(torchless.randn(2, 5, 4, 12))
    out.sum().backward()
    grad = attention.qkv.bias.grad.numpy()
    assert (grad[12:24] == 0).all() and np.abs(grad[24:]).max() > 0


@pytest.mark.parametrize("name", generator.DROPPED)
def test_stochastic_depth_in_train_mode_matches_torchvision(name, without_random_fills):
    model = prepared(name, stochastic_depth_prob=0.5).train()
    x = torchless.tensor(generator.model_input(name))
    torchless.manual_seed(0)
    with torchless.no_grad():
        out = model(x).numpy()
    assert_output_close(out, ALL_RECORDS[name]["dropped_output"])
    with torchless.no_grad():
        assert not np.allclose(out, model.eval()(x).numpy())  # some branches were dropped


@pytest.mark.parametrize("name", generator.ATTENTIONS)
def test_window_attention_dropouts_match_torchvision(name):
    attention = generator.attention_with_dropout(models, name, torchless.tensor)
    assert attention.training
    torchless.manual_seed(5)
    with torchless.no_grad():
        out = attention(torchless.tensor(generator.attention_input())).numpy()
    expected = np.asarray(RECORDED["attention_dropout"][name]).reshape(out.shape)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())
    with torchless.no_grad():
        assert not np.allclose(out, attention.eval()(torchless.tensor(generator.attention_input())).numpy())


def test_builders_stochastic_depth_grows_linearly_with_the_block(without_random_fills):
    probabilities = [m.p for m in models.swin_t().modules()
                     if isinstance(m, models.swin_transformer.StochasticDepth)]
    np.testing.assert_allclose(probabilities, 0.2 * np.arange(12) / 11)
    assert all(m.mode == "row" for m in models.swin_v2_b().modules()
               if isinstance(m, models.swin_transformer.StochasticDepth))


@pytest.mark.parametrize("name", BUILDERS)
def test_weights_enum_is_torchvisions(name):
    from helpers import assert_weights_enum_recorded

    recorded = RECORDED["models"][name]
    assert_weights_enum_recorded(name, recorded["weights"])
    for member in models.get_model_weights(name):
        assert member.meta["_docs"] == recorded["weights_docs"][member.name]
        assert len(member.meta["categories"]) == 1000


@pytest.mark.parametrize("case", generator.ERROR_CASES)
def test_errors_match_torchvision(case, without_random_fills):
    kind, message = RECORDED["errors"][case]
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is checked by name below
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eval(case, {"M": models, "torch": torchless})
    assert type(caught.value).__name__ == kind
    # torchvision.models.swin_transformer._swin_transformer is torchless.vision.models.swin_transformer's
    assert str(caught.value) == message.replace("torchvision.", "torchless.vision.")


def test_fine_tuning_replaces_the_head(without_random_fills):
    model = models.swin_v2_t()
    assert [name for name, _ in model.named_children()] == ["features", "norm", "permute", "avgpool", "flatten",
                                                             "head"]
    model.head = torchless.nn.Linear(model.head.in_features, 5)
    assert model.head.in_features == 768
    for p in model.features.parameters():
        p.requires_grad_(False)
    out = model(torchless.zeros(1, 3, 40, 48))
    assert tuple(out.shape) == (1, 5)
    out.sum().backward()
    assert model.head.weight.grad is not None and model.features[0][0].weight.grad is None


def test_maxvit_fine_tuning_replaces_the_last_classifier_layer(without_random_fills):
    model = generator.build_small(models, "maxvit_tiny")
    assert [name for name, _ in model.named_children()] == ["stem", "blocks", "classifier"]
    model.classifier[-1] = torchless.nn.Linear(16, 3, bias=False)
    out = model(torchless.tensor(generator.model_input("maxvit_tiny")))
    assert tuple(out.shape) == (2, 3)


def test_get_weight_and_legacy_pretrained_flag(without_random_fills):
    assert models.get_weight("Swin_V2_S_Weights.DEFAULT") is models.Swin_V2_S_Weights.IMAGENET1K_V1
    assert models.get_model_weights("swin_b") is models.Swin_B_Weights
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = models.swin_t(pretrained=False, num_classes=3)
    assert [str(w.message) for w in caught] == [
        "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, please use 'weights' "
        "instead.",
        "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be removed in "
        "the future. The current behavior is equivalent to passing `weights=None`."]
    assert model.head.out_features == 3
