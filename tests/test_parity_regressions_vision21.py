"""Regressions found by the vision21 session: torchless.vision against torchvision 0.29, hunted with random pipelines
of v1 / v2 transforms on real-looking images (every PIL mode, tensors of every dtype, tv_tensors, detection samples
with boxes in every format) and with the decoders of torchvision.io.

Differences fixed:

- rotated bounding boxes (XYWHR, CXCYWHR, XYXYXYXY) went through the flips only; every other geometric kernel
  (resize, crop, center_crop, resized_crop, pad, affine, rotate, perspective, elastic) and so every v2 geometric
  transform and detection pipeline refused them with a NotImplementedError. They are moved as torchvision moves
  them: as their four corners, squared up into a rectangle that keeps the longer diagonal, then clamped keeping
  their angle ("soft": the smallest such box around what lies inside, "hard": inside the canvas);
  ``clamp_bounding_boxes`` / ``ClampBoundingBoxes`` clamp them so, and ``SanitizeBoundingBoxes`` measures their sides.
- the decoders refused a strided tensor of bytes (``data[::2]``) as torchvision does not: its C++ reads memory from
  the first element on, so ``decode_image`` tells the format from the bytes in memory and the format's decoder then
  refuses the tensor ("Input tensor must be contiguous.", checked before the dtype and the dimensions).
- v2's ``SanitizeKeyPoints`` and ``functional.sanitize_keypoints`` were missing: they drop the key points (or
  groups of them) outside the canvas, with their labels.
- ``torchless.vision.ops`` had none of torchvision's box operations: ``box_convert`` (all six formats),
  ``box_area``, ``box_iou`` (axis-aligned formats), ``generalized_box_iou``, ``distance_box_iou``,
  ``complete_box_iou``, ``clip_boxes_to_image``, ``remove_small_boxes``, ``masks_to_boxes``, ``nms`` (torchvision's CPU
  kernel: a stable sort of the scores, the boxes' dtype, its errors) and ``batched_nms``.
- v1's ``convert_image_dtype`` between float dtypes is ``image.to(dtype)`` in torchvision: a tv_tensor (Image, Video,
  Mask) stays one; torchless returned a plain tensor.

The torchvision cases are recorded by ``fixtures/torchvision/make_vision21.py`` into ``fixtures/torchvision/vision21``:
each is a Python expression evaluated there with torchvision and here with torchless, which must give the same
result or raise the same exception type with the same message.
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

pytest.importorskip("PIL.Image")  # the fixture images are PNGs

from torchvision_cases import check_case, load_record, recorded_namespace  # noqa: E402  (after the skip)

RECORD, ARRAYS, CASES = load_record("vision21")
SYNTHETIC = {name: ARRAYS[name] for name in ("input_syn", "input_small", "input_syn_rgba")}


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    return recorded_namespace("make_vision21", torchless, tio, T, F, v2, F2, U, datasets, tv_tensors,
                              ARRAYS["input_mnist"], SYNTHETIC, tmp_path_factory.mktemp("vision21"))


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision21.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert sum("raises" in case for case in CASES.values()) >= 10
    assert sum(name.startswith("rotated_") for name in CASES) >= 60


def test_the_split_transforms_module_keeps_torchvisions_import_paths():
    # torchvision users import the classes from transforms and from transforms.transforms, and see that module
    import torchless.vision.transforms.transforms as TT

    for name in TT.__all__:
        assert getattr(TT, name) is getattr(T, name, getattr(TT, name))
    for name in ("Compose", "RandomCrop", "ColorJitter", "RandomErasing", "ToTensor", "RandomApply", "GaussianBlur"):
        assert getattr(T, name).__module__ == "torchless.vision.transforms.transforms"
    assert TT.F is F
