"""torchvision's MNASNet, Vision Transformer and RegNet builders under torchless, against torchvision 0.29.1.

Differences fixed (torchless had none of these):
- ``mnasnet0_5/0_75/1_0/1_3`` with ``MNASNet`` and the ``MNASNet*_Weights`` enums, its refusal of a state dict
  without a version and its loading of version-1 state dicts (the stem turned back into version 1's, warning).
- ``VisionTransformer`` and ``vit_b_16/b_32/l_16/l_32/h_14`` with the ``ViT_*_Weights`` enums (SWAG members
  included), the image size / patch size checks and their AssertionErrors, ``image_size`` fixed by the weights.
- ``RegNet`` and the 15 ``regnet_y_*``/``regnet_x_*`` builders with their enums.
- the legacy ``pretrained=True`` of builders without IMAGENET1K_V1 weights (vit_h_14, regnet_y_128gf) raises
  torchvision's "No weights available" ValueError; DEFAULT of an enum with SWAG weights only is IMAGENET1K_SWAG_E2E_V1.

For each: module tree, repr, state_dict keys and shapes and parameter count, the same initial weights after
``manual_seed`` (torchless's RNG is torch's), the same eval-mode output given the same weights.
The oracle is tests/fixtures/torchvision/models25.json.gz, recorded from torchvision by make_models25.py beside it.
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
RECORDED = json.loads(gzip.decompress((FIXTURES / "models25.json.gz").read_bytes()))
_spec = importlib.util.spec_from_file_location("make_models25", FIXTURES / "make_models25.py")
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)  # numpy only at import time

BUILDERS = sorted(RECORDED["models"])
# the real builders and the small configurations; every one is built by the structure test (vit_l_*, vit_h_14 and
# regnet_y_128gf, up to 645M parameters, take 20-30 s and 2.6 GB each, without random fills)
ALL_RECORDS = {**RECORDED["models"], **RECORDED["small"]}


@pytest.fixture
def without_random_fills(monkeypatch):
    """Random fills become no-ops, for the tests that only look at shapes or overwrite every value."""
    monkeypatch.setattr(torchless.Tensor, "uniform_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.Tensor, "normal_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.nn.init, "trunc_normal_", lambda tensor, *args, **kwargs: tensor)


def build(name, **kwargs):
    return generator.build(models, name, **kwargs)


def test_every_recorded_builder_is_registered():
    assert set(BUILDERS) <= set(models.list_models())
    assert BUILDERS == sorted(generator.BUILDERS)
    assert set(models.list_models(include="regnet_*")) == set(generator.REGNETS)
    assert models.list_models(include=["mnasnet*", "vit_*"]) == sorted(generator.MNASNETS + generator.VITS)


@pytest.mark.parametrize("name", sorted(ALL_RECORDS))
def test_module_tree_and_state_dict_match_torchvision(name, without_random_fills):
    recorded = ALL_RECORDS[name]
    model = build(name)
    actual = generator.structure(model)
    del model
    if "state_dict" in recorded:  # in full: a failure shows the first difference
        assert actual["state_dict"] == recorded["state_dict"]
        assert actual["repr"] == recorded["repr"]
    for key in ("num_params", "state_dict_len", "state_dict_sha256", "repr_sha256"):
        assert actual[key] == recorded[key], key


SEEDED = [(name, seed) for name, record in sorted(ALL_RECORDS.items()) for seed in record.get("seeded", {})]


@pytest.mark.parametrize("name, seed", SEEDED)
def test_seeded_initial_weights_match_torchvision(name, seed):
    expected = ALL_RECORDS[name]["seeded"][seed]
    torchless.manual_seed(int(seed))
    actual = generator.seeded_summary(build(name).state_dict())
    assert list(actual) == list(expected)
    for key, (*first, total, abs_total) in expected.items():
        # float32 values: the truncated normal's inverse error function differs in its last bits, so the sum (which
        # cancels) is compared to the size of its terms
        np.testing.assert_allclose(actual[key][:-2], first, rtol=1e-5, atol=1e-7, err_msg=key)
        np.testing.assert_allclose(actual[key][-2], total, rtol=0, atol=1e-6 * abs_total + 1e-7, err_msg=key)
        np.testing.assert_allclose(actual[key][-1], abs_total, rtol=1e-6, err_msg=key)


def assert_output_close(actual, expected):
    assert actual.shape == expected.shape
    # a comparison that tells: the two samples' outputs differ by much more than the tolerance (RegNetX-800MF's
    # biases dominate its outputs, which differ by 4%)
    assert np.abs(expected[0] - expected[1]).max() > 0.02 * np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("name", generator.OUTPUTS)
def test_eval_output_matches_torchvision(name, without_random_fills):
    expected = np.array(ALL_RECORDS[name]["output"])
    model = build(name, num_classes=RECORDED["output_classes"]).eval()
    model.load_state_dict(generator.filled_state(model, torchless.tensor, generator.GAINS.get(name, generator.GAIN)),
                          strict=True)
    with torchless.no_grad():
        actual = model(torchless.tensor(generator.model_input(name))).numpy()
    assert_output_close(actual, expected)


@pytest.mark.parametrize("name", BUILDERS)
def test_weights_enum_is_torchvisions(name):
    from helpers import assert_weights_enum_recorded

    assert_weights_enum_recorded(name, RECORDED["models"][name]["weights"])


@pytest.mark.parametrize("case", generator.ERROR_CASES)
def test_errors_match_torchvision(case, without_random_fills):
    kind, message = RECORDED["errors"][case]
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is checked by name below
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eval(case, {"M": models, "torch": torchless})
    assert type(caught.value).__name__ == kind
    # torch's names become torchless's: torch.Size, torchvision.models.efficientnet._efficientnet
    assert str(caught.value) == message.replace("torch.", "torchless.").replace("torchvision.", "torchless.vision.")


def test_mnasnet_loads_a_version_1_state_dict():
    expected = RECORDED["mnasnet_v1_load"]
    actual = generator.mnasnet_v1_load(models, torchless.tensor)
    assert actual["warnings"] == expected["warnings"]
    assert actual["stem_shapes"] == expected["stem_shapes"]
    assert actual["saved_version"] == expected["saved_version"] == 1
    with torchless.no_grad():
        output = actual["model"](torchless.tensor(generator.model_input("mnasnet0_5"))).numpy()
    assert_output_close(output, np.array(expected["output"]))


def test_training_step_reaches_every_parameter():
    torchless.manual_seed(0)
    for name in ("mnasnet0_5", "regnet_y_400mf", "vit_tiny_stem"):
        model = build(name, num_classes=5).train()
        out = model(torchless.tensor(generator.model_input(name)))
        torchless.nn.functional.cross_entropy(out, torchless.tensor(np.array([1, 4]))).backward()
        for key, param in model.named_parameters():
            assert param.grad is not None and np.isfinite(param.grad.numpy()).all(), (name, key)
