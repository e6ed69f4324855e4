"""torchless.vision against torchvision 0.29 on a real photograph: each case of
``fixtures/torchvision/real_images.json`` is a Python expression that make_fixtures.py evaluated with torchvision
on ``photo.png`` / ``photo.jpg`` (a 37 x 29 crop of matplotlib's portrait of Grace Hopper), and that is evaluated
here with torchless; the results (tensors, PIL images, values, or exception types and messages) must agree.
"""
import json
import warnings
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


def assert_matches(value, expected, tolerance, where, arrays=ARRAYS):
    """``value`` against a result recorded by make_fixtures.py's ``_record`` (its arrays in ``arrays``)."""
    if "sequence" in expected:
        assert type(value).__name__ == expected["sequence"], where
        assert len(value) == len(expected["items"]), where
        for i, (item, expected_item) in enumerate(zip(value, expected["items"])):
            assert_matches(item, expected_item, tolerance, f"{where}[{i}]", arrays)
    elif "pil" in expected:
        assert isinstance(value, Image.Image), where
        assert (value.mode, list(value.size)) == (expected["pil"], expected["size"]), where
        np.testing.assert_array_equal(np.asarray(value), arrays[expected["array"]], err_msg=where)
    elif "tensor" in expected:
        assert isinstance(value, torchless.Tensor), where
        assert str(value.dtype) == f"torchless.{expected['tensor']}", where
        got, want = value.numpy(), arrays[expected["array"]]
        assert got.shape == want.shape, where
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6, err_msg=where)
        else:
            assert np.abs(got.astype(np.int64) - want.astype(np.int64)).max(initial=0) <= tolerance, where
    else:
        assert value == expected["value"], where


def check_case(case, arrays=ARRAYS):
    """Evaluate a recorded case's expression with torchless: the same result, or the same exception type and
    message, as torchvision's."""
    scope = namespace()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "raises" in case:
            kind, message = case["raises"]
            with pytest.raises(Exception) as raised:
                eval(case["expression"], scope)
            assert type(raised.value).__name__ == kind
            assert str(raised.value) == message
            return
        value = eval(case["expression"], scope)
    assert_matches(value, case["result"], case["tolerance"], case["name"], arrays)


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
