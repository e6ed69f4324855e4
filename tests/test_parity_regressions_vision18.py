"""torchless.vision against torchvision 0.29 on real images, with argument combinations drawn at random (from a
fixed seed) by ``fixtures/torchvision/make_vision18.py``: the geometric warps with fill / center / interpolation,
resize with max_size / antialias, the random crops, colour jitter, blurs and the automatic augmentations under
``torch.manual_seed`` (the same draws from the same generator), dtype conversions and Normalize, CutMix / MixUp,
grayscale on batches and PIL images of every mode; io's decoders on CMYK / progressive / EXIF-rotated JPEGs,
interlaced, low-bit-depth, palette and transparency-keyed PNGs, WebP and GIF, the encoders and their errors;
make_grid / save_image, draw_bounding_boxes, draw_segmentation_masks, draw_keypoints, flow_to_image; EMNIST, KMNIST,
QMNIST, MNIST, FakeData, ImageFolder and DatasetFolder; bounding boxes of every format (the rotated ones: conversions
and flips) and key points through v2's geometry; bilinear interpolation without antialiasing bit for bit; and
``torch.frombuffer``, which hands file bytes to the decoders.

Each case of ``fixtures/torchvision/vision18.json.gz`` is a Python expression that ``make_vision18.py`` evaluated with
torchvision; it is evaluated here with torchless and must give the same result (tensor dtype, shape and values;
PIL mode and pixels; plain values) or raise the same exception type with the same message.
"""
import numpy as np
import pytest

import torchless
import torchless.vision.datasets as datasets
import torchless.vision.io as tio
import torchless.vision.transforms as T
import torchless.vision.transforms.functional as F
import torchless.vision.transforms.v2.functional as F2
import torchless.vision.utils as U
from torchless.vision import tv_tensors
from torchless.vision.transforms import v2

pytest.importorskip("PIL.Image")  # the fixture images are PNGs

from torchvision_cases import check_case, load_record, recorded_namespace  # noqa: E402  (after the skip)

RECORD, ARRAYS, CASES = load_record("vision18")


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    return recorded_namespace("make_vision18", torchless, tio, T, F, v2, F2, U, datasets, tv_tensors,
                              ARRAYS["input_mnist"], tmp_path_factory.mktemp("vision18"))


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision18.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert len(CASES) >= 500 and sum("raises" in case for case in CASES.values()) >= 50
    assert ARRAYS["input_mnist"].shape == (8, 28, 28)
