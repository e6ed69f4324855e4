"""torchless.vision against torchvision 0.29 for ``tv_tensors`` and v2's handling of whole samples, on real images.

Differences fixed (torchless had no ``tv_tensors`` and its v2 transforms took one image):

- ``torchless.vision.tv_tensors``: ``Image`` (a 2-D tensor gains its channel axis, a PIL image is converted),
  ``Video``, ``Mask``, ``BoundingBoxes`` (format, canvas_size, clamping_mode; one box gains its first axis),
  ``BoundingBoxFormat``, ``wrap``, ``is_rotated_bounding_format``, ``set_return_type``: operations on them give
  plain tensors, ``clone`` / ``to`` / ``detach`` keep the class and the metadata; torchvision's reprs and errors.
- v2's functionals dispatch on them: an Image / Video through the image kernel, re-wrapped; a Mask through it with
  nearest interpolation (a 2-D mask given a channel axis), a scalar fill only; BoundingBoxes moved as coordinates
  by flips, resize, crop, center_crop, resized_crop, pad (constant only), rotate (and expand), affine,
  perspective, elastic (the corner maps summed in float32 as torch does), with their new canvas size and
  clamping; RandomIoUCrop; ``get_size`` of masks and boxes; ``to_dtype`` casts masks and boxes unscaled.
- ``convert_bounding_box_format``, ``clamp_bounding_boxes``, ``sanitize_bounding_boxes`` (functional) and the
  ``ConvertBoundingBoxFormat``, ``ClampBoundingBoxes``, ``SetClampingMode``, ``SanitizeBoundingBoxes`` transforms
  (the latter dropping the masks and labels of the boxes it removes).
- v2's transforms take ``t(img, target)``, tuples, lists and dicts: the images, videos, masks and boxes in them are
  transformed with one draw of the random parameters (a crop of the image crops its boxes and masks alike), other
  items pass through; a pure tensor is the image only when there is no Image / Video / PIL image in the sample,
  and only the first one met. ``Compose``, ``RandomApply``, ``RandomChoice``, ``RandomOrder`` pass several inputs
  on as a tuple; ``RandomHorizontalFlip`` / ``RandomVerticalFlip`` / ``RandomPerspective`` / ``RandomZoomOut`` draw
  once per call before anything else.
- ``KeyPoints`` (canvas_size; moved by flips, resize, crops, pad, rotate, affine, perspective, elastic;
  ``clamp_keypoints`` / ``ClampKeyPoints``); MixUp / CutMix keep an Image batch's class and refuse boxes, masks,
  keypoints; ``RandomErasing`` draws its region once per sample and needs an image; the transforms that size up
  the sample refuse one without an image only when they apply; torchvision's messages for two image sizes.
- ``Tensor.as_subclass``; ``v2.functional.register_kernel`` and user ``v2.Transform`` subclasses
  (``make_params`` / ``transform`` / ``_transformed_types``); the functionals refuse other input types with
  torchvision's registry message; torch's pytree nodes only (a dict subclass is a leaf).
- torchvision's per-type kernels under their public names and signatures (``resize_image``, ``resize_mask``,
  ``resize_bounding_boxes(boxes, canvas_size, size)``, ``rotate_keypoints``, ...), ``is_pure_tensor``,
  ``get_num_frames``, and v2's sample helpers (``query_size``, ``query_chw``, ``has_any``, ``get_bounding_boxes``).
- ``FiveCrop`` / ``TenCrop`` give Images' crops as Images; ``ConvertImageDtype`` casts masks and boxes;
  grayscale conversions leave videos; ``UniformTemporalSubsample``; ``datasets.wrap_dataset_for_transforms_v2``
  for the classification datasets.
- the transforms are ``nn.Module``s as torchvision's are (v2's all; v1's but Compose, ToTensor, PILToTensor,
  ToPILImage, Lambda, RandomOrder / RandomChoice): ``nn.Sequential`` of transforms, ``eval()``, child modules in
  reprs (``RandomApply(nn.ModuleList([...]))``).
- ``ToImage`` gives a ``tv_tensors.Image`` (and leaves pure tensors when an Image is present), ``ToDtype`` with a
  dict of dtypes per type (``{tv_tensors.Image: ..., "others": None}``), ``ToPureTensor`` unwraps, ``Lambda``
  applies to the leaves of the given types.

Each case of ``fixtures/torchvision/vision7.json`` is a Python expression that ``make_vision7.py`` evaluated with
torchvision; it is evaluated here with torchless and must give the same result (class, dtype, shape, values, box
metadata; PIL images; plain values; dicts and tuples of them) or the same exception type and message.
"""
import warnings

import numpy as np
import pytest

import torchless
import torchless.vision.datasets as D
import torchless.vision.io as tio
import torchless.vision.transforms as T
import torchless.vision.transforms.functional as F
import torchless.vision.transforms.v2.functional as F2
import torchless.vision.utils as U
from torchless.vision import tv_tensors
from torchless.vision.transforms import v2

pytest.importorskip("PIL.Image")

from torchvision_cases import check_case, load_record, recorded_namespace

RECORD, ARRAYS, CASES = load_record("vision7")
SCOPE = recorded_namespace("make_vision7", torchless, tio, T, F, v2, F2, U, tv_tensors, D, ARRAYS["input_mnist"])


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name):
    check_case(CASES[name], SCOPE, ARRAYS, pil_tolerance=False, exact_half=True)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision7.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert len(CASES) >= 150 and sum("raises" in case for case in CASES.values()) >= 15
    kinds = {item.get("kind") for case in CASES.values() for item in _tensors(case.get("result", {}))}
    assert {"Image", "Mask", "BoundingBoxes", "Video", "Tensor"} <= kinds


def _tensors(record):
    if "tensor" in record:
        yield record
    for item in record.get("items", []):
        yield from _tensors(item)
    for _, item in record.get("mapping", []):
        yield from _tensors(item)


def test_the_inputs_are_left_unchanged():
    # the kernels work on copies: a transformed sample leaves the caller's boxes and masks as they were
    boxes, mask = SCOPE["boxes"], SCOPE["mask"]
    before = boxes.numpy().copy(), mask.numpy().copy()
    v2.RandomHorizontalFlip(1.0)(SCOPE["img"], boxes, mask)
    F2.clamp_bounding_boxes(boxes)
    F2.convert_bounding_box_format(boxes, new_format="CXCYWH")
    np.testing.assert_array_equal(boxes.numpy(), before[0])
    np.testing.assert_array_equal(mask.numpy(), before[1])


def test_a_pickled_or_copied_tv_tensor_keeps_its_class_and_metadata():
    import copy
    import pickle

    for value in (SCOPE["boxes"], SCOPE["img"], SCOPE["mask"]):
        for again in (pickle.loads(pickle.dumps(value)), copy.deepcopy(value)):
            assert type(again) is type(value)
            np.testing.assert_array_equal(again.numpy(), value.numpy())
    assert pickle.loads(pickle.dumps(SCOPE["boxes"])).canvas_size == (29, 37)


def test_no_warnings_from_plain_sample_transforms():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v2.Compose([v2.RandomHorizontalFlip(1.0), v2.Resize(20)])(SCOPE["img"], {"boxes": SCOPE["boxes"]})


def test_a_custom_tv_tensor_without_a_kernel_is_refused_and_a_kernel_registers_once():
    # torchvision's messages name the class and the function by their addresses: the type and wording are checked
    points = torchless.tensor([1.0, 2.0]).as_subclass(SCOPE["Points"])
    with pytest.raises(TypeError, match=r"^Functional F.vertical_flip supports inputs of type dict_keys\(\[<class "
                                        r"'torchless.vision.tv_tensors._image.Image'>, <class 'torchless.Tensor'>, "
                                        r"<class 'PIL.Image.Image'>, .*\]\), but got <class '.*Points'> instead.$"):
        F2.vertical_flip(points)
    with pytest.raises(ValueError, match=r"^Functional <function horizontal_flip at 0x[0-9a-f]+> already has a kernel "
                                         r"registered for type <class '.*Points'>.$"):
        F2.register_kernel(F2.horizontal_flip, SCOPE["Points"])
