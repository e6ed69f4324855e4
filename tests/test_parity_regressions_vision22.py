"""Regressions found by the vision22 session: torchless.vision against torchvision 0.29.

Differences fixed:

- ``torchless.vision.ops`` had no ``roi_align`` / ``roi_pool`` / ``ps_roi_align`` / ``ps_roi_pool`` (nor their
  modules), which detection heads (Fast / Mask R-CNN, R-FCN) pool their regions with. They follow torchvision's CPU
  kernels: the regions' coordinates, bins and bilinear samples computed in the input's dtype in the kernels' order
  (float32, float64 and float16 give torchvision's bits), the samples of a bin added one after the other, malformed
  regions made 1 x 1 (or, aligned and sampled adaptively with a negative size, refused as the kernel's vector
  refuses it), the pools' regions rounded half away from zero, roi_pool's first strict maximum ignoring NaN,
  ps_roi_pool's forward bins stopping a pixel short of the map's end where its backward's do not; the gradient with
  respect to the feature map added in the kernels' order (none for the boxes; a constant of the graph under
  ``create_graph``, as torchvision's backward ops have no derivative), the nodes named as torchvision's;
  boxes given per image; torchvision's checks and messages (the boxes' shape assertions, the dispatcher's argument
  types, the kernels' dtype, channel and dimension errors); and ``MultiScaleRoIAlign`` (with ``poolers.LevelMapper``),
  which pools each box from the level of a feature pyramid its size maps to.
- ``adjust_sharpness`` (v1 and v2, and so RandomAdjustSharpness and the automatic augmentations) smoothed float32
  images by adding the kernel's products, where PyTorch's depthwise conv2d (oneDNN's) makes one fused multiply-add per
  tap, row after row, from 0: a last bit differed in about a third of the pixels of multi-channel images (and a
  uint8 pixel, rounded from them, was one off now and then).
- the dispatcher's type check of torchvision's C++ operators (``io`` and ``ops``) refused what it takes: a
  one-element tensor for a number, NumPy's bools for an int, and any number or None for a bool.

The torchvision cases are recorded by ``fixtures/torchvision/make_vision22.py`` into ``fixtures/torchvision/vision22``:
each is a Python expression evaluated there with torchvision and here with torchless, which must give the same
result (floats bit for bit) or raise the same exception type with the same message.
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

RECORD, ARRAYS, CASES = load_record("vision22")
SYNTHETIC = {name: ARRAYS[name] for name in ("input_syn", "input_small", "input_syn_rgba")}


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    return recorded_namespace("make_vision22", torchless, tio, T, F, v2, F2, U, datasets, tv_tensors,
                              ARRAYS["input_mnist"], SYNTHETIC, tmp_path_factory.mktemp("vision22"))


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    case = CASES[name]
    check_case(case, scope, ARRAYS, exact_half=True, atol=0)
    result = case.get("result", {})
    if "array" in result and ARRAYS[result["array"]].dtype.kind == "f":  # and the floats to the last bit
        value = eval(case["expression"], dict(scope))
        np.testing.assert_array_equal(value.detach().numpy(), ARRAYS[result["array"]], err_msg=name)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision22.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert sum("raises" in case for case in CASES.values()) >= 40
    assert sum(name.endswith("_grad") for name in CASES) >= 40
    assert sum(name.endswith("_float16") for name in CASES) >= 10
    assert sum(name.startswith("ps_roi_") and "raises" not in case for name, case in CASES.items()) >= 60


def test_roi_align_averages_bilinear_samples_of_each_bin():
    # an independent reference: a 2 x 2 bin grid of 2 x 2 samples over a linear ramp is the ramp at the bins' centres
    height, width = 6, 8
    ramp = torchless.tensor(np.add.outer(np.arange(height) * 10.0, np.arange(width)), dtype=torchless.float64)
    out = torchless.vision.ops.roi_align(ramp[None, None], torchless.tensor([[0, 1.0, 1.0, 5.0, 3.0]],
                                         dtype=torchless.float64), 2, sampling_ratio=2, aligned=False)
    centres_y, centres_x = np.array([1.5, 2.5]), np.array([2.0, 4.0])
    np.testing.assert_allclose(out[0, 0].numpy(), np.add.outer(centres_y * 10, centres_x))


def test_roi_pool_gradient_goes_to_each_bins_maximum():
    x = torchless.tensor([[[[1.0, 5.0, 2.0], [7.0, 0.0, 3.0], [4.0, 6.0, 9.0]]]], requires_grad=True)
    out = torchless.vision.ops.roi_pool(x, torchless.tensor([[0, 0.0, 0.0, 2.0, 2.0]]), 2)
    out.backward(torchless.ones_like(out))
    # bins rows [0, 2) x cols [0, 2), [0, 2) x [1, 3), [1, 3) x [0, 2), [1, 3) x [1, 3): maxima 7, 5, 7, 9
    np.testing.assert_array_equal(out.detach().numpy(), [[[[7.0, 5.0], [7.0, 9.0]]]])
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1, 0], [2, 0, 0], [0, 0, 1]]]])
