"""Regressions found by the vision20 session: torchless.vision and torchless.utils.data against torchvision 0.29 /
torch 2.13, hunted with random pipelines of transforms on real-looking images and with random data-loading setups.

Differences fixed:

- float32 bilinear ``interpolate`` where PyTorch runs its channels-last kernel (an output of H + W <= 128, or a
  channels-last input of more than 3 channels): that kernel is not separable (each output pixel weighs its four
  corners by products of the axes' lambdas, summed in an order that differs between whole vectors of 8 channels
  and the rest); torchless resampled axis by axis, a last bit off for about a third of the pixels, and so a uint8
  pixel one off now and then after torchvision's v1 ``resize(..., antialias=False)`` rounds it.
"""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("channels", [1, 3, 4, 8, 12, 17])
@pytest.mark.parametrize("in_size, out_size", [((12, 12), (37, 31)), ((17, 9), (49, 70)), ((7, 6), (73, 7)),
                                               ((20, 30), (50, 70)), ((9, 11), (9, 40)), ((12, 11), (78, 76))])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_float32_bilinear_is_pytorchs_bit_for_bit(channels, in_size, out_size, align_corners, channels_last):
    x = torch.rand(2, channels, *in_size, generator=torch.Generator().manual_seed(channels)) * 255
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    expected = torch.nn.functional.interpolate(x, out_size, mode="bilinear", align_corners=align_corners)
    ours = torchless.tensor(x.numpy())
    if channels_last:
        ours = ours.contiguous(memory_format=torchless.channels_last)
    got = torchless.nn.functional.interpolate(ours, out_size, mode="bilinear", align_corners=align_corners)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_float32_bilinear_gradients_still_agree():
    x = torch.rand(1, 5, 6, 7, generator=torch.Generator().manual_seed(0), requires_grad=True)
    ours = torchless.tensor(x.detach().numpy(), requires_grad=True)
    expected = torch.nn.functional.interpolate(x, (19, 13), mode="bilinear", align_corners=False)
    got = torchless.nn.functional.interpolate(ours, (19, 13), mode="bilinear", align_corners=False)
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    weights = np.linspace(-1, 1, expected.numel(), dtype=np.float32).reshape(expected.shape)
    (expected * torch.from_numpy(weights)).sum().backward()
    (got * torchless.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), x.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_uint8_resize_without_antialiasing_rounds_pytorchs_floats():
    # torchvision's v1 resize of a uint8 tensor: interpolate in float32, round, cast back
    image = torch.from_numpy(np.random.default_rng(1).integers(0, 256, (3, 12, 12), dtype=np.uint8))
    expected = torch.nn.functional.interpolate(image[None].float(), [37, 31], mode="bilinear",
                                               align_corners=False).round().to(torch.uint8)[0]
    import torchless.vision.transforms.functional as F

    got = F.resize(torchless.tensor(image.numpy()), [37, 31], antialias=False)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
