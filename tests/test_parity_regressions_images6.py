"""torchless.vision against torchvision 0.29 on real images, for the differences a differential fuzzer found in
vision.io (what write_* return, write_file's checks, the C++ operators' argument-type errors, libpng's view of
spoilt PNG chunks, the error codes for short inputs) and in the transforms (torchvision's size and channel
helpers, v2's flips / channel functionals / noise / JPEG round trip, LinearTransformation, v2's single-image
transforms RGB, Identity, RandomChannelPermutation, RandomPhotometricDistort, RandomZoomOut, RandomResize,
RandomShortestSize, ScaleJitter, and MixUp / CutMix), all found missing or different and fixed.

Each case of ``fixtures/torchvision/images6.json`` is a Python expression that ``make_images6.py`` evaluated with
torchvision on the fixture photo, files Pillow makes from it (PNGs spoilt in chosen places) and eight MNIST
digits (stored in ``images6.npz``); it is evaluated here with torchless and must give the same result (tensor
dtype, shape and values, PIL mode and pixels, plain values) or raise the same exception type with the same
message. torchless names its dtypes ``torchless.*`` where torch says ``torch.*``: messages are compared with that
prefix read as torch's. The random transforms are recorded only where their result does not depend on the draw.
"""
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import torchless
import torchless.vision.io as tio
import torchless.vision.transforms as T
import torchless.vision.transforms.functional as F
import torchless.vision.transforms.v2 as v2
import torchless.vision.transforms.v2.functional as F2

Image = pytest.importorskip("PIL.Image")

from torchvision_cases import check_case  # noqa: E402  (after the skip without Pillow)

HERE = Path(__file__).parent / "fixtures" / "torchvision"
RECORD = json.loads((HERE / "images6.json").read_text())
ARRAYS = np.load(HERE / "images6.npz")
CASES = {case["name"]: case for case in RECORD["cases"]}


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    sys.path.insert(0, str(HERE))
    try:
        from make_images6 import namespace
    finally:
        sys.path.remove(str(HERE))
    return namespace(torchless, tio, T, F, v2, F2, ARRAYS["input_mnist"], tmp_path_factory.mktemp("images6"))


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_images6.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert len(CASES) >= 140 and sum("raises" in case for case in CASES.values()) >= 60
    assert ARRAYS["input_mnist"].shape == (8, 28, 28)


def test_write_functions_leave_the_files_torchvision_leaves(scope, tmp_path):
    # the returned bytes are the file's bytes, and the file decodes to the image written
    u8 = scope["u8"]
    written = tio.write_png(u8, tmp_path / "a.png")
    assert np.array_equal(written.numpy(), np.frombuffer((tmp_path / "a.png").read_bytes(), np.uint8))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), u8.numpy().transpose(1, 2, 0))
    data = tio.write_jpeg(u8, str(tmp_path / "a.jpg"), 95)
    assert np.array_equal(data.numpy(), np.frombuffer((tmp_path / "a.jpg").read_bytes(), np.uint8))


def test_v2_get_image_size_warns_that_it_is_deprecated(scope):
    with pytest.warns(UserWarning, match=r"^The function `get_image_size\(\.\.\.\)` is deprecated"):
        assert F2.get_image_size(scope["pil"]) == [37, 29]


def test_random_draws_follow_torchless_manual_seed(scope):
    # the draws come from torchless's generator: the same seed gives the same result
    u8, bf, labels = scope["u8"], scope["bf"], scope["labels"]
    for transform, args in ((v2.RandomPhotometricDistort(p=1.0), (u8,)), (v2.RandomZoomOut(p=1.0), (u8,)),
                            (v2.MixUp(num_classes=10), (bf, labels)), (v2.CutMix(num_classes=10), (bf, labels)),
                            (v2.GaussianNoise(), (scope["f32"],)), (v2.ScaleJitter((40, 50)), (u8,))):
        torchless.manual_seed(3)
        first = transform(*args)
        torchless.manual_seed(3)
        again = transform(*args)
        first, again = (first, again) if isinstance(first, tuple) else ((first,), (again,))
        for a, b in zip(first, again):
            assert np.array_equal(a.numpy(), b.numpy()), type(transform).__name__


def test_mixup_mixes_images_and_labels_by_the_same_weight(scope):
    # lam * x + (1 - lam) * x.roll(1, 0), the one-hot labels likewise (an independent NumPy reference)
    bf, labels = scope["bf"], scope["labels"]
    images, mixed = v2.MixUp(num_classes=10)(bf, labels)
    one_hot = np.eye(10, dtype=np.float32)[labels.numpy()]
    lam = float(mixed.numpy()[0, labels.numpy()[0]]) if labels[0] != labels[-1] else None
    assert lam is not None
    x = bf.numpy()
    np.testing.assert_allclose(images.numpy(), lam * x + (1 - lam) * np.roll(x, 1, 0), atol=1e-6)
    np.testing.assert_allclose(mixed.numpy(), lam * one_hot + (1 - lam) * np.roll(one_hot, 1, 0), atol=1e-6)


def test_cutmix_labels_weigh_the_area_kept(scope):
    bf, labels = scope["bf"], scope["labels"]
    for seed in range(5):
        torchless.manual_seed(seed)
        images, mixed = v2.CutMix(num_classes=10)(bf, labels)
        pasted = (images.numpy() != bf.numpy()).any(axis=(0, 1))  # where some image took its neighbour's pixels
        kept = 1.0 - pasted.mean()
        # the box may cover pixels that are equal in both images, so the label weight is at most the kept area
        assert float(mixed.numpy()[0, labels.numpy()[0]]) <= kept + 1e-6


# torchvision/io/image.py's _DEPRECATION_MSG (0.29), which every decoding and encoding function warns with
IO_DEPRECATION = ("The image decoding and encoding capabilities of TorchVision are deprecated since torchvision 0.29 "
                  "and will be removed in a future release. They are superseded by the more complete decoders and "
                  "encoders of TorchCodec (from torchcodec 0.16). Please see "
                  "https://meta-pytorch.org/torchcodec/0.16/generated_examples/migration/torchvision_migration.html "
                  "on how to migrate your code.")


@pytest.mark.parametrize("call", ["read_file(TMP + '/photo.png')", "read_image(TMP + '/photo.png')",
                                  "decode_image(files['photo.png'])", "decode_png(files['photo.png'])",
                                  "decode_jpeg(files['photo.jpg'])", "encode_png(u8)", "encode_jpeg(u8)",
                                  "write_png(u8, TMP + '/w.png')", "write_jpeg(u8, TMP + '/w.jpg')",
                                  "write_file(TMP + '/w.bin', files['photo.png'])"])
def test_io_warns_of_its_deprecation_as_torchvision_does(call, scope):
    (Path(scope["TMP"]) / "photo.png").write_bytes(scope["files"]["photo.png"].numpy().tobytes())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        eval("tio." + call, dict(scope))
    messages = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert messages and set(messages) == {IO_DEPRECATION}
    # attributed to the io module, so that Python's default filters keep it out of sight in scripts
    assert all(w.filename.endswith(("image.py", "_file.py")) for w in caught if w.category is DeprecationWarning)
