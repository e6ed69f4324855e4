"""torchless.vision against torchvision 0.29 on a real photograph: each case of
``fixtures/torchvision/real_images.json`` is a Python expression that make_fixtures.py evaluated with torchvision
on ``photo.png`` / ``photo.jpg`` (a 37 x 29 crop of matplotlib's portrait of Grace Hopper), and that is evaluated
here with torchless; the results (tensors, PIL images, values, or exception types and messages) must agree.
"""
import json
from pathlib import Path

import numpy as np
import pytest

import torchless
import torchless.vision.io as tio
import torchless.vision.transforms as T
import torchless.vision.transforms.autoaugment as A
import torchless.vision.transforms.functional as F
import torchless.vision.utils as U
from torchless.vision.transforms import v2

Image = pytest.importorskip("PIL.Image")  # the decoders and PIL cases need Pillow (the [viz] extra)

from torchvision_cases import check_case as check_torchvision_case  # noqa: E402  (after the skip)

HERE = Path(__file__).parent / "fixtures" / "torchvision"
RECORD = json.loads((HERE / "real_images.json").read_text())
ARRAYS = np.load(HERE / "real_images.npz")
CASES = {case["name"]: case for case in RECORD["cases"]}
# v2's resize of uint8 tensors by torch's integer kernel, and Lanczos on tensors (make_fixtures.py --resize)
RESIZE_RECORD = json.loads((HERE / "resize.json").read_text())
RESIZE_ARRAYS = np.load(HERE / "resize.npz")
RESIZE_CASES = {case["name"]: case for case in RESIZE_RECORD["cases"]}


def namespace():
    pil = Image.open(HERE / "photo.png").convert("RGB")
    u8 = torchless.from_numpy(np.asarray(pil).transpose(2, 0, 1).copy())
    return {"torch": torchless, "F": F, "F2": v2.functional, "T": T, "v2": v2, "tio": tio, "U": U,
            "IM": T.InterpolationMode, "Image": Image, "pil": pil, "u8": u8, "f32": u8.float() / 255,
            "files": {name: tio.read_file(HERE / name) for name in ("photo.png", "photo.jpg")}, "A": A, "np": np}


def check_case(case, arrays=ARRAYS):
    """A recorded case evaluated with torchless: torchvision's result (pixels exact, floats to 2e-6), or the same
    exception type and message."""
    check_torchvision_case(case, namespace(), arrays, pil_tolerance=False, atol=2e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result_on_a_real_photo(name):
    check_case(CASES[name])


@pytest.mark.parametrize("name", list(RESIZE_CASES))
def test_v2_resize_gives_torchvisions_pixels(name):
    check_case(RESIZE_CASES[name], RESIZE_ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_fixtures.py --real-images), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert len(CASES) >= 50 and any("raises" in case for case in CASES.values())
    assert RESIZE_RECORD["torchvision"].startswith("0.29") and len(RESIZE_CASES) >= 30
    # uint8 exactly: no tolerance but for the float paths (v1's uint8, v2's int16)
    assert [case["name"] for case in RESIZE_CASES.values() if case["tolerance"]] == ["v2_lanczos_int16",
                                                                                    "v1_bilinear_u8_float_path"]
