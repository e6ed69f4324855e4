"""AutoAugment, RandAugment, TrivialAugmentWide and AugMix (v1 and v2) against torchvision 0.29.

torchvision draws the augmentations' random choices from torch's generator, which torchless does not reproduce,
so ``fixtures/torchvision/autoaugment.json`` (make_fixtures.py --autoaugment) records the deterministic parts:
every operation at fixed magnitudes on the real photo (uint8 tensor and PIL, v1's ``_apply_op`` and v2's
``_apply_image_or_video_transform``), the magnitude tables and policies, the reprs and the argument errors. The
draws themselves are checked for determinism under ``torchless.manual_seed`` and for what they may produce.
"""
import json
from pathlib import Path

import numpy as np
import pytest

import torchless
import torchless.vision.transforms as T
from torchless.vision.transforms import v2

Image = pytest.importorskip("PIL.Image")

from test_vision_real_images import check_case, namespace  # noqa: E402  (after Pillow's skip)
from torchvision_cases import round_grids_as_the_recording_host  # noqa: E402

HERE = Path(__file__).parent / "fixtures" / "torchvision"
RECORD = json.loads((HERE / "autoaugment.json").read_text())
ARRAYS = np.load(HERE / "autoaugment.npz")
CASES = {case["name"]: case for case in RECORD["cases"]}

CLASSES = ["AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, monkeypatch):
    round_grids_as_the_recording_host(monkeypatch, fused=True)  # (its shear cases recorded on an Intel host)
    check_case(CASES[name], ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_fixtures.py --autoaugment), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert len(CASES) >= 100 and sum("raises" in case for case in CASES.values()) >= 10


def _photo():
    scope = namespace()
    return scope["u8"], scope["pil"]


@pytest.mark.parametrize("module", [T, v2])
@pytest.mark.parametrize("cls", CLASSES)
def test_the_same_seed_gives_the_same_augmentations(module, cls):
    u8, pil = _photo()
    transform = getattr(module, cls)()

    def run():
        torchless.manual_seed(1234)
        return [transform(u8).numpy() for _ in range(6)] + [np.asarray(transform(pil)) for _ in range(6)]

    first, second = run(), run()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, first[0]) for a in first[1:6])  # the draws do change between calls


@pytest.mark.parametrize("module", [T, v2])
def test_every_trivial_augment_result_is_one_of_its_operations(module):
    # TrivialAugmentWide applies exactly one operation of its table at one of its magnitudes (either sign)
    u8, _ = _photo()
    transform = module.TrivialAugmentWide(num_magnitude_bins=3)
    apply = (T.autoaugment._apply_op if module is T
             else lambda img, op, m, interpolation, fill: transform._apply_image_or_video_transform(
                 img, op, m, interpolation, {"others": fill}))
    scale = 1.0 if module is T else 1 / 255.0  # v2's solarize thresholds are fractions of the maximum
    candidates = []
    for op, (magnitudes, signed) in T.TrivialAugmentWide()._augmentation_space(3).items():
        values = magnitudes.tolist() if magnitudes.ndim else [0.0]
        for m in values:
            for sign in ((1, -1) if signed else (1,)):
                m_op = m * sign * (scale if op == "Solarize" else 1.0)
                candidates.append(apply(u8, op, m_op, T.InterpolationMode.NEAREST, None).numpy())
    torchless.manual_seed(0)
    for _ in range(25):
        out = transform(u8).numpy()
        assert any(np.array_equal(out, c) for c in candidates)


def test_auto_augment_applies_its_sub_policies():
    # a policy whose operations always apply (probability 1) and have no magnitude: equalize then invert
    u8, _ = _photo()
    transform = T.AutoAugment()
    transform.policies = [(("Equalize", 1.0, None), ("Invert", 1.0, None))]
    np.testing.assert_array_equal(transform(u8).numpy(), T.functional.invert(T.functional.equalize(u8)).numpy())
    transform.policies = [(("Equalize", 0.0, None), ("Invert", 0.0, None))]
    assert transform(u8) is u8


@pytest.mark.parametrize("module", [T, v2])
def test_augmix_mixes_in_the_image_dtype(module):
    u8, pil = _photo()

    class Weighted(module.AugMix):
        # all the weight on the original image: AugMix gives it back (truncated to its dtype)
        def _sample_dirichlet(self, params):
            weights = np.zeros(params.shape, np.float32)
            weights[..., 0] = 1.0
            return torchless.from_numpy(weights)

    np.testing.assert_array_equal(Weighted()(u8).numpy(), u8.numpy())
    assert np.array_equal(np.asarray(Weighted()(pil)), np.asarray(pil))
    batch = torchless.stack([u8, u8.flip(-1)])
    out = module.AugMix()(batch)
    assert out.shape == batch.shape and out.dtype == torchless.uint8
    # a seed whose draws pick no uint8-only op (posterize, equalize), which fail on float images, as in torchvision
    torchless.manual_seed(15)
    f32 = module.AugMix(chain_depth=2)(u8.float() / 255)
    assert f32.dtype == torchless.float32


def test_augmix_dirichlet_weights_sum_to_one():
    torchless.manual_seed(3)
    weights = T.AugMix()._sample_dirichlet(torchless.tensor([[1.0, 1.0, 1.0], [0.5, 0.5, 0.5]]))
    assert weights.dtype == torchless.float32 and weights.shape == (2, 3)
    np.testing.assert_allclose(weights.sum(-1).numpy(), 1.0, rtol=1e-6)
    assert (weights.numpy() >= 0).all()


@pytest.mark.parametrize("module", [T, v2])
@pytest.mark.parametrize("cls", CLASSES)
def test_array_images_keep_their_layout(module, cls):
    # arrays stand in for PIL images in torchless: they come back as arrays of their own H x W[ x C] layout
    _, pil = _photo()
    torchless.manual_seed(7)
    for image in (np.asarray(pil), np.asarray(pil.convert("L"))):
        for _ in range(4):
            out = getattr(module, cls)()(image)
            assert isinstance(out, np.ndarray) and out.shape == image.shape and out.dtype == np.uint8


def test_v2_fill_is_kept_per_input_type():
    fill = {torchless.Tensor: (1, 2, 3), "others": 4}
    transform = v2.RandAugment(fill=fill)
    assert transform._fill is fill and fill[torchless.Tensor] == [1.0, 2.0, 3.0]
    assert v2.RandAugment(fill=(5, 6))._fill == {"others": [5.0, 6.0]}
    assert v2.RandAugment(fill=7)._fill == {"others": 7}


def test_the_classes_are_exported_as_in_torchvision():
    assert T.autoaugment.__all__ == ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide",
                                     "AugMix"]
    assert v2.AutoAugmentPolicy is T.AutoAugmentPolicy
    for cls in CLASSES:
        assert cls in T.__all__ and cls in v2.__all__
