"""torchless.vision against torchvision 0.29 on real images, for the differences a differential fuzzer found in
transforms v1 / v2 (resize, pad, crops, conversions, colour, warps, elastic_transform, blur) and fixed.

Each case of ``fixtures/torchvision/vision5.json`` is a Python expression that ``make_vision5.py`` evaluated with
torchvision on the fixture photo, a hand-drawn digit, an RGBA canvas and two MNIST digits (stored in
``vision5.npz``); it is evaluated here with torchless and must give the same result (tensor dtype, shape and
values, PIL mode and pixels, plain values) or raise the same exception type with the same message. torchless
names its dtypes and classes ``torchless.*`` where torch says ``torch.*``: messages are compared with that
prefix read as torch's.
"""
import warnings

import pytest

import torchless
import torchless.vision.io as tio
import torchless.vision.transforms as T
import torchless.vision.transforms.functional as F
import torchless.vision.transforms.v2.functional as F2
import torchless.vision.utils as U
from torchless.vision.transforms import v2

pytest.importorskip("PIL.Image")  # the decoders and PIL cases need Pillow

from torchvision_cases import check_case, load_record, recorded_namespace

RECORD, ARRAYS, CASES = load_record("vision5")
SCOPE = recorded_namespace("make_vision5", torchless, tio, T, F, v2, F2, U, ARRAYS["input_mnist"])


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name):
    check_case(CASES[name], SCOPE, ARRAYS, pil_tolerance=False, exact_half=True)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision5.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert len(CASES) >= 100 and sum("raises" in case for case in CASES.values()) >= 50
    assert ARRAYS["input_mnist"].shape == (2, 28, 28)


def test_torchless_warns_as_little_as_torchvision_on_empty_and_wide_images():
    # NumPy's warnings (mean of an empty image, int32's bound in float32, the grid of an empty image) are not
    # torchvision's: the results come back silently, as there
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.adjust_contrast(SCOPE["u8"][:, :0], 0.5)
        F.autocontrast(SCOPE["u8"].to(torchless.int32))
        F2.autocontrast(SCOPE["u8"].to(torchless.int32))
        F2.rotate(SCOPE["u8"][:, :0], 10)


def test_symmetric_padding_reports_the_first_bad_index_in_row_major_order():
    # torchvision indexes rows then columns; with one thread the first out-of-range index met is the top one,
    # then the left, the right and the bottom one (several threads may meet another first)
    small = SCOPE["u8"][:, :5, :6]
    with pytest.raises(IndexError, match=r"^index 6 is out of bounds for dimension 0 with size 5$"):
        F.pad(small, [8, 7, 0, 0], padding_mode="symmetric")
    with pytest.raises(IndexError, match=r"^index 7 is out of bounds for dimension 1 with size 6$"):
        F.pad(small, [8, 0, 9, 6], padding_mode="symmetric")
