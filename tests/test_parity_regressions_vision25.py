"""Regressions found by the vision25 session: torchless.vision's transforms on real images (the photo and MNIST
digits) against torchvision 0.29.

Differences fixed:

- v2 ``adjust_brightness`` of an integer image by an integer factor multiplies in the image's dtype, wrapping
  around as torchvision's ``image.mul(factor)`` does before its clamp (torchless blended in float: 90 * 5 gave 255
  where torchvision gives 194).
- v1 ``RandomHorizontalFlip`` / ``RandomVerticalFlip`` / ``RandomPerspective`` / ``RandomGrayscale`` /
  ``RandomErasing`` / ``RandomApply`` compare ``p`` with the tensor ``torch.rand(1)`` (a ``p`` that is no number:
  the tensor comparison's TypeError).
- v2 ``to_dtype(scale=True)`` / ``convert_image_dtype`` / ``ToDtype`` given NumPy's types or dtype names (which
  torchless converted with) raise torchvision's AttributeError, as does ``convert_image_dtype`` of what is no tensor.
- v1 ``elastic_transform`` reads the value of whatever mode it is given (a string mode: AttributeError after the
  displacement checks, not a TypeError first).
- An empty sequence fill of the tensor warps fails as torchvision's expand / broadcast does (a 1-channel image came
  back with no channels).
- v2 ``resize`` reads the first two of a longer size, and indexes an empty one.
- ``solarize`` compares its threshold with the int 1 for float images (its TypeError names an int).
- v2 reprs leave out attributes of types v2's ``extra_repr`` does not show.

The cases are recorded by ``fixtures/torchvision/make_vision25.py`` into ``fixtures/torchvision/vision25``: each is
a Python expression evaluated there with torchvision and here with torchless, which must give the same result
(uint8 pixels exactly) or raise the same exception type with the same message.
"""
import pytest

import torchless
import torchless.vision.transforms as T
from torchless.vision import tv_tensors
from torchless.vision.transforms import v2

from torchvision_cases import check_case, load_record, recorded_namespace

RECORD, ARRAYS, CASES = load_record("vision25")


@pytest.fixture(scope="module")
def scope():
    return recorded_namespace("make_vision25", torchless, T, v2, tv_tensors)


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS, atol=1e-6)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision25.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert sum("raises" in case for case in CASES.values()) >= 100
    # the integer brightness factors wrap (the fixed difference): 90 * 5 = 450 is 194 in uint8
    assert CASES["brightness_0_2"]["result"]["tensor"] == "uint8"


def test_integer_brightness_wraps_in_the_images_dtype():
    # an independent reference: v2's image.mul(factor).clamp_(0, max) in the dtype, computed in Python integers
    image = torchless.tensor([[[1, 2, 90, 200]]], dtype=torchless.uint8)
    assert v2.functional.adjust_brightness(image, 5).tolist() == [[[(v * 5) % 256 for v in (1, 2, 90, 200)]]]
    signed = torchless.tensor([[[100, -56]]], dtype=torchless.int8)
    wrapped = [max(((v * 3 + 128) % 256) - 128, 0) for v in (100, -56)]
    assert v2.functional.adjust_brightness(signed, 3).tolist() == [[wrapped]]
