"""Regressions found by the data27 session: torchless.vision's io, datasets and colour transforms on real images
against torchvision 0.29.

Differences fixed:

- GIFs are decoded as torchvision's giflib-based decoder composes them (``vision/io/_gif.py``), not as Pillow
  does: a transparent pixel keeps the canvas's colour -- the background colour, or the previous frame's pixel when
  the frame's own disposal is unspecified, "do not dispose" or "restore previous" -- where torchless showed the
  palette's colour of the transparent index; frames smaller than the screen are placed at their offsets on a
  canvas as large as the screen and the first frame.
- torchvision's decoders (PNG, JPEG, GIF, WEBP) return channels-last tensors: strides (1, W * C, C), not
  contiguous, so that ``.view(-1)`` fails and ``.float()`` keeps the layout, as there; an image turned by its
  EXIF orientation keeps the file's pixel order in memory (torchvision transposes and flips the decoded buffer).
- ``adjust_gamma`` of float16 images (v1 and v2) computes as PyTorch's half arithmetic does: the exponent rounded
  to half, the power in float32 rounded to half, then the gain as a float32 number, the product rounded to half
  (torchless rounded the gain to half first; up to one half step off on most pixels).
- The other layouts torch's kernels leave: a resized image stays channels last when interpolate takes it for
  channels last (v2 always, v1 for batches only), a warped one (rotate, affine, perspective, elastic) is contiguous
  whatever its input, a flipped or sharpened one keeps its layout, a blurred batch stays channels last, an
  equalized image is contiguous, a hue-shifted one ends channels last (torchvision's einsum),
  and ``Grayscale(3)`` of a tensor is an expanded view of the luma (written to in place, it raises torch's error).
  torchless resized uint8 images into transposed strides and warped into channels-last ones, so that ``view``
  failed where torchvision's succeeds.
- ``to_tensor`` of an array with negative strides raises torch.from_numpy's ValueError; ``to_pil_image`` of an image
  without channels takes it for 3 channels (Pillow's "not enough image data"), where torchless raised a KeyError;
  ``convert_image_dtype`` to a complex type scales by torchvision's full intensity of 1 (torchless raised NumPy's
  error).
- ``make_grid`` indexes ``value_range`` as torchvision does (a one-number tuple is an IndexError, extra numbers are
  ignored), where torchless unpacked it.
- EMNIST's ``training_file`` / ``test_file`` name the split's legacy files (``training_letters.pt``); VisionDataset
  has torchvision's ``_format_transform_repr``, and the repr of a subclass that never called
  ``VisionDataset.__init__`` leaves out the transforms it does not have; ``datasets.folder.accimage_loader`` exists
  (and, accimage not being installed, raises its ImportError), as do torchvision's ``set_image_backend`` /
  ``get_image_backend``, which choose ``default_loader``'s backend, and ``io.decode_avif`` / ``io.decode_heic``,
  which raise what torchvision raises without its extra decoders.

The cases are recorded by ``fixtures/torchvision/make_data27.py`` into ``fixtures/torchvision/data27``: each is a
Python expression evaluated there with torchvision and here with torchless, on inputs both build the same way (the
GIFs by that script's own LZW encoder, not Pillow's), which must give the same result (integer pixels exactly,
float16 to the last bit but where a half step is allowed below) or raise the same exception with the same message.
"""
import numpy as np
import pytest

import torchless
import torchless.vision.datasets as datasets
import torchless.vision.io as tio
import torchless.vision.transforms as T
import torchless.vision.utils as U
from torchless.vision import tv_tensors
from torchless.vision.io import _gif
from torchless.vision.transforms import v2

pytest.importorskip("PIL.Image")  # the photo is a PNG

from torchvision_cases import check_case, load_record, recorded_namespace  # noqa: E402  (after the skip)

RECORD, ARRAYS, CASES = load_record("data27")


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    return recorded_namespace("make_data27", torchless, T, v2, tv_tensors, tio, U, datasets,
                              tmp_path_factory.mktemp("data27"))


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS, exact_half=True)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_data27.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert CASES["strides_contiguous"]["result"]["value"] is False
    assert CASES["datasets_0"]["raises"] == ["IndexError", "tuple index out of range"]
    assert sum("raises" in case for case in CASES.values()) >= 3


# ------------------------------------------------------------------------------ the GIF decoder, independently
def _scope_module():
    import sys

    from torchvision_cases import FIXTURES

    sys.path.insert(0, str(FIXTURES))
    try:
        return __import__("make_data27")
    finally:
        sys.path.remove(str(FIXTURES))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("colours", [2, 4, 16, 256])
def test_lzw_round_trip(seed, colours):
    # the fixture script's encoder and torchless's decoder agree, table resets (4096 codes) included
    make = _scope_module()
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, colours, 9000).astype(np.uint8)
    indices[:3000] = indices[:3000] // 2  # runs, so that the table holds long strings
    min_code_size = max(2, colours.bit_length() - 1)
    decoded = _gif._lzw_decode(make.lzw_compress(indices.tobytes(), min_code_size), min_code_size, indices.size)
    np.testing.assert_array_equal(decoded, indices)


def test_gif_frames_match_pillows_indices():
    # an independent decoder: Pillow reads the single frame's palette indices of the same bytes
    import io

    from PIL import Image

    make = _scope_module()
    rng = np.random.default_rng(7)
    indices = rng.integers(0, 64, (45, 61)).astype(np.uint8)
    palette = rng.integers(0, 256, (64, 3)).astype(np.uint8)
    for interlace in (False, True):
        raw = make.gif_file(61, 45, [dict(indices=indices, interlace=interlace)], palette)
        expected = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))
        np.testing.assert_array_equal(_gif.decode_frames(raw)[0], expected)
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(raw))), indices)


def test_transparent_pixels_keep_the_canvas():
    # giflib's composition as torchvision does it, written out: a transparent pixel shows the background colour on
    # the first frame and with the frame's own disposal 2 ("restore background"), else the previous frame's pixel
    make = _scope_module()
    palette = np.array([[10, 20, 30], [200, 100, 0], [0, 0, 255], [255, 255, 255]], np.uint8)
    background = palette[3]
    first = np.array([[1, 2, 3], [3, 2, 1]], np.uint8)  # index 1 transparent
    second = np.array([[0, 0, 2], [2, 0, 1]], np.uint8)  # index 0 transparent
    first_frame = np.where((first == 1)[..., None], background, palette[first])
    for disposal in range(8):
        raw = make.gif_file(3, 2, [dict(indices=first, transparent=1),
                                   dict(indices=second, transparent=0, disposal=disposal)], palette, background=3)
        frames = _gif.decode_frames(raw)
        np.testing.assert_array_equal(frames[0], first_frame)
        canvas = first_frame if disposal in (0, 1, 3) else np.broadcast_to(background, first_frame.shape)
        np.testing.assert_array_equal(frames[1], np.where((second == 0)[..., None], canvas, palette[second]))


# ------------------------------------------------------------------------------------ half gamma against torch
@pytest.mark.parametrize("gamma, gain", [(0.7, 1), (2.2, 1.1), (0.5, 0.3), (3.0, 2), (1.7, 0.9)])
def test_half_gamma_is_torchs_half_arithmetic(gamma, gain):
    # torchvision's formulas in torch's own half arithmetic: v1 (gain * img ** gamma).clamp(0, 1); v2
    # img.pow(gamma), then .mul_(gain).clamp_(0, 1) when the gain is not 1
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(3).random((3, 17, 23)).astype(np.float16)
    image = torch.from_numpy(values)
    v1 = (gain * image ** gamma).clamp(0, 1)
    powered = image.pow(gamma)
    v2_expected = powered if gain == 1 else powered.mul(gain).clamp(0, 1)
    got_v1 = T.functional.adjust_gamma(torchless.from_numpy(values), gamma, gain).numpy()
    got_v2 = v2.functional.adjust_gamma(torchless.from_numpy(values), gamma, gain).numpy()
    # (torch's vectorised pow and NumPy's may round a rare power to the other neighbouring half)
    for got, expected in ((got_v1, v1.numpy()), (got_v2, v2_expected.numpy())):
        assert got.dtype == np.float16
        assert np.mean(got != expected) < 0.002
        np.testing.assert_allclose(got.astype(np.float32), expected.astype(np.float32), rtol=1e-3, atol=1e-7)
