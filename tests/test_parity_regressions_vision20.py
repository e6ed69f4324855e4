"""Regressions found by the vision20 session: torchless.vision and torchless.utils.data against torchvision 0.29 /
torch 2.13, hunted with random pipelines of transforms on real-looking images and with random data-loading setups.

Differences fixed:

- float32 bilinear ``interpolate`` where PyTorch runs its channels-last kernel (an output of H + W <= 128, or a
  channels-last input of more than 3 channels): that kernel is not separable (each output pixel weighs its four
  corners by products of the axes' lambdas, summed in an order that differs between whole vectors of 8 channels
  and the rest); torchless resampled axis by axis, a last bit off for about a third of the pixels, and so a uint8
  pixel one off now and then after torchvision's v1 ``resize(..., antialias=False)`` rounds it. The transforms
  hand ``interpolate`` an image's channels together (N, C, H, W), as torchvision does, not each channel as an image
  of its own, which that kernel sums in another order for images of 8 channels or more.
- ``draw_bounding_boxes(fill=True)`` adds the alpha to each colour as torchvision does (``color + (100,)``), and
  ``draw_segmentation_masks`` makes its colours tensors of the image's dtype and paints them by tensor indexing:
  colours that are not RGB triplets (an int, a list, 2 or 4 values, None, out of uint8's range) failed with
  NumPy's errors instead of PyTorch's (a negative one wraps around as in PyTorch, where NumPy refused it).
- v2's ``affine`` / ``rotate`` (and so RandomAffine, RandomRotation) compute their output-to-input matrix with
  v2's arithmetic, which rounds differently from v1's: on PIL images, whose warp takes the float64 matrix as it
  is, a pixel on a boundary came out of the other side now and then.
- v2's ``AugMix`` of a ``Video`` mixes its frames with one draw of the Dirichlet weights (torchvision batches a
  video to 5-D); torchless received the frames as a plain tensor and mixed each frame with weights of its own,
  which also drew more numbers from torch's stream.
- odd arguments refused as torchvision refuses them: ``v2.Resize()`` without a size (a TypeError; torchless
  asked for max_size), an AutoAugment policy that is a list (torchvision's "not recognized", not "unhashable"),
  an empty range to draw from (RandomShortestSize([]), TrivialAugmentWide(0): torch.randint's RuntimeError, not an
  IndexError), RandomPhotometricDistort's ranges read as ``range[0], range[1]`` (a number: "not subscriptable").

The torchvision cases are recorded by ``fixtures/torchvision/make_vision20.py`` into ``fixtures/torchvision/vision20``
(the synthetic images they use are stored there too): each is a Python expression evaluated there with torchvision
and here with torchless, which must give the same result or raise the same exception type with the same message.
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

from torchvision_cases import (check_case, load_record, recorded_namespace,  # noqa: E402  (after the skip)
                               round_grids_as_the_recording_host)

RECORD, ARRAYS, CASES = load_record("vision20")
SYNTHETIC = {name: ARRAYS[name] for name in ("input_syn", "input_small", "input_syn_rgba")}


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    return recorded_namespace("make_vision20", torchless, tio, T, F, v2, F2, U, datasets, tv_tensors,
                              ARRAYS["input_mnist"], SYNTHETIC, tmp_path_factory.mktemp("vision20"))


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope, monkeypatch):
    round_grids_as_the_recording_host(monkeypatch, fused=True)  # (recorded on an Intel host)
    check_case(CASES[name], scope, ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision20.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert sum("raises" in case for case in CASES.values()) >= 5


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("channels", [1, 3, 4, 8, 12, 17])
@pytest.mark.parametrize("in_size, out_size", [((12, 12), (37, 31)), ((17, 9), (49, 70)), ((7, 6), (73, 7)),
                                               ((20, 30), (50, 70)), ((9, 11), (9, 40)), ((12, 11), (78, 76))])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_float32_bilinear_is_pytorchs_bit_for_bit(channels, in_size, out_size, align_corners, channels_last, torch):
    x = torch.rand(2, channels, *in_size, generator=torch.Generator().manual_seed(channels)) * 255
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    expected = torch.nn.functional.interpolate(x, out_size, mode="bilinear", align_corners=align_corners)
    ours = torchless.tensor(x.numpy())
    if channels_last:
        ours = ours.contiguous(memory_format=torchless.channels_last)
    got = torchless.nn.functional.interpolate(ours, out_size, mode="bilinear", align_corners=align_corners)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_float32_bilinear_gradients_still_agree(torch):
    x = torch.rand(1, 5, 6, 7, generator=torch.Generator().manual_seed(0), requires_grad=True)
    ours = torchless.tensor(x.detach().numpy(), requires_grad=True)
    expected = torch.nn.functional.interpolate(x, (19, 13), mode="bilinear", align_corners=False)
    got = torchless.nn.functional.interpolate(ours, (19, 13), mode="bilinear", align_corners=False)
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    weights = np.linspace(-1, 1, expected.numel(), dtype=np.float32).reshape(expected.shape)
    (expected * torch.from_numpy(weights)).sum().backward()
    (got * torchless.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), x.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_uint8_resize_without_antialiasing_rounds_pytorchs_floats(torch):
    # torchvision's v1 resize of a uint8 tensor: interpolate in float32, round, cast back
    image = torch.from_numpy(np.random.default_rng(1).integers(0, 256, (3, 12, 12), dtype=np.uint8))
    expected = torch.nn.functional.interpolate(image[None].float(), [37, 31], mode="bilinear",
                                               align_corners=False).round().to(torch.uint8)[0]
    got = F.resize(torchless.tensor(image.numpy()), [37, 31], antialias=False)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("v2_functional", [False, True])
@pytest.mark.parametrize("shape", [(11, 12, 12), (2, 11, 12, 12), (9, 20, 30)])
def test_resize_hands_interpolate_the_channels_together(v2_functional, shape, torch):
    # torchvision's v1 resize batches a (C, H, W) image to (1, C, H, W), v2 reshapes it to (-1, C, H, W)
    x = torch.rand(*shape, generator=torch.Generator().manual_seed(len(shape)))
    batch = x.reshape(-1, *shape[-3:])
    expected = torch.nn.functional.interpolate(batch, [37, 31], mode="bilinear", align_corners=False).reshape(
        *shape[:-2], 37, 31)
    got = (F2 if v2_functional else F).resize(torchless.tensor(x.numpy()), [37, 31], antialias=False)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
