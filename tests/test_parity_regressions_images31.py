"""Regressions found by the images31 session: real image files of every common format and mode through
torchless.vision's io, transforms, datasets and utils, against torchvision 0.29.

Differences fixed:

- ``encode_png`` of an image one row high or one pixel wide gives torchvision's bytes: libpng tries only the
  filters that can differ from none there (torchless picked average or Paeth where they scored lowest).
- A WEBP cut short fails as libwebp does: ``WebPGetFeatures`` error 7 until its headers are whole (an extended
  file's VP8X chunk is enough), then "WebPDecodeRGB[A] failed." (torchless said error 3 for any cut); its checks of
  the RIFF size, the optional chunks and the canvas against the frame are libwebp's, and a header Pillow takes for
  a decompression bomb is the decoder's error, not Pillow's.
- A PNG is read as libpng reads it: nothing after the image data (a file cut in a later chunk decodes, where
  torchless said "Internal error."), and a chunk type with the reserved bit, a misplaced or mis-sized IHDR and a
  palette image's IDAT before its PLTE are libpng's errors.
- A JPEG whose headers libjpeg refuses gives libjpeg's message (bogus marker lengths, Huffman and quantization
  tables, DHT/DQT/DAC indices, sampling factors, component ids, precision, SOF types, unknown markers, progressive
  parameters, missing tables, fractional sampling), where torchless said "Image is incomplete or truncated"; so
  does a marker that ends a scan's data early and that libjpeg refuses between scans (a second scan of a
  single-scan image, a second SOF or SOI, an unknown marker); bytes libjpeg skips before a marker are skipped (the
  file decodes, as there).
- A GIF whose records or LZW data are defective is read as giflib reads it: its error code (112 for a code past
  the table or an empty sub-block among the data, 113 for an end code before the last pixel, 0 for an image of
  no width or height, 107 for an unknown record), or the pixels giflib makes of the stream (torchless said 102,
  or refused streams giflib decodes); an extension whose first sub-block is empty reads on to the next empty one.
- ``rgb_to_grayscale`` (v1 and v2) lays its result out as torchvision: the luma's channel stride H * W (NumPy's
  new axis had 0), three channels as an expanded view (v2 copied them, so in-place writes worked where torch
  refuses them), a one-channel image cloned in its own layout (v1 made a C-order copy, or a stride-0 view when
  asked for three channels).

Not matched (torchless has no uint16 tensors): 16-bit PNGs and PIL ``I;16`` images, which torchvision gives as
uint16, are compared through ``to_dtype(..., uint8, scale=True)``. Left out: palette PNGs of 4 colours or fewer
decoded UNCHANGED, and palette PNGs without transparency decoded with an alpha channel, where torchvision returns
memory libpng never wrote.

The cases are recorded by ``fixtures/torchvision/make_images31.py`` into ``fixtures/torchvision/images31`` (the
files' bytes too): each is a Python expression evaluated there with torchvision and here with torchless, which
must give the same result (integer pixels exactly, JPEG decodes within a couple of levels) or raise the same
exception with the same message.
"""
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

pytest.importorskip("PIL.Image")  # the files are decoded, and the PIL images made, by Pillow

from torchvision_cases import check_case, load_record, recorded_namespace  # noqa: E402  (after the skip)

RECORD, ARRAYS, CASES = load_record("images31")


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    return recorded_namespace("make_images31", torchless, T, F, v2, F2, tv_tensors, tio, U, datasets,
                              tmp_path_factory.mktemp("images31"), ARRAYS)


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_images31.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert CASES["cut_python.webp_30"]["raises"] == ["RuntimeError", "WebPDecodeRGB[A] failed."]
