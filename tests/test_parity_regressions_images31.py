"""Regressions found by the images31 session: real image files of every common format and mode through
torchless.vision's io, transforms, datasets and utils, against torchvision 0.29.

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
