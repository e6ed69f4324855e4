"""torchvision's ConvNeXt family and Inception v3 under torchless, against torchvision 0.29.1.

Differences fixed (torchless had none of these):
- ``torchvision.models.convnext_tiny/small/base/large`` with ``ConvNeXt``, ``CNBlock``, ``CNBlockConfig``,
  ``LayerNorm2d``: same module tree, repr, state_dict keys and shapes, parameter counts.
- after ``manual_seed(s)`` the same initial weights (truncated normal of std 0.02 for convolutions and Linear
  layers, zero biases, layer scales of 1e-6).
- the same eval-mode output given the same weights.
- the ``ConvNeXt_*_Weights`` enums (URLs, transforms, meta) and registration in ``list_models``/``get_model``.
- ``torchvision.ops.Permute``.
- ``torchvision.models.inception_v3`` with ``Inception3``, ``InceptionOutputs`` and ``Inception_V3_Weights``
  (crop 299, resize 342): same modules, repr, state_dict, seeded initialisation (std 0.1, the auxiliary Linear's
  0.001), FutureWarning without ``init_weights``, eval output and training-mode ``InceptionOutputs``.

The oracle is tests/fixtures/torchvision/models7.json, recorded from torchvision by make_models7.py beside it.
"""
import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.vision import models, ops

FIXTURES = Path(__file__).parent / "fixtures" / "torchvision"
RECORDED = json.loads((FIXTURES / "models7.json").read_text())
_spec = importlib.util.spec_from_file_location("make_models7", FIXTURES / "make_models7.py")
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)  # numpy only at import time

BUILDERS = sorted(RECORDED["models"])


@pytest.fixture
def without_random_fills(monkeypatch):
    """Random fills become no-ops, for the tests that only look at shapes or overwrite every value."""
    monkeypatch.setattr(torchless.Tensor, "uniform_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.Tensor, "normal_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.nn.init, "trunc_normal_", lambda tensor, *args, **kwargs: tensor)


def test_every_recorded_builder_is_registered():
    assert set(BUILDERS) <= set(models.list_models())
    assert BUILDERS == sorted(generator.BUILDERS)
    import torchless.vision.models.convnext as convnext

    for name in ("ConvNeXt", "CNBlock", "CNBlockConfig", "LayerNorm2d"):
        assert hasattr(convnext, name)


@pytest.mark.parametrize("name", BUILDERS)
def test_module_tree_and_state_dict_match_torchvision(name, without_random_fills):
    recorded = RECORDED["models"][name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = models.get_model(name)
    assert [[w.category.__name__, str(w.message)] for w in caught] == recorded["warnings"]
    assert sum(p.numel() for p in model.parameters()) == recorded["num_params"]
    state = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    text = repr(model)
    if "state_dict" in recorded:  # in full: a failure shows the first difference
        assert state == recorded["state_dict"]
        assert text == recorded["repr"]
    assert len(state) == recorded["state_dict_len"]
    assert generator.extra.digest(state) == recorded["state_dict_sha256"]
    assert generator.hashlib.sha256(text.encode()).hexdigest() == recorded["repr_sha256"]


@pytest.mark.parametrize("name, seed", [(name, seed) for name in BUILDERS
                                        for seed in RECORDED["models"][name].get("seeded", {})])
def test_seeded_initial_weights_match_torchvision(name, seed):
    expected = RECORDED["models"][name]["seeded"][seed]
    torchless.manual_seed(int(seed))
    actual = generator.seeded_summary(models.get_model(name, **generator.init_keywords(name)).state_dict())
    assert list(actual) == list(expected)
    for key, (*first, total, abs_total) in expected.items():
        # float32 values: the inverse error function of the truncated normal differs in its last bits, so the sum
        # (which cancels) is compared to the size of its terms
        np.testing.assert_allclose(actual[key][:-2], first, rtol=1e-5, atol=1e-7, err_msg=key)
        np.testing.assert_allclose(actual[key][-2], total, rtol=0, atol=1e-6 * abs_total + 1e-7, err_msg=key)
        np.testing.assert_allclose(actual[key][-1], abs_total, rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", sorted(generator.OUTPUTS))
def test_eval_output_matches_torchvision(name, without_random_fills):
    expected = np.array(RECORDED["models"][name]["output"])
    model = models.get_model(name, num_classes=RECORDED["output_classes"], **generator.init_keywords(name)).eval()
    state = {}
    for index, (key, value) in enumerate(model.state_dict().items()):
        array = generator.filled_value(index, key, tuple(value.shape))
        state[key] = value if array is None else torchless.tensor(array)
    model.load_state_dict(state, strict=True)
    with torchless.no_grad():
        actual = model(torchless.tensor(generator.model_input(name))).numpy()
    assert actual.shape == (generator.input_shape(name)[0], RECORDED["output_classes"])
    assert np.abs(expected[0] - expected[1]).max() > 0.1 * np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("name", BUILDERS)
def test_weights_enum_is_torchvisions(name):
    from helpers import assert_weights_enum_recorded

    assert_weights_enum_recorded(name, RECORDED["models"][name]["weights"])


def test_training_step_reaches_every_parameter():
    torchless.manual_seed(0)
    model = models.convnext_tiny(num_classes=5).train()
    out = model(torchless.tensor(generator.model_input("convnext_tiny")))
    torchless.nn.functional.cross_entropy(out, torchless.tensor(np.array([1, 4]))).backward()
    for key, param in model.named_parameters():
        assert param.grad is not None and np.isfinite(param.grad.numpy()).all(), key


def test_block_setting_is_checked():
    with pytest.raises(ValueError, match="The block_setting should not be empty"):
        models.ConvNeXt([])
    with pytest.raises(TypeError, match=r"The block_setting should be List\[CNBlockConfig\]"):
        models.ConvNeXt([(96, None, 1)])


def test_permute_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    actual = ops.Permute([0, 2, 3, 1])(torchless.tensor(x))
    expected = torch.tensor(x).permute(0, 2, 3, 1)
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    assert repr(ops.Permute([0, 2, 3, 1])) == "Permute()"


def test_inception_v3_training_returns_both_heads(without_random_fills):
    model = models.inception_v3(num_classes=4, init_weights=False).train()
    out = model(torchless.zeros(2, 3, 299, 299))  # the auxiliary head needs Mixed_6e's 17x17
    assert isinstance(out, models.InceptionOutputs) and type(out).__name__ == "InceptionOutputs"
    assert out._fields == ("logits", "aux_logits")
    assert tuple(out.logits.shape) == (2, 4) and tuple(out.aux_logits.shape) == (2, 4)
    model = models.inception_v3(num_classes=4, aux_logits=False, init_weights=False).train()
    assert model.AuxLogits is None
    assert tuple(model(torchless.tensor(generator.model_input("inception_v3"))).shape) == (2, 4)
    with pytest.raises(ValueError, match="length of inception_blocks should be 7 instead of 2"):
        models.Inception3(inception_blocks=[None, None], init_weights=False)
